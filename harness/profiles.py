"""py-spy's collapsed stacks as values: parsing them, and self/inclusive time per function.

Shared model (like harness.results): the py-spy instrument summarises a run's stacks with it at
measure time, and the judge and the reports read stored stacks with it later, so it sits below
both layers. Pure: no I/O, no rendering (flame graphs are drawn by the py-spy instrument).

Must not: import any harness layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# A non-round rate avoids sampling in step with periodic work; docs/measuring.md says why 100–250 Hz.
PYSPY_RATE_HZ = 199

Stacks = Mapping[tuple[str, ...], int]  # outermost frame first → samples


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
