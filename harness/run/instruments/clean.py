"""The clean instrument: the scanner under the child trampoline, nothing else — the gated figures.

Wall time comes from the parent, CPU and peak RSS (VmHWM) from the trampoline's stats file
(harness.run.child). Its figures are the only ones the gates use. Beside every run, of every
instrument (all spawn through `spawn_timed` here), the /proc sampler (harness.run.instruments.
sampler, a thread in this process) records CPU and RSS over time, and the scanner writes its
stage events (KSBENCH_EVENTS); both are kept with the run
and their peaks, with the stage each fell in, summarised by harness.timelines.

Must not: attach anything to the scanner or slow it down (the sampler reads /proc from outside;
a stage event costs microseconds: docs/timelines.md).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from harness import timelines
from harness.run.instruments import sampler
from harness.run.instruments.base import Call, Measured, ToolProblem
from harness.run.process import ProcessResult

NAME: Final[Literal["clean"]] = "clean"
STATS_FILE = "child-stats.txt"
TIMELINE_FILE = "timeline.json"
EVENTS_FILE = "stage-events.jsonl"
# The scanner writes its stage events where this names (scanner --events); other scanners ignore it.
STAGE_EVENTS_ENV = "KSBENCH_EVENTS"


def clean_argv(target: Sequence[str], stats_path: Path) -> list[str]:
    """The target (`-m scanner scan …` or `script.py …`) under the trampoline that records VmHWM."""
    return [sys.executable, "-m", "harness.run.child", "--stats", str(stats_path), "--", *target]


def exec_argv(program: Sequence[str], stats_path: Path) -> list[str]:
    """A program that is not Python, exec'd by the trampoline, which records its wait4 usage."""
    return [sys.executable, "-m", "harness.run.child", "--stats", str(stats_path), "--exec", "--", *program]


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
        argv = (clean_argv if call.python else exec_argv)(call.target, stats_path)
        timed = spawn_timed(call, argv, stats_path=stats_path)
        problem = None
        if timed.result.ok and timed.result.stats is None:
            problem = ToolProblem("tool-failed", "the trampoline wrote no stats")
        metrics = {**clean_metrics(timed.result), **timed.metrics}
        return Measured(timed.result, metrics, timed.artefacts, problem, timed.stages)


@dataclass(frozen=True)
class Timed:
    """A spawned run with its /proc timeline and stage events: their peaks and the stage of each."""

    result: ProcessResult
    metrics: dict[str, float]
    artefacts: dict[str, str]
    stages: dict[str, str]


def spawn_timed(call: Call, argv: Sequence[str], **spawn_options: Any) -> Timed:
    """Spawn argv with the /proc sampler on its PID and the scanner's stage events switched on.

    Every instrument runs through here, so every run has a timeline and stage events; under a
    profiler they carry the profiler's overhead and explain, never gate.
    """
    events_path = call.directory / EVENTS_FILE
    events_path.unlink(missing_ok=True)
    proc_sampler = sampler.ProcSampler()
    result = call.spawn(
        argv,
        on_start=proc_sampler.start if call.python else proc_sampler.start_exec_child,
        extra_env={STAGE_EVENTS_ENV: str(events_path)},
        **spawn_options,
    )
    sampled = proc_sampler.stop()
    timeline_path = call.directory / TIMELINE_FILE
    sampler.write(timeline_path, sampled)
    artefacts = {"timeline": call.rel(timeline_path)}
    records: list[dict[str, Any]] = []
    if events_path.exists():
        artefacts["stage_events"] = call.rel(events_path)
        records = timelines.parse_stage_events(events_path.read_text(encoding="utf-8", errors="replace"))
    peaks = timelines.analyse(sampled.samples, timelines.spans(records))
    # Sampled, not a high-water mark: it explains peak RSS (anonymous vs file-backed), never gates.
    anon = {"peak_rss_anon_bytes": float(sampled.peak_rss_anon_bytes)} if sampled.peak_rss_anon_bytes else {}
    if peaks is None:
        return Timed(result, anon, artefacts, {})
    return Timed(result, {**peaks.metrics(), **anon}, artefacts, peaks.stages())


INSTRUMENT = Clean()
