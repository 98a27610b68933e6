"""The memray instrument: heap high-water mark, allocations at the peak, and memory over time.

Runs the scanner under `memray run`, then reads the capture here, at measure time: the heap
peak and allocation count; the allocations alive at the peak by top stack, with mmap and
stack-less records (Go runtime, other native threads) kept apart from the Python side; memray's
periodic snapshots as a `ksbench-memory-timeline/1` file; `memray stats --json` and
`memray flamegraph` outputs. Nothing later reads the binary capture.

Must not: use `memray tree`/`live` (interactive: they hang in CI), or time anything: memray
slows call-heavy Python by 70–350%, so its figures explain and are never gated.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from harness.results import write_json_atomic
from harness.run import process
from harness.run.instruments.base import Call, Measured, ToolProblem
from harness.run.instruments.clean import spawn_timed

NAME: Final[Literal["memray"]] = "memray"
TOP_N = 25
SUMMARY_FORMAT = "ksbench-memray-summary/1"
TIMELINE_FORMAT = "ksbench-memory-timeline/1"  # read by harness.report.artefacts
TIMELINE_SOURCE = "memray snapshots"
MISSING = "memray is not installed (pip install 'ksbench[profile]')"


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


def memray_available() -> bool:
    return importlib.util.find_spec("memray") is not None


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


def memray_stats_argv(capture: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "memray", "stats", "--json", "--force", "-o", str(output), str(capture)]


def memray_flamegraph_argv(capture: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "memray", "flamegraph", "--force", "-o", str(output), str(capture)]


def summarise_memray(capture: Path, top_n: int = TOP_N) -> MemraySummary | ToolProblem:
    if not memray_available():
        return ToolProblem("tool-missing", MISSING)
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
                where = tuple(f"{function} {file}:{line}" for function, file, line in frames)
                top.append(StackAtPeak(record.size, record.n_allocations, where))
        reader.close()
    except Exception as exc:  # a damaged or truncated capture (the run was killed) is a value
        return ToolProblem("tool-failed", f"cannot read memray capture {capture.name}: {exc}")
    top.sort(key=lambda s: -s.bytes_at_peak)
    return MemraySummary(
        int(metadata.peak_memory), int(metadata.total_allocations), python, mmap, no_stack, tuple(top[:top_n])
    )


def memray_timeline(capture: Path) -> tuple[tuple[float, int, int], ...] | ToolProblem:
    """memray's periodic snapshots as (seconds since the first, RSS bytes, heap bytes), for plots."""
    if not memray_available():
        return ToolProblem("tool-missing", MISSING)
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


def _summary_json(summary: MemraySummary) -> dict[str, Any]:
    return {
        "format_version": SUMMARY_FORMAT,
        "heap_peak_bytes": summary.heap_peak_bytes,
        "allocation_count": summary.allocation_count,
        "python_bytes_at_peak": summary.python_bytes_at_peak,
        "mmap_bytes_at_peak": summary.mmap_bytes_at_peak,
        "no_stack_bytes_at_peak": summary.no_stack_bytes_at_peak,
        "top_stacks_at_peak": [
            {"bytes": s.bytes_at_peak, "allocations": s.allocations, "stack": list(s.stack)}
            for s in summary.top_stacks
        ],
    }


def summary_metrics(summary: MemraySummary) -> dict[str, float]:
    return {
        "heap_peak_bytes": float(summary.heap_peak_bytes),
        "allocation_count": float(summary.allocation_count),
        "python_bytes_at_peak": float(summary.python_bytes_at_peak),
        "mmap_bytes_at_peak": float(summary.mmap_bytes_at_peak),
        "no_stack_bytes_at_peak": float(summary.no_stack_bytes_at_peak),
    }


def read_capture(
    call: Call, capture: Path, metrics: dict[str, float], artefacts: dict[str, str]
) -> ToolProblem | None:
    """Everything the capture says, into metrics, artefacts and files beside it; the first problem."""
    if not capture.exists():
        return ToolProblem("tool-failed", "memray wrote no capture")
    artefacts["memray_capture"] = call.rel(capture)
    summary = summarise_memray(capture)
    if isinstance(summary, ToolProblem):
        return summary
    metrics.update(summary_metrics(summary))
    summary_path = call.directory / "memray-summary.json"
    write_json_atomic(summary_path, _summary_json(summary))
    artefacts["memray_summary"] = call.rel(summary_path)
    for name, argv, path in (
        ("memray_stats", memray_stats_argv, call.directory / "memray-stats.json"),
        ("memray_flamegraph", memray_flamegraph_argv, call.directory / "memray-flamegraph.html"),
    ):
        made = process.run(argv(capture, path), timeout_seconds=call.timeout_seconds)
        if not (made.ok and path.exists()):
            return ToolProblem("tool-failed", f"{name.replace('_', ' ')}: {made.describe()}")
        artefacts[name] = call.rel(path)
    timeline = memray_timeline(capture)
    if isinstance(timeline, ToolProblem):
        return timeline
    if timeline:
        timeline_path = call.directory / "memory-timeline.json"
        points = [[seconds, rss] for seconds, rss, _heap in timeline]
        write_json_atomic(
            timeline_path, {"format_version": TIMELINE_FORMAT, "source": TIMELINE_SOURCE, "points": points}
        )
        artefacts["memory_timeline"] = call.rel(timeline_path)
    return None


class Memray:
    name: Final = NAME
    gated: Final = False
    tool: Final = "memray"
    linked_artefacts: Final[Mapping[str, str]] = {
        "memray_flamegraph": "memray flame graph",
        "memray_summary": "memray summary",
    }

    def unavailable(self) -> str | None:
        return None if memray_available() else "memray is not installed"

    def version(self) -> str | None:
        if not memray_available():
            return None
        import memray

        return str(getattr(memray, "__version__", "unknown"))

    def measure(self, call: Call) -> Measured:
        capture = call.directory / "memray.bin"
        capture.unlink(missing_ok=True)
        timed = spawn_timed(call, memray_argv(call.target, capture))
        result = timed.result
        # under memray: explains, never gated
        metrics = {"wall_seconds": result.wall_seconds, **timed.metrics}
        artefacts = dict(timed.artefacts)
        problem = read_capture(call, capture, metrics, artefacts) if result.ok else None
        return Measured(result, metrics, artefacts, problem, timed.stages)


INSTRUMENT = Memray()
