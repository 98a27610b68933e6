"""What the reports show, computed once: plot series, tables, the CPU shift and history steps. Pure.

Owns every aggregation a report or the history needs — per-phase bars with the plan's promised
range, scaling curves against cluster size, memory timelines, the combination heat map, the
py-spy self-time shift between baseline and all phases, parity digests, and steps across
commits — as frozen values that harness.report render without computing.

Must not: read files, spawn processes or print (harness.report.artefacts loads what the profilers left;
the commands wire it together). Statistics come from harness.judge.stats, judgements from harness.judge.gates.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from harness import profiles
from harness import timelines as timeline
from harness.judge import gates, noise, stats
from harness.results import (
    ALL_PHASES,
    BASELINE,
    CANDIDATE,
    CLEAN,
    MISMATCH,
    OK,
    WARMUP,
    Machine,
    Suite,
    combination_numbers,
    phases_of,
)
from scanner.phases import PHASE_NAMES

METRIC_LABELS = {
    "cpu_seconds": "CPU",
    "wall_seconds": "wall",
    "peak_rss_bytes": "peak RSS",
    "heap_peak_bytes": "heap (memray)",
    "python_bytes_at_peak": "Python heap (memray)",
}
BAR_METRICS = ("cpu_seconds", "wall_seconds", "peak_rss_bytes")
SCALING_METRICS = ("cpu_seconds", "wall_seconds", "peak_rss_bytes")
TOP_FUNCTIONS = 15
MEMRAY_METRICS = ("python_bytes_at_peak", "heap_peak_bytes")  # preferred first
# The all-phases gate target per metric, as a percent change (None: that gate does not exist there).
GATE_TARGET_PERCENT = {
    "cpu_seconds": (gates.CPU_TARGET_RATIO - 1.0) * 100.0,
    "peak_rss_bytes": (gates.MEMORY_TARGET_RATIO - 1.0) * 100.0,
    "wall_seconds": (gates.SMALL_WALL_TARGET_RATIO - 1.0) * 100.0,
}

Key = tuple[str, str]  # (scenario, combination)
Stacks = Mapping[tuple[str, ...], int]


@dataclass(frozen=True)
class ProfileData:
    """What the profilers left in a results directory, already read (harness.report.artefacts does)."""

    stacks: Mapping[Key, Stacks] = field(default_factory=dict)  # py-spy collapsed stacks
    rate_hz: float = profiles.PYSPY_RATE_HZ
    # (seconds since start, RSS bytes) of one profiled run, e.g. memray's periodic snapshots.
    timelines: Mapping[Key, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    timeline_source: str = "memray snapshots"
    flamegraph_svgs: Mapping[Key, str] = field(default_factory=dict)  # py-spy flame graphs, inline
    existing: frozenset[str] = frozenset()  # artefact paths (relative to the results dir) present
    # Artefact name → what a reader calls it: the instruments' linked artefacts, in their order.
    link_kinds: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # artefacts that were expected but could not be read
    # A clean run's /proc timeline and stage spans, for the first baseline and all-phases run.
    run_timelines: Mapping[Key, RunTimeline] = field(default_factory=dict)


@dataclass(frozen=True)
class RunTimeline:
    """What one clean run's timeline artefacts hold: /proc samples and the scanner's stage spans."""

    repetition: int
    samples: tuple[timeline.Sample, ...]
    spans: tuple[timeline.Span, ...]


@dataclass(frozen=True)
class StageTimeline:
    """A clean run's CPU and RSS over time with its stage bands and peaks, ready to draw."""

    scenario: str
    combination: str
    repetition: int
    cores: tuple[tuple[float, float], ...]  # (end of a 1 s window, cores used in it)
    rss: tuple[tuple[float, float], ...]  # (t, bytes)
    bands: tuple[tuple[str, float, float], ...]  # (stage, begin, end), outer stages first
    peaks: timeline.Peaks


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str  # P1 … P6, all
    metric: str
    change_percent: float | None
    ci_low_percent: float | None
    ci_high_percent: float | None
    verdict: str  # stats verdict, or "" when there is no comparison
    promised: tuple[float, float] | None = None  # the plan's promise as a change range, e.g. (-40, -30)
    target_percent: float | None = None  # the all-phases gate target on this scenario
    on_top: tuple[float, float, float] | None = None  # all vs all-without-this-phase: change, CI

    @property
    def tone(self) -> str:
        """lower/higher: significant after BH in the table's family; lower?/higher?: the CI excludes 0 but BH does not
        confirm it; unclear: the CI straddles 0 or there are too few runs."""
        if self.verdict in (stats.LOWER, stats.HIGHER):
            return self.verdict
        if self.ci_high_percent is not None and self.ci_high_percent < 0:
            return "lower?"
        if self.ci_low_percent is not None and self.ci_low_percent > 0:
            return "higher?"
        return "unclear"


@dataclass(frozen=True)
class PhaseBars:
    scenario: str
    resource_count: int | None
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class ScalingPoint:
    resource_count: int
    median: float
    low: float  # smallest run
    high: float  # largest run
    runs: int


@dataclass(frozen=True)
class ScalingSeries:
    combination: str
    metric: str
    points: tuple[ScalingPoint, ...]


@dataclass(frozen=True)
class Timeline:
    scenario: str
    combination: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Cell:
    change_percent: float
    significant: bool
    tested: bool  # False: one deterministic profiled run each (memray), a plain ratio


@dataclass(frozen=True)
class HeatMap:
    rows: tuple[str, ...]  # combinations
    columns: tuple[str, ...]  # "scenario\nmetric"
    cells: tuple[tuple[Cell | None, ...], ...]


@dataclass(frozen=True)
class ArtefactLink:
    kind: str  # "memray flame graph", "py-spy flame graph", …
    href: str  # relative to the report file
    present: bool


@dataclass(frozen=True)
class LinkRow:
    scenario: str
    combination: str
    links: tuple[ArtefactLink | None, ...]  # one per ReportView.link_kinds value, in that order


@dataclass(frozen=True)
class FunctionShift:
    function: str
    baseline_self_seconds: float
    candidate_self_seconds: float

    @property
    def delta_seconds(self) -> float:
        return self.candidate_self_seconds - self.baseline_self_seconds


@dataclass(frozen=True)
class CpuShift:
    scenario: str
    candidate: str
    baseline_sampled_seconds: float
    candidate_sampled_seconds: float
    shifts: tuple[FunctionShift, ...]  # by |change|, largest first


@dataclass(frozen=True)
class ParityRow:
    combination: str
    variant: str
    runs: int
    digests: tuple[str, ...]
    identical: bool


@dataclass(frozen=True)
class ParityView:
    scenario: str
    reference: str | None
    rows: tuple[ParityRow, ...]
    mismatches: tuple[str, ...]  # each with the minimal diff the runner recorded


@dataclass(frozen=True)
class ReportView:
    title: str
    verdict: gates.Verdict
    suite: Suite
    phase_bars: tuple[PhaseBars, ...]
    scaling: tuple[ScalingSeries, ...]  # empty when fewer than two scenario sizes were run
    threshold_resources: int
    timelines: tuple[Timeline, ...]
    timeline_note: str
    heat_map: HeatMap
    links: tuple[LinkRow, ...]
    link_kinds: tuple[str, ...]  # the column headings of `links`
    flamegraphs: tuple[tuple[str, str, str], ...]  # (scenario, combination, inline SVG)
    cpu_shift: CpuShift | None
    cpu_shift_note: str
    parity: tuple[ParityView, ...]
    machine: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]
    stage_timelines: tuple[StageTimeline, ...] = ()  # baseline and all phases, largest scenario
    stage_timeline_note: str = ""


def percent(ratio: float) -> float:
    return (ratio - 1.0) * 100.0


def largest_scenario(suite: Suite, among: Sequence[str] | None = None) -> str | None:
    names = list(among) if among is not None else suite.scenario_names()
    if not names:
        return None

    def size(name: str) -> int:
        info = suite.scenario(name)
        return info.resource_count if info and info.resource_count is not None else -1

    return max(names, key=lambda n: (size(n), names.index(n)))


def combination_order(combination: str) -> tuple[int, list[int], str]:
    """baseline, single phases, then by number of phases (all), then candidates beyond the plan."""
    found = combination_numbers(combination)
    if found is None and combination != "baseline":
        phases = phases_of(combination)
        plan = sorted(phases.numbers) if phases is not None else []
        return (len(PHASE_NAMES) + 1 + len(plan), plan, combination)
    numbers = sorted(found or ())
    return (len(numbers), numbers, combination)


def combinations(suite: Suite, scenario: str | None = None) -> list[str]:
    """Combinations run: baseline, single phases, then by number of phases (all last)."""
    seen = {one.combination for one in suite.series if scenario is None or one.scenario == scenario}
    return sorted(seen, key=combination_order)


def _comparison_bar(
    label: str,
    metric: str,
    c: stats.Comparison | None,
    *,
    promised: tuple[float, float] | None = None,
    target_percent: float | None = None,
    on_top: tuple[float, float, float] | None = None,
) -> Bar:
    if c is None or math.isnan(c.median_ratio):
        change = low = high = None
    else:
        change = percent(c.median_ratio)
        low = None if math.isnan(c.ci_low) else percent(c.ci_low)
        high = None if math.isnan(c.ci_high) else percent(c.ci_high)
    verdict = "" if c is None else c.verdict
    return Bar(label, metric, change, low, high, verdict, promised, target_percent, on_top)


def phase_bars(suite: Suite, verdict: gates.Verdict) -> tuple[PhaseBars, ...]:
    out: list[PhaseBars] = []
    for scenario in suite.scenario_names():
        info = suite.scenario(scenario)
        count = info.resource_count if info else None
        by_numbers = {combination_numbers(c): c for c in combinations(suite, scenario)}
        effects = {p.phase: p for p in verdict.phases if p.scenario == scenario}
        bars: list[Bar] = []
        for metric in BAR_METRICS:
            for promise in gates.PROMISES:
                name = by_numbers.get(frozenset({promise.phase}))
                promised = (-promise.high_percent, -promise.low_percent) if promise.metric == metric else None
                effect = effects.get(promise.phase)
                on_top = None
                if promise.metric == metric and effect is not None and effect.in_combination is not None:
                    ic = effect.in_combination
                    if not math.isnan(ic.ci_low):
                        on_top = (percent(ic.median_ratio), percent(ic.ci_low), percent(ic.ci_high))
                comparison = verdict.comparisons.get((scenario, name, metric)) if name else None
                bars.append(
                    _comparison_bar(f"P{promise.phase}", metric, comparison, promised=promised, on_top=on_top)
                )
            target = _gate_target(metric, count)
            bars.append(
                _comparison_bar(
                    "all",
                    metric,
                    verdict.comparisons.get((scenario, ALL_PHASES, metric)),
                    target_percent=target,
                )
            )
        if any(b.change_percent is not None for b in bars):
            out.append(PhaseBars(scenario, count, tuple(bars)))
    return tuple(out)


def _gate_target(metric: str, count: int | None) -> float | None:
    if count is None:
        return None
    if metric == "peak_rss_bytes" and count <= gates.LARGE_ABOVE_RESOURCES:
        return None
    if metric == "wall_seconds" and count > gates.SMALL_AT_MOST_RESOURCES:
        return None
    return GATE_TARGET_PERCENT[metric]


def clean_values(suite: Suite, scenario: str, combination: str, metric: str) -> list[float]:
    """Figures of the measured clean runs (baseline, A/A and candidates; never warm-up or race)."""
    return suite.measured_values(scenario, combination, metric)


def scaling(suite: Suite) -> tuple[ScalingSeries, ...]:
    sized = [(info.resource_count, info.name) for info in suite.scenarios if info.resource_count is not None]
    if len({count for count, _ in sized}) < 2:
        return ()
    out: list[ScalingSeries] = []
    for combination in ("baseline", ALL_PHASES):
        for metric in SCALING_METRICS:
            points = []
            for count, name in sorted(sized):
                values = clean_values(suite, name, combination, metric)
                if values:
                    points.append(
                        ScalingPoint(count, float(np.median(values)), min(values), max(values), len(values))
                    )
            if points:
                out.append(ScalingSeries(combination, metric, tuple(points)))
    return tuple(out)


def heat_map(suite: Suite, verdict: gates.Verdict) -> HeatMap:
    """Combinations × (scenario · metric): median change vs baseline; memray heap peak when profiled."""
    scenarios = suite.scenario_names()
    rows = [c for c in combinations(suite) if c != "baseline"]
    columns: list[tuple[str, str]] = []
    for scenario in scenarios:
        columns += [(scenario, metric) for metric in BAR_METRICS]
        memray = _memray_metric(suite, scenario)
        if memray is not None:
            columns.append((scenario, memray))
    cells: list[tuple[Cell | None, ...]] = []
    for combination in rows:
        row: list[Cell | None] = []
        for scenario, metric in columns:
            if metric in MEMRAY_METRICS:
                row.append(_memray_cell(suite, scenario, combination, metric))
                continue
            c = verdict.comparisons.get((scenario, combination, metric))
            if c is None or math.isnan(c.median_ratio):
                row.append(None)
            else:
                row.append(Cell(percent(c.median_ratio), c.verdict in (stats.LOWER, stats.HIGHER), True))
        cells.append(tuple(row))
    labels = tuple(f"{scenario}\n{METRIC_LABELS[metric]}" for scenario, metric in columns)
    return HeatMap(tuple(rows), labels, tuple(cells))


def _memray_metric(suite: Suite, scenario: str) -> str | None:
    """The memray figure to compare: the Python side at the peak (mmap and Go runtime records
    separated out: docs/measuring.md), else memray's own peak."""
    present = {
        key
        for r in suite.runs()
        if r.scenario == scenario and r.ok
        for key in r.metrics
        if key in MEMRAY_METRICS
    }
    return next((m for m in MEMRAY_METRICS if m in present), None)


def _memray_cell(suite: Suite, scenario: str, combination: str, metric: str) -> Cell | None:
    # memray's heap figures are deterministic run to run: one profiled run each, a plain ratio.
    def first(name: str, role: str) -> float | None:
        return next(
            (
                r.metrics[metric]
                for r in suite.runs()
                if r.scenario == scenario
                and r.combination == name
                and r.instrument != CLEAN  # heap figures come from an explaining instrument (memray)
                and r.role == role
                and r.ok
                and metric in r.metrics
            ),
            None,
        )

    base, cand = first("baseline", BASELINE), first(combination, CANDIDATE)
    if base is None or cand is None or base <= 0:
        return None
    return Cell(percent(cand / base), False, False)


def links(suite: Suite, profile: ProfileData, prefix: str) -> tuple[LinkRow, ...]:
    """Per (scenario, combination) profiled: a link to each profiler file, relative to the report."""
    found: dict[Key, dict[str, ArtefactLink]] = {}
    for run in suite.runs():
        if run.instrument == CLEAN or run.variant:
            continue
        for name, kind in profile.link_kinds.items():
            path = run.artefacts.get(name)
            if path:
                # Quoted, and never a scheme: a stored path such as "javascript:…" stays a file name.
                quoted = urllib.parse.quote(path)
                href = f"{prefix.rstrip('/')}/{quoted}" if prefix not in ("", ".") else f"./{quoted}"
                found.setdefault((run.scenario, run.combination), {}).setdefault(
                    kind, ArtefactLink(kind, href, path in profile.existing)
                )
    order = {name: i for i, name in enumerate(suite.scenario_names())}
    return tuple(
        LinkRow(scenario, combination, tuple(kinds.get(kind) for kind in profile.link_kinds.values()))
        for (scenario, combination), kinds in sorted(
            found.items(), key=lambda item: (order.get(item[0][0], 0), combination_order(item[0][1]))
        )
    )


def cpu_shift(
    baseline: Stacks, candidate: Stacks, rate_hz: float, scenario: str, name: str, top: int = TOP_FUNCTIONS
) -> CpuShift:
    """Where CPU time moved: per-function self time in the candidate minus the baseline's."""
    base = profiles.function_times(baseline, rate_hz)
    cand = profiles.function_times(candidate, rate_hz)
    base_self = {f.function: f.self_seconds for f in base.functions}
    cand_self = {f.function: f.self_seconds for f in cand.functions}
    shifts = [
        FunctionShift(function, base_self.get(function, 0.0), cand_self.get(function, 0.0))
        for function in base_self.keys() | cand_self.keys()
    ]
    shifts = [s for s in shifts if s.delta_seconds != 0.0]
    shifts.sort(key=lambda s: (-abs(s.delta_seconds), s.function))
    return CpuShift(scenario, name, base.sampled_seconds, cand.sampled_seconds, tuple(shifts[:top]))


def _pick_pair(keys: Sequence[Key], suite: Suite) -> str | None:
    """The largest scenario that has both a baseline and an all-phases entry."""
    both = [s for s in suite.scenario_names() if (s, "baseline") in keys and (s, ALL_PHASES) in keys]
    return largest_scenario(suite, both) if both else None


def parity(suite: Suite) -> tuple[ParityView, ...]:
    out: list[ParityView] = []
    for scenario in suite.scenario_names():
        runs = [r for r in suite.runs() if r.scenario == scenario and r.report_digest is not None]
        reference = suite.reference_digest(scenario)
        groups: dict[tuple[str, str], list[str]] = {}
        for r in runs:
            groups.setdefault((r.combination, r.variant), []).append(r.report_digest or "")
        rows = tuple(
            ParityRow(
                combination,
                variant,
                len(digests),
                tuple(dict.fromkeys(digests)),
                reference is not None and set(digests) == {reference},
            )
            for (combination, variant), digests in sorted(
                groups.items(), key=lambda item: (combination_order(item[0][0]), item[0][1])
            )
        )
        mismatches = tuple(
            r.reason or "digest differs from the baseline's"
            for r in suite.runs()
            if r.scenario == scenario and r.status == MISMATCH
        )
        if rows or mismatches:
            out.append(ParityView(scenario, reference, rows, mismatches))
    return tuple(out)


def machine_rows(suite: Suite) -> tuple[tuple[str, str], ...]:
    m = suite.machine
    config = suite.config
    rows = [
        ("Python", f"{m.python_implementation} {m.python_version}"),
        ("platform", m.platform),
        ("CPUs", str(m.cpu_count) if m.cpu_count is not None else "?"),
        ("Rego engine", m.engine or "unknown"),
        *((tool, version or "missing") for tool, version in m.tool_versions().items()),
        ("ksbench", m.ksbench_version),
        ("commit", f"{m.git_commit or '?'}{' (dirty)' if m.git_dirty else ''}"),
        ("results written", suite.created_at or "?"),
    ]
    for key in ("scenarios", "combinations", "instruments", "repeat", "scan_args"):
        if key in config:
            value = config[key]
            rows.append((key, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    for info in suite.scenarios:
        rows.append(
            (
                f"scenario {info.name}",
                f"{info.resource_count if info.resource_count is not None else '?'} resources; "
                f"backend {info.backend or '?'}; fingerprint {(info.fingerprint or '?')[:16]}",
            )
        )
        for name, cluster in info.clusters.items():
            rows.append(
                (
                    f"variant {name} on {info.name}",
                    f"scanned {cluster.get('scenario')} (ACROSS CLUSTERS: without "
                    f"{', '.join(cluster.get('stripped') or []) or 'no field'}); fingerprint "
                    f"{str(cluster.get('fingerprint') or '?')[:16]}; parity ignored "
                    f"{', '.join(info.parity_ignores) or 'nothing'} in raw resources",
                )
            )
    variants = config.get("variants")
    for name, given in variants.items() if isinstance(variants, dict) else []:
        runtime = given.get("runtime_env") if isinstance(given, dict) else None
        if runtime:
            rows.append(
                (f"variant {name} Go runtime", ", ".join(f"{k}={v}" for k, v in sorted(runtime.items())))
            )
    return tuple(rows)


def report_view(
    suite: Suite, verdict: gates.Verdict, profile: ProfileData, link_prefix: str = ""
) -> ReportView:
    """Everything the HTML report draws, from stored results and what the profilers left."""
    largest = largest_scenario(suite)
    timeline_keys = list(profile.timelines)
    pair = _pick_pair(timeline_keys, suite)
    if pair is not None:
        timelines = tuple(Timeline(pair, c, profile.timelines[(pair, c)]) for c in ("baseline", ALL_PHASES))
        note = (
            f"{pair} ({_count(suite, pair)} resources): RSS over time from {profile.timeline_source} of the "
            "profiled runs — the shape, not the gated figure (profilers slow the scan)."
        )
        if largest is not None and pair != largest:
            note += f" The largest scenario ({largest}) has no timeline for both."
    else:
        timelines = ()
        note = (
            "absent: these results carry no memory timeline for both the baseline and all phases "
            "(a timeline comes from memray runs: bench with --instruments memray and keep memray.bin)."
        )
    stack_keys = list(profile.stacks)
    spy_pair = _pick_pair(stack_keys, suite)
    shift = None
    shift_note = ""
    if spy_pair is not None:
        shift = cpu_shift(
            profile.stacks[(spy_pair, "baseline")],
            profile.stacks[(spy_pair, ALL_PHASES)],
            profile.rate_hz,
            spy_pair,
            ALL_PHASES,
        )
        shift_note = (
            f"{spy_pair}: one py-spy run each at {profile.rate_hz:g} Hz; self time per function, "
            "all phases minus baseline. Single profiled runs: read large shifts, not small ones."
        )
    else:
        shift_note = (
            "absent: no py-spy stacks for both the baseline and all phases (bench with --instruments pyspy)."
        )
    flames = tuple(
        (scenario, combination, svg)
        for (scenario, combination), svg in profile.flamegraph_svgs.items()
        if scenario == (spy_pair or largest) and combination in ("baseline", ALL_PHASES)
    )
    stage_timelines, stage_note = _stage_timelines(suite, profile, largest)
    commit = suite.machine.git_commit
    title = f"ksbench report — {', '.join(suite.scenario_names())}" + (f" @ {commit[:12]}" if commit else "")
    return ReportView(
        title=title,
        verdict=verdict,
        suite=suite,
        phase_bars=phase_bars(suite, verdict),
        scaling=scaling(suite),
        threshold_resources=gates.LARGE_ABOVE_RESOURCES,
        timelines=timelines,
        timeline_note=note,
        heat_map=heat_map(suite, verdict),
        links=links(suite, profile, link_prefix),
        link_kinds=tuple(profile.link_kinds.values()),
        flamegraphs=flames,
        cpu_shift=shift,
        cpu_shift_note=shift_note,
        parity=parity(suite),
        machine=machine_rows(suite),
        problems=profile.problems,
        stage_timelines=stage_timelines,
        stage_timeline_note=stage_note,
    )


def _stage_timelines(
    suite: Suite, profile: ProfileData, largest: str | None
) -> tuple[tuple[StageTimeline, ...], str]:
    keys = [(largest, c) for c in ("baseline", ALL_PHASES)] if largest else []
    found = [(key, profile.run_timelines[key]) for key in keys if key in profile.run_timelines]
    if not found:
        return (), (
            f"absent: no clean run of {largest or 'any scenario'} carries a /proc timeline for the baseline "
            "and all phases (results from before timelines, or the all-phases combination was not run)."
        )
    out = []
    for (scenario, combination), run in found:
        peaks = timeline.analyse(run.samples, run.spans)
        if peaks is None:
            continue
        out.append(
            StageTimeline(
                scenario,
                combination,
                run.repetition,
                tuple((t, c) for t, c, _ in timeline.window_cores(run.samples)),
                tuple((t, float(rss)) for t, _, rss in run.samples),
                tuple(timeline.stage_bands(run.spans)),
                peaks,
            )
        )
    note = (
        f"{largest} ({_count(suite, largest or '')} resources), one clean run each: cores used over a "
        f"sliding {timeline.WINDOW_SECONDS:g} s window and RSS, sampled from /proc; shaded: the scanner's "
        "stages. The peaks are labelled with the stage they fell in."
    )
    return tuple(out), note


def _count(suite: Suite, scenario: str) -> str:
    info = suite.scenario(scenario)
    return f"{info.resource_count:,}" if info and info.resource_count is not None else "?"


# --- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBench:
    path: str  # where its results.json lives, as given
    suite: Suite


@dataclass(frozen=True)
class HistoryPoint:
    path: str
    created_at: str
    commit: str
    dirty: bool
    median: float
    ci_low: float
    ci_high: float
    runs: int
    noise_percent: float | None  # the A/A spread of that bench's baseline, when measured
    change_percent: float | None  # vs the previous point
    step: str  # "", "up" or "down": a change beyond the noise and both intervals


@dataclass(frozen=True)
class BenchEntry:
    path: str
    created_at: str
    commit: str
    dirty: bool
    scenarios: tuple[str, ...]
    combinations: int
    runs_ok: int
    runs_total: int


@dataclass(frozen=True)
class MachineHistory:
    machine: str
    benches: tuple[BenchEntry, ...]
    points: tuple[HistoryPoint, ...]


def machine_label(m: Machine) -> str:
    return (
        f"{m.platform}, {m.cpu_count or '?'} CPUs, {m.python_implementation} {m.python_version}, "
        f"engine {m.engine or '?'}"
    )


def _entry(bench: StoredBench) -> BenchEntry:
    runs = [r for r in bench.suite.runs() if r.role != WARMUP]
    m = bench.suite.machine
    return BenchEntry(
        bench.path,
        bench.suite.created_at,
        m.git_commit or "?",
        bool(m.git_dirty),
        tuple(bench.suite.scenario_names()),
        len(combinations(bench.suite)),
        sum(1 for r in runs if r.status == OK),
        len(runs),
    )


def history(
    benches: Sequence[StoredBench], metric: str, scenario: str, combination: str
) -> tuple[MachineHistory, ...]:
    """Per machine, in the order the benches were made: the metric's median with its CI, and steps.

    A step between consecutive benches is a change larger than the A/A noise floor of both
    (when measured) whose two median intervals do not overlap — a change beyond the noise.
    """
    groups: dict[str, list[StoredBench]] = {}
    for bench in benches:
        groups.setdefault(machine_label(bench.suite.machine), []).append(bench)
    out: list[MachineHistory] = []
    for label, members in groups.items():
        members = sorted(members, key=lambda b: (b.suite.created_at, b.path))
        points: list[HistoryPoint] = []
        for bench in members:
            values = clean_values(bench.suite, scenario, combination, metric)
            if not values:
                continue
            median, low, high = stats.bootstrap_median_ci(values)
            noise = _noise(bench.suite, scenario, metric)
            change: float | None = None
            step = ""
            if points:
                before = points[-1]
                change = percent(median / before.median) if before.median > 0 else None
                apart = low > before.ci_high or high < before.ci_low
                floor = max((n for n in (noise, before.noise_percent) if n is not None), default=0.0)
                if change is not None and apart and abs(change) > floor:
                    step = "up" if change > 0 else "down"
            m = bench.suite.machine
            points.append(
                HistoryPoint(
                    bench.path, bench.suite.created_at, m.git_commit or "?", bool(m.git_dirty),
                    median, low, high, len(values), noise, change, step,
                )
            )  # fmt: skip
        out.append(MachineHistory(label, tuple(_entry(b) for b in members), tuple(points)))
    return tuple(out)


def _noise(suite: Suite, scenario: str, metric: str) -> float | None:
    floor = noise.noise_floor(suite, scenario, metric)
    return floor.spread_percent if floor is not None else None
