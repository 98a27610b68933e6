"""py-spy's collapsed stacks as values: parsing them, and self/inclusive time per function.

Shared model (like harness.results): the py-spy instrument summarises a run's stacks with it at
measure time, and the judge and the reports read stored stacks with it later, so it sits below
both layers. Also the flame graph as SVG text, drawn from stacks with every name escaped: the
instrument writes one beside each run, and the HTML report draws its own again from the stored
stacks rather than paste a stored SVG (which could carry a script). Pure: no I/O.

Must not: import any harness layer.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A non-round rate avoids sampling in step with periodic work; docs/measuring.md says why 100–250 Hz.
PYSPY_RATE_HZ = 199

Stacks = Mapping[tuple[str, ...], int]  # outermost frame first → samples
# Frames drawn per stack: deeper ones are folded into the last row (stored stacks may be hostile).
FLAME_MAX_DEPTH = 200


@dataclass(frozen=True)
class FunctionTime:
    function: str  # "name (file.py:first line)"
    self_seconds: float
    inclusive_seconds: float


@dataclass(frozen=True)
class PySpyProfile:
    samples: int
    sampled_seconds: float
    functions: tuple[FunctionTime, ...]  # by self time, largest first


def parse_collapsed(text: str) -> dict[tuple[str, ...], int]:
    """Collapsed stacks (`a;b;c COUNT` per line) → {stack: samples}; samples with no frame are kept as ()."""
    stacks: dict[tuple[str, ...], int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        stack = tuple(frame for frame in stack_text.strip().split(";") if frame)
        stacks[stack] = stacks.get(stack, 0) + int(count_text)
    return stacks


def function_times(stacks: Stacks, rate_hz: float) -> PySpyProfile:
    self_samples: dict[str, int] = {}
    inclusive_samples: dict[str, int] = {}
    for stack, count in stacks.items():
        if stack:
            self_samples[stack[-1]] = self_samples.get(stack[-1], 0) + count
        # Each function once per stack: recursion must not count a sample twice.
        for frame in set(stack):
            inclusive_samples[frame] = inclusive_samples.get(frame, 0) + count
    total = sum(stacks.values())
    functions = tuple(
        sorted(
            (
                FunctionTime(name, self_samples.get(name, 0) / rate_hz, inclusive / rate_hz)
                for name, inclusive in inclusive_samples.items()
            ),
            key=lambda f: (-f.self_seconds, -f.inclusive_seconds, f.function),
        )
    )
    return PySpyProfile(total, total / rate_hz, functions)


def flamegraph_svg(stacks: Stacks, title: str, width: int = 1200) -> str:
    """A self-contained flame graph (root at the bottom) built from collapsed stacks.

    Every name is escaped; stacks deeper than FLAME_MAX_DEPTH are cut there. Iterative, so a
    hostile stack depth cannot exhaust the interpreter's stack.
    """
    tree: dict[str, Any] = {"count": 0, "children": {}, "height": 1}
    for stack, count in stacks.items():
        node = tree
        node["count"] += count
        for frame in stack[:FLAME_MAX_DEPTH]:
            node = node["children"].setdefault(frame, {"count": 0, "children": {}})
            node["count"] += count
    row, top = 16, 30
    levels = 1 + min(FLAME_MAX_DEPTH, max((len(stack) for stack in stacks), default=0))
    height = top + levels * row + 10
    total = max(tree["count"], 1)
    rects: list[str] = []
    pending: list[tuple[dict[str, Any], str, float, int]] = [(tree, "all", 0.0, 0)]
    while pending:
        node, name, x, level = pending.pop()
        w = node["count"] / total * (width - 20)
        if w < 0.3:
            continue
        y = height - 10 - (level + 1) * row
        shade = int(hashlib.sha1(name.encode("utf-8", "replace")).hexdigest()[:2], 16)
        share = node["count"] / total * 100
        shown = name if len(name) * 7 < w else name[: max(0, int(w / 7) - 2)] + ".."
        text = html.escape(shown) if w > 21 else ""
        rects.append(
            f"<g><title>{html.escape(name)} ({node['count']} samples, {share:.1f}%)</title>"
            f'<rect x="{x + 10:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="rgb(230,{80 + shade // 2},{shade // 5})"/>'
            f'<text x="{x + 13:.1f}" y="{y + 12}">{text}</text></g>'
        )
        child_x = x
        children = []
        for child_name, child in sorted(node["children"].items()):
            children.append((child, child_name, child_x, level + 1))
            child_x += child["count"] / total * (width - 20)
        pending.extend(reversed(children))  # drawn in the order the recursive drawing had
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">'
        f'<text x="10" y="20" font-size="14">{html.escape(title)}</text>{"".join(rects)}</svg>\n'
    )
