"""The plan's success criteria as gates, and per phase the promise next to the measurement. Pure.

Owns the judgement on stored results (harness.results.Suite): which comparisons are made, the
gate targets, the per-phase promises, main effects and pairwise interactions, and the exit code
the verdict implies. Gates are judged on the all-phases combination from clean runs only
(profiled runs explain, they are never gated). A gate passes only when the whole confidence
interval clears its target; a gate whose runs failed to produce figures is "inconclusive" —
a failure to measure is never reported as a regression.

Each of the plan's five criteria is gated only where the plan applies it; elsewhere its figures
are shown as information (INFO), never counted. Criterion 1 is *peak* CPU (cores used over the
busiest second, from the /proc timeline); CPU seconds are shown beside it as the cost, not gated.
The peak gates carry where the baseline's and all phases' peaks were made (the stage most clean
runs name).

Definitions (documented in the README):
  large scenario: more than 2,500 resources (the plan's threshold, compared with `>`);
  small scenario: at most 1,000 resources (the plan tests 100, 1,000 and 5,000: the two smaller).

Must not: read files, spawn processes or print.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import numpy as np

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import noise, power, stats
from harness.judge import stability as findings_stability
from harness.results import (
    ALL_PHASES,
    BASELINE,
    CANDIDATE,
    CLEAN,
    CRASHED,
    MISMATCH,
    RACE,
    TIMEOUT,
    WARMUP,
    Run,
    Suite,
    combination_numbers,
)
from scanner.phases import Phases

METRICS = ("peak_cpu_cores", "cpu_seconds", "peak_rss_bytes", "wall_seconds")
GATE_ONLY_METRICS = ("peak_cpu_cores",)  # no phase promises it: compared for the all-phases gate alone

CPU_TARGET_RATIO = 0.70  # peak CPU ≥30% lower
MEMORY_TARGET_RATIO = 0.60  # peak memory ≥40% lower on large scenarios
SMALL_WALL_TARGET_RATIO = 1.15  # no more than 15% slower on small scenarios
LARGE_WALL_TARGET_RATIO = 1.0  # "improvement on large clusters": the whole interval below the baseline
LARGE_ABOVE_RESOURCES = 2500
SMALL_AT_MOST_RESOURCES = 1000

GateStatus = Literal["pass", "fail", "inconclusive", "not run", "info"]
PASS: Final = "pass"
FAIL: Final = "fail"
INCONCLUSIVE: Final = "inconclusive"
NOT_RUN: Final = "not run"  # the bench did not include what the gate needs (no `all`, no large scenario)
INFO: Final = "info"  # measured where the plan does not apply the criterion: shown, never counted

# Each gate carries its key; `--enforce` takes all but cpu-seconds (information only, never counted).
GateKey = Literal["cpu", "cpu-seconds", "memory", "wall", "findings", "crash"]
GATE_KEYS: tuple[GateKey, ...] = ("cpu", "memory", "wall", "findings", "crash")
GATE_NAMES: dict[GateKey, str] = {
    "cpu": "peak CPU ≥30% lower",
    "cpu-seconds": "CPU seconds (cost)",
    "memory": "peak RSS ≥40% lower",
    "wall": "wall ≤15% worse (small)",
    "findings": "findings",
    "crash": "no crash/race",
}
RATIO_GATES: dict[GateKey, tuple[str, float]] = {  # key → (metric, the ceiling of all / baseline)
    "cpu": ("peak_cpu_cores", CPU_TARGET_RATIO),
    "cpu-seconds": ("cpu_seconds", CPU_TARGET_RATIO),
    "memory": ("peak_rss_bytes", MEMORY_TARGET_RATIO),
    "wall": ("wall_seconds", SMALL_WALL_TARGET_RATIO),
}
# The plan's five success criteria, in its order, and the gates that judge each.
CRITERIA: dict[int, str] = {
    1: "peak CPU ≥30% lower",
    2: "peak memory ≥40% lower above 2,500 resources",
    3: "findings identical",
    4: "no more than 15% slower on small clusters, faster on large ones",
    5: "no new crash or race",
}
CRITERION_OF: dict[GateKey, int] = {
    "cpu": 1,
    "cpu-seconds": 1,
    "memory": 2,
    "findings": 3,
    "wall": 4,
    "crash": 5,
}
# Which peak a gate's PeakPlace names (a stored Run.peak_stages key).
PEAK_OF: dict[GateKey, str] = {"cpu": "peak_cpu", "memory": "peak_rss"}

# What decided a count gate (findings, crash/race), for the reporters to word.
Observed = Literal[
    "ratio",
    "not-run",
    "differ",
    "nothing-compared",
    "identical",
    "crashed",
    "timed-out",
    "no-race-run",
    "runs-ok",
]


@dataclass(frozen=True)
class Promise:
    phase: int
    metric: str
    low_percent: float
    high_percent: float
    large_only: bool

    def describe(self) -> str:
        what = "CPU" if self.metric == "cpu_seconds" else "memory"
        where = " on large" if self.large_only else ""
        return f"{self.low_percent:.0f}–{self.high_percent:.0f}% {what}{where}"


PROMISES = (
    Promise(1, "cpu_seconds", 30, 40, False),
    Promise(2, "peak_rss_bytes", 10, 20, False),
    Promise(3, "cpu_seconds", 5, 10, True),
    Promise(4, "cpu_seconds", 10, 15, False),
    Promise(5, "peak_rss_bytes", 30, 50, True),
    Promise(6, "peak_rss_bytes", 10, 20, False),
)
SMALLEST_PROMISE_PERCENT = min(p.low_percent for p in PROMISES)  # what the bench must be able to resolve


@dataclass(frozen=True)
class Tally:
    """Counts behind a findings or crash/race gate."""

    runs: int = 0
    compared: int = 0  # reports read and compared with the reference
    differ: int = 0  # reports whose findings differ (mismatch), or race runs that differ
    crashed: int = 0
    timed_out: int = 0
    race_ok: int = 0  # successful 2-worker, shuffled-order runs


@dataclass(frozen=True)
class PeakPlace:
    """Where one combination's peak was made: the stage most of its clean runs name."""

    combination: str
    place: str  # "evaluate C-0053 rule-x over the cluster", as harness.timelines labels it
    runs: int  # runs that name it
    of: int  # runs with a timeline


@dataclass(frozen=True)
class Gate:
    """One gate on one scenario, as numbers: reporters word and format it."""

    key: GateKey
    scenario: str
    status: GateStatus
    reason: str = ""
    observed: Observed = "ratio"
    target_ratio: float | None = None  # ratio gates: the ceiling of all/baseline; None when unknown
    comparison: stats.Comparison | None = None  # ratio gates: all phases vs baseline
    tally: Tally = Tally()  # count gates
    would: GateStatus | None = None  # INFO gates: what it would be where the plan applied it
    peaks: tuple[PeakPlace, ...] = ()  # peak gates: baseline's and all phases' peak places

    @property
    def name(self) -> str:
        if self.key == "wall" and self.target_ratio == LARGE_WALL_TARGET_RATIO:
            return "wall lower (large)"
        return GATE_NAMES[self.key]

    @property
    def criterion(self) -> int:
        return CRITERION_OF[self.key]


@dataclass(frozen=True)
class Criterion:
    """One of the plan's criteria over every scenario: gated where the plan applies it."""

    number: int
    title: str
    status: GateStatus  # from its gated gates: FAIL, else INCONCLUSIVE, else PASS; NOT_RUN if none
    gates: tuple[Gate, ...]  # gated
    information: tuple[Gate, ...]  # measured where the plan does not apply it


AssessmentKind = Literal[
    "delivers", "helps-less", "helps-unresolved", "no-effect", "not-significant", "worse", "missing"
]


@dataclass(frozen=True)
class Assessment:
    """A phase's measurement against its promise."""

    kind: AssessmentKind
    applies: bool  # False: the promise is for large clusters and this scenario is not one
    pairs: int = 0  # paired runs behind the comparison
    direction: str = ""  # not-significant: "lower" or "higher", the side its interval is on
    family: str = ""  # the family whose correction it was judged in


@dataclass(frozen=True)
class PhaseEffect:
    phase: int
    scenario: str
    promise: Promise
    applies: bool  # False: the promise is for large scenarios and this one is not
    alone: stats.Comparison | None  # {k} vs baseline
    in_combination: stats.Comparison | None  # all vs all-without-k, paired by block
    main_effect_percent: float | None  # least-squares main effect on the log ratio
    assessment: Assessment


@dataclass(frozen=True)
class Interaction:
    scenario: str
    metric: str
    phases: tuple[int, int]
    effect_percent: float  # extra change when both are on, beyond their main effects
    test: stats.Comparison | None = None  # the per-block fits' coefficients, tested (ratio = exp of it)


@dataclass(frozen=True)
class Verdict:
    comparisons: dict[tuple[str, str, str], stats.Comparison]  # (scenario, combination, metric)
    noise: dict[tuple[str, str], stats.NoiseFloor]  # (scenario, metric)
    gates: tuple[Gate, ...]
    phases: tuple[PhaseEffect, ...]
    interactions: tuple[Interaction, ...]
    interaction_notes: tuple[str, ...]
    missing: tuple[str, ...]  # one line per run without figures: what and why
    mismatches: tuple[str, ...]
    # Gates, per-phase, heat map, interactions: how each table's tests were adjusted.
    families: tuple[stats.Family, ...] = ()
    power: tuple[power.PowerCheck, ...] = field(default=(), compare=False)  # harness.judge.planning fills it
    # Each variant's findings A/A: stable or not, identical to the baseline or not.
    stability: tuple[findings_stability.VariantFindings, ...] = ()

    def family(self, name: str) -> stats.Family | None:
        return next((f for f in self.families if f.name == name), None)

    @property
    def exit_code(self) -> int:
        return self.exit_code_for(None)

    def criteria(self) -> tuple[Criterion, ...]:
        out = []
        for number, title in CRITERIA.items():
            mine = [g for g in self.gates if g.criterion == number]
            gated = tuple(g for g in mine if g.status != INFO)
            statuses = {g.status for g in gated}
            status: GateStatus = next(
                (s for s in (FAIL, INCONCLUSIVE) if s in statuses), PASS if PASS in statuses else NOT_RUN
            )
            out.append(Criterion(number, title, status, gated, tuple(g for g in mine if g.status == INFO)))
        return tuple(out)

    def exit_code_for(self, enforced: frozenset[GateKey] | None) -> int:
        """The exit code counting only the gates whose key is in `enforced` (None: every gate)."""
        if self.mismatches:
            return EXIT_FINDINGS_MISMATCH
        counted = [g for g in self.gates if enforced is None or g.key in enforced]
        if any(g.status == FAIL for g in counted):
            return EXIT_GATE_MISSED
        if any(g.status == INCONCLUSIVE for g in counted):
            return EXIT_ENVIRONMENT
        return EXIT_OK


def parse_enforced(text: str | None) -> frozenset[GateKey] | None:
    """`--enforce cpu,memory` → those keys; None or `all` → every gate."""
    if text is None or text.strip() == "all":
        return None
    given = {k.strip() for k in text.split(",") if k.strip()}
    unknown = sorted(given - set(GATE_KEYS))
    if unknown:
        raise ValueError(f"unknown gate {unknown[0]!r}: choose from {', '.join(GATE_KEYS)} or all")
    return frozenset(key for key in GATE_KEYS if key in given)


def _baseline(suite: Suite, scenario: str, metric: str) -> dict[int, float]:
    return suite.paired_values(scenario, "baseline", metric, BASELINE)


def _combinations(suite: Suite, scenario: str) -> list[str]:
    seen = dict.fromkeys(
        one.combination
        for one in suite.series
        if one.scenario == scenario and one.role == CANDIDATE and one.variant == ""
    )
    return list(seen)


def run_label(run: Run) -> str:
    variant = f" [{run.variant}]" if run.variant else ""
    return f"{run.scenario} · {run.combination}{variant} · {run.instrument} · {run.role} r{run.repetition}"


def _ratio_gate(
    key: GateKey, scenario: str, c: stats.Comparison | None, missing_reason: str, target: float
) -> Gate:

    def gate(status: GateStatus, reason: str = "") -> Gate:
        return Gate(key, scenario, status, reason, "ratio", target, c)

    if c is None or math.isnan(c.ci_high):
        return gate(INCONCLUSIVE, missing_reason)
    if c.ci_high <= target:
        return gate(PASS)
    if c.ci_low > target:
        return gate(FAIL, "missed: the whole interval is above the target")
    return gate(FAIL, "not shown: the interval straddles the target")


def gated_combination(suite: Suite) -> str:
    """What the gates judge: the variant a command bench names, else the all-phases combination,
    else (a bench of candidates such as `baseline;all+X1+X2+X3`) the first one after the baseline."""
    named = suite.config.get("gated")
    if named:
        return str(named)
    combinations = [str(c) for c in suite.config.get("combinations") or ()]
    if ALL_PHASES in combinations:
        return ALL_PHASES
    return next((c for c in combinations if c != "baseline"), ALL_PHASES)


def _all_phases_gate(
    key: GateKey,
    scenario: str,
    has_all: bool,
    comparisons: dict[tuple[str, str, str], stats.Comparison],
    reason: str,
    target: float | None = None,
    gated: str = ALL_PHASES,
) -> Gate:
    metric, ceiling = RATIO_GATES[key]
    ceiling = ceiling if target is None else target
    if not has_all:
        return Gate(key, scenario, NOT_RUN, f"the {gated} combination was not run", "not-run", ceiling)
    return _ratio_gate(key, scenario, comparisons.get((scenario, gated, metric)), reason, ceiling)


def _information(gate: Gate, why: str) -> Gate:
    """A gate measured where the plan does not apply it: shown with its figures, never counted."""
    would = None if gate.status == NOT_RUN else gate.status
    return replace(gate, status=INFO, would=would, reason=why if would else gate.reason)


def peak_places(suite: Suite, scenario: str, peak: str) -> tuple[PeakPlace, ...]:
    """Where a peak was made for the baseline and all phases: the stage most clean runs name."""
    places = []
    for combination, role in (("baseline", BASELINE), (gated_combination(suite), CANDIDATE)):
        named = Counter(
            run.peak_stages[peak]
            for one in suite.find(scenario, combination, CLEAN, role)
            for run in one.runs
            if run.ok and peak in run.peak_stages
        )
        if named:
            place, runs = named.most_common(1)[0]
            places.append(PeakPlace(combination, place, runs, sum(named.values())))
    return tuple(places)


def _missing_reason(suite: Suite, scenario: str, combination: str) -> str:
    failed = [
        r
        for r in suite.runs()
        if r.scenario == scenario
        and r.instrument == CLEAN
        and r.combination in (combination, "baseline")
        and not r.ok
    ]
    if failed:
        return f"{len(failed)} clean runs without figures (e.g. {run_label(failed[0])}: {failed[0].status} {failed[0].reason})"
    return "too few paired clean runs (need 3)"


def _findings_gate(suite: Suite, scenario: str) -> Gate:
    runs = [r for r in suite.runs() if r.scenario == scenario and r.role != WARMUP]
    mismatched = [r for r in runs if r.status == MISMATCH]
    compared = [r for r in runs if r.report_digest is not None and r.role not in (BASELINE,)]
    tally = Tally(runs=len(runs), compared=len(compared), differ=len(mismatched))
    if mismatched:
        # Say first whether a side disagrees with itself (nondeterministic) or changed findings.
        troubled = [
            f for f in findings_stability.troubled(findings_stability.judge(suite)) if f.scenario == scenario
        ]
        reason = troubled[0].sentence() if troubled else run_label(mismatched[0])
        return Gate("findings", scenario, FAIL, reason, "differ", tally=tally)
    if not compared:
        return Gate("findings", scenario, INCONCLUSIVE, "no candidate report was read", "nothing-compared",
                    tally=tally)  # fmt: skip
    return Gate("findings", scenario, PASS, observed="identical", tally=tally)


def _crash_gate(suite: Suite, scenario: str, gated: str = ALL_PHASES, races: bool = True) -> Gate:
    runs = [r for r in suite.runs() if r.scenario == scenario and r.combination == gated and r.role != WARMUP]
    if not runs:
        return Gate("crash", scenario, NOT_RUN, f"the {gated} combination was not run", "not-run")
    crashed = [r for r in runs if r.status == CRASHED]
    raced = [r for r in runs if r.role == RACE and r.status == MISMATCH]
    race_ok = [r for r in runs if r.role == RACE and r.ok]
    hung = [r for r in runs if r.status == TIMEOUT]
    tally = Tally(runs=len(runs), differ=len(raced), crashed=len(crashed), timed_out=len(hung),
                  race_ok=len(race_ok))  # fmt: skip
    if crashed or raced:
        first = (crashed or raced)[0]
        return Gate("crash", scenario, FAIL, f"{run_label(first)}: {first.reason}", "crashed", tally=tally)
    if hung:
        reason = "a time-out may be a deadlock or a slow machine: rerun with a larger --timeout"
        return Gate("crash", scenario, INCONCLUSIVE, reason, "timed-out", tally=tally)
    if not races:  # a command under test has no worker or control-order switch ksbench knows
        return Gate("crash", scenario, PASS, "no race runs for a command variant", "runs-ok", tally=tally)
    if not race_ok:
        return Gate("crash", scenario, INCONCLUSIVE, "no 2-worker run finished", "no-race-run", tally=tally)
    return Gate("crash", scenario, PASS, observed="runs-ok", tally=tally)


def _assess(promise: Promise, c: stats.Comparison | None, applies: bool) -> Assessment:
    if c is None or math.isnan(c.ci_low):
        return Assessment("missing", applies)
    promised_ratio = 1.0 - promise.low_percent / 100.0
    if c.ci_high <= promised_ratio:
        kind: AssessmentKind = "delivers"
    elif c.verdict == stats.NOT_SIGNIFICANT:
        # An interval that excludes 0 is never "no effect": its family did not confirm it.
        kind = "not-significant" if c.interval_excludes_one else "no-effect"
    elif c.verdict == stats.HIGHER:
        kind = "worse"
    elif c.ci_low > promised_ratio:
        kind = "helps-less"
    else:
        kind = "helps-unresolved"
    return Assessment(kind, applies, c.pairs, "lower" if c.ci_high < 1.0 else "higher", c.family)


def fit_effects(
    log_ratios: dict[frozenset[int], float],
) -> tuple[dict[int, float], dict[tuple[int, int], float], str]:
    """Least squares on log ratios: main effects, and pairwise interactions when estimable.

    log r(c) = Σ_k β_k·[k ∈ c] + Σ_{j<k} γ_jk·[j,k ∈ c]; no intercept (the baseline is 1 by
    definition). Interactions are fitted only when the combinations run determine them all
    (full column rank and more rows than columns); otherwise main effects alone, with a note.
    """
    rows = {c: y for c, y in log_ratios.items() if c and math.isfinite(y)}
    phases = sorted({k for c in rows for k in c})
    if not rows or not phases:
        return {}, {}, "no combination with figures"
    pairs = [p for p in itertools.combinations(phases, 2) if any(set(p) <= c for c in rows)]
    combos = list(rows)
    y = np.array([rows[c] for c in combos])
    main_x = np.array([[1.0 if k in c else 0.0 for k in phases] for c in combos])
    full_x = (
        np.hstack([main_x, np.array([[1.0 if set(p) <= c else 0.0 for p in pairs] for c in combos])])
        if pairs
        else main_x
    )
    note = ""
    if pairs and np.linalg.matrix_rank(full_x) == full_x.shape[1] and len(combos) > full_x.shape[1]:
        coef = np.linalg.lstsq(full_x, y, rcond=None)[0]
        main = dict(zip(phases, coef[: len(phases)], strict=True))
        inter = dict(zip(pairs, coef[len(phases) :], strict=True))
    else:
        coef = np.linalg.lstsq(main_x, y, rcond=None)[0]
        # Only coefficients the combinations determine: e_k must lie in the row space of X
        # (else lstsq's minimum-norm answer would be an artefact of the design, not a measurement).
        projector = np.linalg.pinv(main_x) @ main_x
        estimable = [
            bool(np.allclose(projector[:, i], np.eye(len(phases))[:, i], atol=1e-9))
            for i in range(len(phases))
        ]
        main = {k: v for k, v, ok in zip(phases, coef, estimable, strict=True) if ok}
        inter = {}
        if not all(estimable):
            note = "main effects of some phases not estimable from these combinations: run --combinations key or all"
        elif pairs:
            note = (
                f"pairwise interactions not estimable from {len(combos)} combinations "
                f"({full_x.shape[1]} unknowns): run --combinations all"
            )
    return {k: float(v) for k, v in main.items()}, {p: float(v) for p, v in inter.items()}, note


Comparisons = dict[tuple[str, str, str], stats.Comparison]  # (scenario, combination, metric)
Fit = tuple[dict[int, float], dict[tuple[int, int], float], str]  # fit_effects' answer


def _comparisons(suite: Suite) -> tuple[Comparisons, dict[tuple[str, str], stats.NoiseFloor]]:
    """Every candidate against the baseline, paired by block (not yet adjusted); the A/A floors."""
    comparisons: Comparisons = {}
    floors: dict[tuple[str, str], stats.NoiseFloor] = {}
    for scenario in suite.scenario_names():
        for metric in METRICS:
            base = _baseline(suite, scenario, metric)
            floor = noise.noise_floor(suite, scenario, metric)
            if floor is not None:
                floors[(scenario, metric)] = floor
            for combination in _combinations(suite, scenario):
                if combination == "baseline":
                    continue
                cand = suite.paired_values(scenario, combination, metric, CANDIDATE)
                if not base and not cand:
                    continue  # a metric these runs do not have (results from before timelines)
                if metric in GATE_ONLY_METRICS and combination != gated_combination(suite):
                    continue  # judged on all phases only: more tests would only widen the heat map's family
                comparisons[(scenario, combination, metric)] = stats.compare(metric, cand, base)
    return comparisons, floors


def _adjusted(comparisons: Comparisons, family: str) -> tuple[Comparisons, stats.Family]:
    keys = list(comparisons)
    adjusted, described = stats.adjust([comparisons[k] for k in keys], family=family)
    return dict(zip(keys, adjusted, strict=True)), described


def _gates(suite: Suite, scenario: str, comparisons: Comparisons) -> list[Gate]:
    """The plan's gates on one scenario, each where the plan applies it; elsewhere information."""
    info = suite.scenario(scenario)
    count = info.resource_count if info else None
    large = count is not None and count > LARGE_ABOVE_RESOURCES
    small = count is not None and count <= SMALL_AT_MOST_RESOURCES
    gated = gated_combination(suite)
    has_all = gated in _combinations(suite, scenario)
    reason = _missing_reason(suite, scenario, gated)
    unknown = "resource count unknown: the plan's size classes cannot be told"

    def ratio(key: GateKey, target: float | None = None) -> Gate:
        gate = _all_phases_gate(key, scenario, has_all, comparisons, reason, target, gated)
        peak = PEAK_OF.get(key)
        return replace(gate, peaks=peak_places(suite, scenario, peak)) if peak else gate

    found = [
        ratio("cpu"),
        _information(ratio("cpu-seconds"), "the plan gates peak CPU; CPU seconds are its cost"),
    ]
    memory = ratio("memory")
    if count is None:
        found.append(replace(memory, status=INCONCLUSIVE, reason=unknown))
    else:
        found.append(memory if large else _information(memory, "the plan applies it above 2,500 resources"))
    if count is None:
        found.append(Gate("wall", scenario, INCONCLUSIVE, unknown, "ratio"))
    elif small:
        found.append(ratio("wall"))
    elif large:
        found.append(ratio("wall", LARGE_WALL_TARGET_RATIO))
    else:
        found.append(
            _information(ratio("wall"), "between 1,000 and 2,500 resources the plan promises nothing")
        )
    races = not suite.config.get("variants")
    return [*found, _findings_gate(suite, scenario), _crash_gate(suite, scenario, gated, races)]


def _fits(
    suite: Suite, scenario: str, by_numbers: dict[frozenset[int], str], comparisons: Comparisons
) -> tuple[dict[str, Fit], list[Interaction], list[str]]:
    """Main effects and pairwise interactions of CPU and memory, with notes on what is not estimable."""
    fits: dict[str, Fit] = {}
    interactions: list[Interaction] = []
    notes: list[str] = []
    for metric in ("cpu_seconds", "peak_rss_bytes"):
        logs = {
            nums: math.log(comparisons[(scenario, comb, metric)].median_ratio)
            for nums, comb in by_numbers.items()
            if (scenario, comb, metric) in comparisons
            and comparisons[(scenario, comb, metric)].median_ratio > 0
        }
        fits[metric] = fit_effects(logs)
        _, inter, note = fits[metric]
        if (
            note and sum(1 for numbers in by_numbers if numbers) > 1
        ):  # baseline vs all asks no per-phase question
            notes.append(f"{scenario} {metric}: {note}")
        blocks = _interactions_per_block(suite, scenario, metric, by_numbers) if inter else {}
        for (a, b), value in inter.items():
            tested = stats.compare_logs(metric, blocks.get((a, b), []))
            interactions.append(Interaction(scenario, metric, (a, b), math.expm1(value) * 100.0, tested))
    return fits, interactions, notes


def _interactions_per_block(
    suite: Suite, scenario: str, metric: str, by_numbers: dict[frozenset[int], str]
) -> dict[tuple[int, int], list[float]]:
    """Each block's own fit (its candidates over its baseline): one interaction estimate per block."""
    base = _baseline(suite, scenario, metric)
    values = {n: suite.paired_values(scenario, c, metric, CANDIDATE) for n, c in by_numbers.items() if n}
    estimates: dict[tuple[int, int], list[float]] = {}
    for block, reference in base.items():
        logs = {
            n: math.log(v[block] / reference) for n, v in values.items() if v.get(block, 0) > 0 < reference
        }
        for pair, value in fit_effects(logs)[1].items():
            estimates.setdefault(pair, []).append(value)
    return estimates


def family_sizes(scenarios: int, combinations: Sequence[str]) -> dict[str, int]:
    """How many tests the per-phase and heat-map families of a planned bench will hold."""
    numbers = {n for c in combinations if (n := combination_numbers(c)) is not None}
    everything = Phases.all().plan  # the all-phases combination, as numbers
    per_scenario = sum(
        (frozenset({p.phase}) in numbers) + (everything in numbers and everything - {p.phase} in numbers)
        for p in PROMISES
    )
    cells = sum(1 for n in numbers if n) * (len(METRICS) - len(GATE_ONLY_METRICS))
    cells += len(GATE_ONLY_METRICS) if everything in numbers else 0  # compared on all phases only
    return {"per-phase": per_scenario * scenarios, "heat map": cells * scenarios}


def _phase_effects(
    suite: Suite, scenario: str, comparisons: Comparisons
) -> tuple[list[PhaseEffect], list[Interaction], list[str]]:
    """Per promise: the phase alone, on top of the others, its main effect, and the assessment."""
    info = suite.scenario(scenario)
    count = info.resource_count if info else None
    combos = _combinations(suite, scenario)
    has_all = ALL_PHASES in combos
    by_numbers = {n: c for c in combos if (n := combination_numbers(c)) is not None}
    fits, interactions, notes = _fits(suite, scenario, by_numbers, comparisons)
    phases: list[PhaseEffect] = []
    for promise in PROMISES:
        applies = not promise.large_only or (count is not None and count > LARGE_ABOVE_RESOURCES)
        alone_name = by_numbers.get(frozenset({promise.phase}))
        alone = comparisons.get((scenario, alone_name, promise.metric)) if alone_name else None
        in_comb = None
        without = by_numbers.get(Phases.all().plan - {promise.phase})
        if has_all and without is not None:
            in_comb = stats.compare(
                promise.metric,
                suite.paired_values(scenario, ALL_PHASES, promise.metric, CANDIDATE),
                suite.paired_values(scenario, without, promise.metric, CANDIDATE),
            )
        main_log = fits[promise.metric][0].get(promise.phase)
        main = None if main_log is None else math.expm1(main_log) * 100.0
        assessment = _assess(promise, alone if alone is not None else in_comb, applies)
        phases.append(
            PhaseEffect(promise.phase, scenario, promise, applies, alone, in_comb, main, assessment)
        )
    return phases, interactions, notes


def evaluate(suite: Suite) -> Verdict:
    comparisons, floors = _comparisons(suite)
    gates: list[Gate] = []
    phases: list[PhaseEffect] = []
    interactions: list[Interaction] = []
    notes: list[str] = []
    for scenario in suite.scenario_names():
        gates += _gates(suite, scenario, comparisons)
        if suite.config.get("variants"):
            continue  # variants are command lines, not phase sets: no per-phase promise applies
        found, inter, note = _phase_effects(suite, scenario, comparisons)
        phases += found
        interactions += inter
        notes += note
    missing = tuple(
        f"{run_label(r)}: {r.status}{': ' + r.reason if r.reason else ''}"
        for r in suite.runs()
        if not r.ok and r.status != MISMATCH
    )
    mismatches = tuple(f"{run_label(r)}: {r.reason}" for r in suite.runs() if r.status == MISMATCH)
    heat_map, heat_family = _adjusted(comparisons, "heat map")
    phases, phase_family = _phase_family(phases)
    interactions, interaction_family = _interaction_family(interactions)
    counted = sum(1 for g in gates if g.status not in (NOT_RUN, INFO))  # INFO gates are shown, never claimed
    gate_family = stats.Family("gates", counted, "intersection–union")
    families = (gate_family, phase_family, heat_family, *((interaction_family,) if interactions else ()))
    return Verdict(
        heat_map,
        floors,
        tuple(gates),
        tuple(phases),
        tuple(interactions),
        tuple(notes),
        missing,
        mismatches,
        families,
        stability=findings_stability.judge(suite),
    )


def _phase_family(phases: list[PhaseEffect]) -> tuple[list[PhaseEffect], stats.Family]:
    """The per-phase table is its own family: both columns of every row, adjusted together, then assessed."""
    tested = [c for p in phases for c in (p.alone, p.in_combination) if c is not None]
    adjusted, family = stats.adjust(tested, family="per-phase")
    settled = iter(adjusted)
    out = []
    for p in phases:
        alone = next(settled) if p.alone is not None else None
        in_comb = next(settled) if p.in_combination is not None else None
        assessment = _assess(p.promise, alone if alone is not None else in_comb, p.applies)
        out.append(replace(p, alone=alone, in_combination=in_comb, assessment=assessment))
    return out, family


def _interaction_family(interactions: list[Interaction]) -> tuple[list[Interaction], stats.Family]:
    """The interactions table is a third exploratory family: each coefficient tested block by block."""
    adjusted, family = stats.adjust(
        [i.test for i in interactions if i.test is not None], family="interactions"
    )
    settled = iter(adjusted)
    return [replace(i, test=next(settled)) if i.test is not None else i for i in interactions], family
