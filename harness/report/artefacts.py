"""Reads what the profilers left in a results directory into harness.judge.views.ProfileData.

Owns the file side of reporting: which runs' artefacts a report uses (the first profiled
baseline and candidate run of every scenario and combination), reading py-spy's collapsed
stacks and flame graphs, and memory timelines — a `memory_timeline` artefact
(`ksbench-memory-timeline/1`: {"source", "points": [[seconds, rss_bytes], …]}) when a run
carries one, else memray's own periodic snapshots read from its capture. An unreadable
artefact is a line in `problems`, never an exception.

Must not: compute what the report shows (harness.judge.views does) or render anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.judge.views import Key, ProfileData
from harness.results import BASELINE, CANDIDATE, Run, Suite
from harness.run import instruments

TIMELINE_FORMAT = "ksbench-memory-timeline/1"
FLAMEGRAPH_MAX_BYTES = 2_000_000  # larger SVGs are linked, not inlined


def _profiled(suite: Suite, instrument: str) -> dict[Key, Run]:
    chosen: dict[Key, Run] = {}
    for run in suite.runs():
        if run.instrument != instrument or run.variant or run.role not in (BASELINE, CANDIDATE):
            continue
        key = (run.scenario, run.combination)
        if key not in chosen or run.repetition < chosen[key].repetition:
            chosen[key] = run
    return chosen


def load(out: Path, suite: Suite) -> ProfileData:
    problems: list[str] = []
    existing = frozenset(
        path for run in suite.runs() for path in run.artefacts.values() if (out / path).is_file()
    )
    stacks: dict[Key, dict[tuple[str, ...], int]] = {}
    svgs: dict[Key, str] = {}
    for key, run in _profiled(suite, instruments.PYSPY).items():
        raw = run.artefacts.get("pyspy_raw")
        if raw and raw in existing:
            parsed = instruments.parse_collapsed((out / raw).read_text(encoding="utf-8", errors="replace"))
            if parsed:
                stacks[key] = parsed
            else:
                problems.append(f"{raw}: no samples")
        flame = run.artefacts.get("pyspy_flamegraph")
        if flame and flame in existing and (out / flame).stat().st_size <= FLAMEGRAPH_MAX_BYTES:
            svgs[key] = (out / flame).read_text(encoding="utf-8", errors="replace")
    timelines: dict[Key, tuple[tuple[float, float], ...]] = {}
    sources: set[str] = set()
    for key, run in _profiled(suite, instruments.MEMRAY).items():
        stored = run.artefacts.get("memory_timeline")
        capture = run.artefacts.get("memray_capture")
        if stored and stored in existing:
            try:
                data = json.loads((out / stored).read_text(encoding="utf-8"))
                if data.get("format_version") != TIMELINE_FORMAT:
                    raise ValueError(f"format_version {data.get('format_version')!r}")
                timelines[key] = tuple((float(t), float(rss)) for t, rss in data["points"])
                sources.add(str(data.get("source", "a sampler")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                problems.append(f"{stored}: {exc}")
        elif capture and capture in existing:
            read = instruments.memray_timeline(out / capture)
            if isinstance(read, instruments.ToolProblem):
                problems.append(f"{capture}: {read.reason}")
            elif read:
                timelines[key] = tuple((t, float(rss)) for t, rss, _heap in read)
                sources.add("memray snapshots")
    return ProfileData(
        stacks=stacks,
        timelines=timelines,
        timeline_source=", ".join(sorted(sources)) or "memray snapshots",
        flamegraph_svgs=svgs,
        existing=existing,
        problems=tuple(problems),
    )
