"""The clean instrument: the scanner under the child trampoline, nothing else — the gated figures.

Wall time comes from the parent, CPU and peak RSS (VmHWM) from the trampoline's stats file
(harness.run.child). Its figures are the only ones the gates use.

Must not: attach anything to the scanner or slow it down.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, Literal

from harness.run.instruments.base import Call, Measured, ToolProblem
from harness.run.process import ProcessResult

NAME: Final[Literal["clean"]] = "clean"
STATS_FILE = "child-stats.txt"


def clean_argv(target: Sequence[str], stats_path: Path) -> list[str]:
    """The target (`-m scanner scan …` or `script.py …`) under the trampoline that records VmHWM."""
    return [sys.executable, "-m", "harness.run.child", "--stats", str(stats_path), "--", *target]


def clean_metrics(result: ProcessResult) -> dict[str, float]:
    """Wall time always; CPU and peak RSS when the trampoline wrote its stats."""
    metrics = {"wall_seconds": result.wall_seconds}
    if result.stats is not None:
        metrics["cpu_seconds"] = result.stats.cpu_seconds
        metrics["peak_rss_bytes"] = float(result.stats.peak_rss_bytes)
    return metrics


class Clean:
    name: Final = NAME
    gated: Final = True
    tool: Final = None
    linked_artefacts: Final[Mapping[str, str]] = {}  # nothing beyond the report and stderr

    def unavailable(self) -> str | None:
        return None

    def version(self) -> str | None:
        return None

    def measure(self, call: Call) -> Measured:
        stats_path = call.directory / STATS_FILE
        result = call.spawn(clean_argv(call.target, stats_path), stats_path=stats_path)
        problem = None
        if result.ok and result.stats is None:
            problem = ToolProblem("tool-failed", "the trampoline wrote no stats")
        return Measured(result, clean_metrics(result), problem=problem)


INSTRUMENT = Clean()
