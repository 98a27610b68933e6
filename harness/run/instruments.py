"""Instruments — clean, memray, py-spy: how each wraps a scanner run, and what its artefacts say.

Owns: the argv each instrument needs (built as plain lists for harness.run.process), finding the
profilers, and parsing their artefacts — py-spy's raw collapsed stacks into self and inclusive
time per function and a flame graph SVG; memray's capture into the heap high-water mark,
allocation count and the allocations alive at the peak by top stack, with mmap and
stack-less (Go runtime, other native threads) records separated from the Python side, plus
`memray stats --json` and `memray flamegraph` outputs. A missing or failing tool is a value
(`ToolProblem`), never an exception.

Must not: decide what a run means for the verdict, or use `memray tree`/`live` (interactive:
they hang in CI). memray figures are never timings: it slows call-heavy Python by 70–350%.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.run import process

CLEAN = "clean"
MEMRAY = "memray"
PYSPY = "pyspy"
INSTRUMENTS = (CLEAN, MEMRAY, PYSPY)

# A non-round rate avoids sampling in step with periodic work (DESIGN §5: 100–250 Hz).
PYSPY_RATE_HZ = 199
TOP_N = 25


@dataclass(frozen=True)
class ToolProblem:
    """Why an instrument could not give its figures: status is results.TOOL_MISSING or TOOL_FAILED."""

    status: str
    reason: str


def parse_instruments(text: str) -> list[str]:
    chosen = [part.strip().replace("-", "").replace("_", "") for part in text.split(",") if part.strip()]
    bad = [name for name in chosen if name not in INSTRUMENTS]
    if bad or not chosen:
        raise ValueError(
            f"unknown instrument {bad[0] if bad else text!r}: choose from {', '.join(INSTRUMENTS)}"
        )
    return list(dict.fromkeys(chosen))


# --- argv builders ---------------------------------------------------------------------------


def clean_argv(target: Sequence[str], stats_path: Path) -> list[str]:
    """The target (`-m scanner scan …` or `script.py …`) under the trampoline that records VmHWM."""
    return [sys.executable, "-m", "harness.run.child", "--stats", str(stats_path), "--", *target]


def memray_argv(target: Sequence[str], capture_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "memray",
        "run",
        "--quiet",
        "--force",
        "--output",
        str(capture_path),
        *target,
    ]


def find_pyspy() -> str | None:
    """py-spy on PATH, or next to this interpreter (a venv that is not activated)."""
    found = shutil.which("py-spy")
    if found:
        return found
    sibling = Path(sys.executable).parent / "py-spy"
    return str(sibling) if sibling.exists() else None


def memray_available() -> bool:
    return importlib.util.find_spec("memray") is not None


def pyspy_attach_argv(pyspy: str, pid: int, output: Path, rate_hz: int = PYSPY_RATE_HZ) -> list[str]:
    # --function: one frame per function (its first line), so self/inclusive time sum per function.
    return [
        pyspy,
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(rate_hz),
        "--format",
        "raw",
        "--function",
        "-o",
        str(output),
    ]


def tool_versions() -> dict[str, str | None]:
    pyspy = find_pyspy()
    memray_version: str | None = None
    if memray_available():
        import memray

        memray_version = str(getattr(memray, "__version__", "unknown"))
    return {
        "memray": memray_version,
        "py-spy": process.tool_version([pyspy, "--version"]) if pyspy else None,
    }


# --- py-spy ----------------------------------------------------------------------------------


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


def function_times(stacks: Mapping[tuple[str, ...], int], rate_hz: float) -> PySpyProfile:
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


def flamegraph_svg(stacks: Mapping[tuple[str, ...], int], title: str, width: int = 1200) -> str:
    """A self-contained flame graph (root at the bottom) built from collapsed stacks."""
    tree: dict[str, Any] = {"count": 0, "children": {}}
    for stack, count in stacks.items():
        node = tree
        node["count"] += count
        for frame in stack:
            node = node["children"].setdefault(frame, {"count": 0, "children": {}})
            node["count"] += count

    def depth(node: dict[str, Any]) -> int:
        return 1 + max((depth(child) for child in node["children"].values()), default=0)

    row, top = 16, 30
    levels = depth(tree)
    height = top + levels * row + 10
    total = max(tree["count"], 1)
    rects: list[str] = []

    def draw(node: dict[str, Any], name: str, x: float, level: int) -> None:
        w = node["count"] / total * (width - 20)
        if w < 0.3:
            return
        y = height - 10 - (level + 1) * row
        shade = int(hashlib.sha1(name.encode()).hexdigest()[:2], 16)
        label = html.escape(name)
        share = node["count"] / total * 100
        text = (
            html.escape(name if len(name) * 7 < w else name[: max(0, int(w / 7) - 2)] + "..")
            if w > 21
            else ""
        )
        rects.append(
            f"<g><title>{label} ({node['count']} samples, {share:.1f}%)</title>"
            f'<rect x="{x + 10:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="rgb(230,{80 + shade // 2},{shade // 5})"/>'
            f'<text x="{x + 13:.1f}" y="{y + 12}">{text}</text></g>'
        )
        child_x = x
        for child_name, child in sorted(node["children"].items()):
            draw(child, child_name, child_x, level + 1)
            child_x += child["count"] / total * (width - 20)

    draw(tree, "all", 0.0, 0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">'
        f'<text x="10" y="20" font-size="14">{html.escape(title)}</text>{"".join(rects)}</svg>\n'
    )


# --- memray ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackAtPeak:
    bytes_at_peak: int
    allocations: int
    stack: tuple[str, ...]  # innermost first: "function file:line"


@dataclass(frozen=True)
class MemraySummary:
    heap_peak_bytes: int  # memray's own peak: everything it saw, mmap reservations included
    allocation_count: int
    python_bytes_at_peak: int  # records with a Python stack, allocated through malloc & co
    mmap_bytes_at_peak: int  # mmap records (e.g. Go arenas): reservations, not RSS; never summed in
    no_stack_bytes_at_peak: int  # "stack trace unavailable": threads without Python frames (Go runtime)
    top_stacks: tuple[StackAtPeak, ...]  # Python side, largest first


def summarise_memray(capture: Path, top_n: int = TOP_N) -> MemraySummary | ToolProblem:
    if not memray_available():
        return ToolProblem("tool-missing", "memray is not installed (pip install 'ksbench[profile]')")
    try:
        from memray import AllocatorType, FileReader

        reader = FileReader(str(capture))
        metadata = reader.metadata
        python = mmap = no_stack = 0
        top: list[StackAtPeak] = []
        for record in reader.get_high_watermark_allocation_records(merge_threads=True):
            frames = record.stack_trace(max_stacks=12)
            if record.allocator in (AllocatorType.MMAP,):
                mmap += record.size
            elif not frames:
                no_stack += record.size
            else:
                python += record.size
                top.append(
                    StackAtPeak(
                        record.size,
                        record.n_allocations,
                        tuple(f"{function} {file}:{line}" for function, file, line in frames),
                    )
                )
        reader.close()
    except Exception as exc:  # a damaged or truncated capture (the run was killed) is a value
        return ToolProblem("tool-failed", f"cannot read memray capture {capture.name}: {exc}")
    top.sort(key=lambda s: -s.bytes_at_peak)
    return MemraySummary(
        int(metadata.peak_memory), int(metadata.total_allocations), python, mmap, no_stack, tuple(top[:top_n])
    )


def memray_stats_argv(capture: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "memray", "stats", "--json", "--force", "-o", str(output), str(capture)]


def memray_flamegraph_argv(capture: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "memray", "flamegraph", "--force", "-o", str(output), str(capture)]


def memray_timeline(capture: Path) -> tuple[tuple[float, int, int], ...] | ToolProblem:
    """memray's periodic snapshots as (seconds since the first, RSS bytes, heap bytes), for plots."""
    if not memray_available():
        return ToolProblem("tool-missing", "memray is not installed (pip install 'ksbench[profile]')")
    try:
        from memray import FileReader

        reader = FileReader(str(capture))
        snapshots = list(reader.get_memory_snapshots())
        reader.close()
    except Exception as exc:  # a damaged or truncated capture is a value, as in summarise_memray
        return ToolProblem("tool-failed", f"cannot read memray capture {capture.name}: {exc}")
    if not snapshots:
        return ()
    start = snapshots[0].time
    return tuple(((s.time - start) / 1000.0, int(s.rss), int(s.heap)) for s in snapshots)
