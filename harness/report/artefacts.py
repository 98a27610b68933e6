"""Reads what the profilers left in a results directory into harness.judge.views.ProfileData.

Owns the file side of reporting: which runs' artefacts a report uses (per scenario and
combination, the first baseline or candidate run that carries the artefact), reading py-spy's
collapsed stacks (`pyspy_raw`) and flame graphs (`pyspy_flamegraph`), and memory timelines (a
`memory_timeline` artefact, `ksbench-memory-timeline/1`: {"source", "points": [[seconds,
rss_bytes], …]}, whichever instrument wrote it). Artefacts are found by name, not by instrument:
a new instrument's timeline is read without a change here. Also the /proc timeline (`timeline`,
`ksbench-timeline/1`) and stage events (`stage_events`) of the first clean baseline and
all-phases run of each scenario. An unreadable artefact is a line in `problems`, never an
exception.

Must not: read a tool's binary capture (instruments summarise those at measure time), compute
what the report shows (harness.judge.views does) or render anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harness.judge.views import Key, ProfileData, RunTimeline
from harness.profiles import flamegraph_svg, parse_collapsed
from harness.results import (
    ALL_PHASES,
    BASELINE,
    BASELINE_COMBINATION,
    CANDIDATE,
    CLEAN,
    RESULTS_MAX_BYTES,
    ArtefactOutside,
    Run,
    Suite,
    artefact_file,
    capped,
    read_artefact_text,
)
from harness.timelines import parse_stage_events, parse_timeline, spans
from scanner.decode import Budget, Meter, OverBudget, load_json
from scanner.numbers import FINITE_JSON

TIMELINE_FORMAT = "ksbench-memory-timeline/1"


def _carrying(suite: Suite, artefact: str) -> dict[Key, Run]:
    """Per (scenario, combination): the earliest baseline or candidate run that left `artefact`."""
    chosen: dict[Key, Run] = {}
    for run in suite.runs():
        if artefact not in run.artefacts or run.variant or run.role not in (BASELINE, CANDIDATE):
            continue
        key = (run.scenario, run.combination)
        if key not in chosen or run.repetition < chosen[key].repetition:
            chosen[key] = run
    return chosen


def _timeline(path: Path) -> tuple[tuple[tuple[float, float], ...], str]:
    try:
        data = load_json(read_artefact_text(path), Meter(Budget.for_bytes(RESULTS_MAX_BYTES)), **FINITE_JSON)
    except OverBudget as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(data, dict) or data.get("format_version") != TIMELINE_FORMAT:
        raise ValueError(f"format_version {data.get('format_version')!r}")
    points = tuple((float(t), float(rss)) for t, rss in data["points"])
    return points, str(data.get("source", "a sampler"))


def _first_clean(suite: Suite) -> dict[Key, Run]:
    """The first measured clean run of the baseline and of all phases, per scenario."""
    chosen: dict[Key, Run] = {}
    for run in suite.runs():
        wanted = (run.combination, run.role) in ((BASELINE_COMBINATION, BASELINE), (ALL_PHASES, CANDIDATE))
        if run.instrument != CLEAN or run.variant or not wanted or not run.ok:
            continue
        key = (run.scenario, run.combination)
        if key not in chosen or run.repetition < chosen[key].repetition:
            chosen[key] = run
    return chosen


def _run_timelines(
    out: Path, suite: Suite, existing: frozenset[str], problems: list[str]
) -> dict[Key, RunTimeline]:
    found: dict[Key, RunTimeline] = {}
    for key, run in _first_clean(suite).items():
        path = run.artefacts.get("timeline")
        if not path or path not in existing:
            continue
        try:
            samples = parse_timeline(read_artefact_text(out / path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        events = run.artefacts.get("stage_events")
        try:
            text = read_artefact_text(out / events, errors="replace") if events and events in existing else ""
        except (OSError, ValueError) as exc:
            problems.append(f"{events}: {exc}")
            text = ""
        found[key] = RunTimeline(run.repetition, samples, spans(parse_stage_events(text)))
    return found


def _inside(out: Path, suite: Suite, problems: list[str]) -> frozenset[str]:
    """Stored artefact paths naming a file inside `out`; every other one is a problem, never read."""
    found: set[str] = set()
    refused: list[str] = []
    for path in sorted({path for run in suite.runs() for path in run.artefacts.values()}):
        try:
            if artefact_file(out, path).is_file():
                found.add(path)
        except ArtefactOutside as exc:
            refused.append(str(exc))
    problems += capped(refused, "refused artefact paths")
    return frozenset(found)


def load(out: Path, suite: Suite, link_kinds: Mapping[str, str] | None = None) -> ProfileData:
    """What the runs in `out` left; link_kinds: the instruments' linked artefacts (none: no links)."""
    problems: list[str] = []
    existing = _inside(out, suite, problems)
    stacks: dict[Key, dict[tuple[str, ...], int]] = {}
    for key, run in _carrying(suite, "pyspy_raw").items():
        raw = run.artefacts["pyspy_raw"]
        if raw in existing:
            try:
                parsed = parse_collapsed(read_artefact_text(out / raw, errors="replace"))
            except (OSError, ValueError) as exc:
                problems.append(f"{raw}: {exc}")
                continue
            if parsed:
                stacks[key] = parsed
            else:
                problems.append(f"{raw}: no samples")
    svgs: dict[Key, str] = {}
    for key, run in _carrying(suite, "pyspy_flamegraph").items():
        flame = run.artefacts["pyspy_flamegraph"]
        # Never the stored SVG (it could carry a script): drawn again from the stacks, names escaped.
        if flame in existing and key in stacks:
            svgs[key] = flamegraph_svg(stacks[key], f"{key[0]} · {key[1]}")
    timelines: dict[Key, tuple[tuple[float, float], ...]] = {}
    sources: set[str] = set()
    for key, run in _carrying(suite, "memory_timeline").items():
        stored = run.artefacts["memory_timeline"]
        if stored not in existing:
            continue
        try:
            timelines[key], source = _timeline(out / stored)
            sources.add(source)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{stored}: {exc}")
    run_timelines = _run_timelines(out, suite, existing, problems)
    return ProfileData(
        run_timelines=run_timelines,
        stacks=stacks,
        timelines=timelines,
        timeline_source=", ".join(sorted(sources)) or "memray snapshots",
        flamegraph_svgs=svgs,
        existing=existing,
        problems=tuple(problems),
        link_kinds=dict(link_kinds or {}),
    )
