"""The plan's success criteria as gates, and per phase the promise next to the measurement. Pure.

Owns the judgement on stored results (harness.results.Suite): which comparisons are made, the
gate targets, the per-phase promises, main effects and pairwise interactions, and the exit code
the verdict implies. Gates are judged on the all-phases combination from clean runs only
(profiled runs explain, they are never gated). A gate passes only when the whole confidence
interval clears its target; a gate whose runs failed to produce figures is "inconclusive" —
a failure to measure is never reported as a regression.

Definitions (documented in the README):
  large scenario: more than 2,500 resources (the plan's threshold, compared with `>`);
  small scenario: at most 1,000 resources (the plan tests 100, 1,000 and 5,000: the two smaller).

Must not: read files, spawn processes or print.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import stats
from harness.results import AA, BASELINE, CANDIDATE, CRASHED, MISMATCH, RACE, TIMEOUT, WARMUP, Run, Suite
from scanner.phases import Phases

CLEAN = "clean"
ALL_PHASES = "all"
METRICS = ("cpu_seconds", "peak_rss_bytes", "wall_seconds")

CPU_TARGET_RATIO = 0.70  # CPU ≥30% lower
MEMORY_TARGET_RATIO = 0.60  # peak memory ≥40% lower on large scenarios
SMALL_WALL_TARGET_RATIO = 1.15  # no more than 15% slower on small scenarios
LARGE_ABOVE_RESOURCES = 2500
SMALL_AT_MOST_RESOURCES = 1000

PASS = "pass"
FAIL = "fail"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"  # the bench did not include what the gate needs (no `all`, no large scenario)


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


@dataclass(frozen=True)
class Gate:
    name: str
    scenario: str
    target: str
    measured: str
    ci: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class PhaseEffect:
    phase: int
    scenario: str
    promise: Promise
    applies: bool  # False: the promise is for large scenarios and this one is not
    alone: stats.Comparison | None  # {k} vs baseline
    in_combination: stats.Comparison | None  # all vs all-without-k, paired by block
    main_effect_percent: float | None  # least-squares main effect on the log ratio
    assessment: str


@dataclass(frozen=True)
class Interaction:
    scenario: str
    metric: str
    phases: tuple[int, int]
    effect_percent: float  # extra change when both are on, beyond their main effects


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

    @property
    def exit_code(self) -> int:
        return self.exit_code_for(None)

    def exit_code_for(self, enforced: frozenset[str] | None) -> int:
        """The exit code counting only the gates whose key is in `enforced` (None: every gate)."""
        if self.mismatches:
            return EXIT_FINDINGS_MISMATCH
        counted = [g for g in self.gates if enforced is None or gate_key(g.name) in enforced]
        if any(g.status == FAIL for g in counted):
            return EXIT_GATE_MISSED
        if any(g.status == INCONCLUSIVE for g in counted):
            return EXIT_ENVIRONMENT
        return EXIT_OK


GATE_KEYS = ("cpu", "memory", "wall", "findings", "crash")


def gate_key(name: str) -> str:
    """The short key `--enforce` uses for a gate: cpu, memory, wall, findings, crash."""
    lowered = name.lower()
    for key, marker in (
        ("cpu", "cpu"),
        ("memory", "rss"),
        ("wall", "wall"),
        ("findings", "findings"),
        ("crash", "crash"),
    ):
        if marker in lowered:
            return key
    return lowered


def parse_enforced(text: str | None) -> frozenset[str] | None:
    """`--enforce cpu,memory` → those keys; None or `all` → every gate."""
    if text is None or text.strip() == "all":
        return None
    keys = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(keys - set(GATE_KEYS))
    if unknown:
        raise ValueError(f"unknown gate {unknown[0]!r}: choose from {', '.join(GATE_KEYS)} or all")
    return keys


def _values(
    suite: Suite, scenario: str, combination: str, metric: str, role: str, variant: str = ""
) -> dict[int, float]:
    values: dict[int, float] = {}
    for one in suite.find(scenario, combination, CLEAN, role, variant):
        values.update(one.values(metric))
    return values


def _baseline(suite: Suite, scenario: str, metric: str) -> dict[int, float]:
    return _values(suite, scenario, "baseline", metric, BASELINE)


def _combinations(suite: Suite, scenario: str) -> list[str]:
    seen = dict.fromkeys(
        one.combination
        for one in suite.series
        if one.scenario == scenario and one.role == CANDIDATE and one.variant == ""
    )
    return list(seen)


def _scenarios(suite: Suite) -> list[str]:
    names = [info.name for info in suite.scenarios]
    names += [one.scenario for one in suite.series if one.scenario not in names]
    return list(dict.fromkeys(names))


def run_label(run: Run) -> str:
    variant = f" [{run.variant}]" if run.variant else ""
    return f"{run.scenario} · {run.combination}{variant} · {run.instrument} · {run.role} r{run.repetition}"


def _describe_ratio(c: stats.Comparison | None) -> tuple[str, str]:
    if c is None or math.isnan(c.ci_low):
        return ("—", "—") if c is None or math.isnan(c.median_ratio) else (f"{c.median_ratio:.3f}×", "—")
    return f"{c.median_ratio:.3f}× ({c.change_percent:+.1f}%)", f"[{c.ci_low:.3f}, {c.ci_high:.3f}]"


def _ratio_gate(
    name: str, scenario: str, c: stats.Comparison | None, target: float, missing_reason: str
) -> Gate:
    label = f"≤ {target:.2f}× baseline"
    measured, ci = _describe_ratio(c)
    if c is None or math.isnan(c.ci_high):
        return Gate(name, scenario, label, measured, ci, INCONCLUSIVE, missing_reason)
    if c.ci_high <= target:
        return Gate(name, scenario, label, measured, ci, PASS)
    if c.ci_low > target:
        return Gate(
            name, scenario, label, measured, ci, FAIL, "missed: the whole interval is above the target"
        )
    return Gate(name, scenario, label, measured, ci, FAIL, "not shown: the interval straddles the target")


def _all_phases_gate(
    name: str,
    scenario: str,
    metric: str,
    target: float,
    has_all: bool,
    comparisons: dict[tuple[str, str, str], stats.Comparison],
    reason: str,
) -> Gate:
    if not has_all:
        return Gate(
            name,
            scenario,
            f"≤ {target:.2f}× baseline",
            "—",
            "—",
            NOT_RUN,
            "the all-phases combination was not run",
        )
    return _ratio_gate(name, scenario, comparisons.get((scenario, ALL_PHASES, metric)), target, reason)


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
    target = "identical to baseline"
    if mismatched:
        return Gate(
            "findings", scenario, target, f"{len(mismatched)} differ", "—", FAIL, run_label(mismatched[0])
        )
    if not compared:
        return Gate(
            "findings",
            scenario,
            target,
            "nothing compared",
            "—",
            INCONCLUSIVE,
            "no candidate report was read",
        )
    return Gate("findings", scenario, target, f"{len(compared)} reports identical", "—", PASS)


def _crash_gate(suite: Suite, scenario: str) -> Gate:
    target = "all-phases runs exit 0, also with 2 workers + shuffled controls"
    runs = [
        r for r in suite.runs() if r.scenario == scenario and r.combination == ALL_PHASES and r.role != WARMUP
    ]
    if not runs:
        return Gate(
            "no crash/race", scenario, target, "—", "—", NOT_RUN, "the all-phases combination was not run"
        )
    crashed = [r for r in runs if r.status == CRASHED]
    raced = [r for r in runs if r.role == RACE and r.status == MISMATCH]
    if crashed or raced:
        first = (crashed or raced)[0]
        return Gate(
            "no crash/race",
            scenario,
            target,
            f"{len(crashed)} crashed, {len(raced)} differ under 2 workers",
            "—",
            FAIL,
            f"{run_label(first)}: {first.reason}",
        )
    race_ok = [r for r in runs if r.role == RACE and r.ok]
    hung = [r for r in runs if r.status == TIMEOUT]
    if hung:
        return Gate(
            "no crash/race",
            scenario,
            target,
            f"{len(hung)} timed out",
            "—",
            INCONCLUSIVE,
            "a time-out may be a deadlock or a slow machine: rerun with a larger --timeout",
        )
    if not race_ok:
        return Gate(
            "no crash/race", scenario, target, "no race run", "—", INCONCLUSIVE, "no 2-worker run finished"
        )
    return Gate(
        "no crash/race", scenario, target, f"{len(runs)} runs ok ({len(race_ok)} with 2 workers)", "—", PASS
    )


def _assess(promise: Promise, c: stats.Comparison | None, applies: bool) -> str:
    if c is None or math.isnan(c.ci_low):
        return "inconclusive (missing figures)"
    promised_ratio = 1.0 - promise.low_percent / 100.0
    suffix = "" if applies else " (promise is for large clusters)"
    if c.ci_high <= promised_ratio:
        return "delivers the promise" + suffix
    if c.verdict == stats.NOT_SIGNIFICANT:
        if c.ci_low <= 1.0 <= c.ci_high:
            return "no measurable effect" + suffix
        return f"not significant after Holm (n={c.pairs}: repeat more)" + suffix
    if c.verdict == stats.HIGHER:
        return "makes it worse" + suffix
    if c.ci_low > promised_ratio:
        return "helps, less than promised" + suffix
    return "helps; promise not resolved" + suffix


def _numbers(combination: str) -> frozenset[int]:
    return frozenset(Phases.parse(combination).numbers)


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


def evaluate(suite: Suite) -> Verdict:
    comparisons: dict[tuple[str, str, str], stats.Comparison] = {}
    noise: dict[tuple[str, str], stats.NoiseFloor] = {}
    for scenario in _scenarios(suite):
        for metric in METRICS:
            base = _baseline(suite, scenario, metric)
            floor = stats.noise_floor(metric, _values(suite, scenario, "baseline", metric, AA), base)
            if floor is not None:
                noise[(scenario, metric)] = floor
            for combination in _combinations(suite, scenario):
                if combination == "baseline":
                    continue
                cand = _values(suite, scenario, combination, metric, CANDIDATE)
                comparisons[(scenario, combination, metric)] = stats.compare(metric, cand, base)
    keys = list(comparisons)
    adjusted = stats.adjust([comparisons[k] for k in keys])
    comparisons = dict(zip(keys, adjusted, strict=True))

    gates: list[Gate] = []
    phases: list[PhaseEffect] = []
    interactions: list[Interaction] = []
    notes: list[str] = []
    for scenario in _scenarios(suite):
        info = suite.scenario(scenario)
        count = info.resource_count if info else None
        has_all = ALL_PHASES in _combinations(suite, scenario)
        reason = _missing_reason(suite, scenario, ALL_PHASES)

        def gate(name: str, metric: str, target: float) -> Gate:
            return _all_phases_gate(name, scenario, metric, target, has_all, comparisons, reason)  # noqa: B023

        gates.append(gate("CPU ≥30% lower", "cpu_seconds", CPU_TARGET_RATIO))
        if count is None:
            gates.append(
                Gate(
                    "peak RSS ≥40% lower (large)",
                    scenario,
                    "—",
                    "—",
                    "—",
                    INCONCLUSIVE,
                    "resource count unknown",
                )
            )
        elif count > LARGE_ABOVE_RESOURCES:
            gates.append(gate("peak RSS ≥40% lower (large)", "peak_rss_bytes", MEMORY_TARGET_RATIO))
        if count is not None and count <= SMALL_AT_MOST_RESOURCES:
            gates.append(gate("wall ≤15% worse (small)", "wall_seconds", SMALL_WALL_TARGET_RATIO))
        gates.append(_findings_gate(suite, scenario))
        gates.append(_crash_gate(suite, scenario))

        combos = _combinations(suite, scenario)
        by_numbers = {_numbers(c): c for c in combos}
        all_numbers = frozenset(range(1, 7))
        fits: dict[str, tuple[dict[int, float], dict[tuple[int, int], float], str]] = {}
        for metric in ("cpu_seconds", "peak_rss_bytes"):
            logs = {
                nums: math.log(comparisons[(scenario, comb, metric)].median_ratio)
                for nums, comb in by_numbers.items()
                if (scenario, comb, metric) in comparisons
                and comparisons[(scenario, comb, metric)].median_ratio > 0
            }
            fits[metric] = fit_effects(logs)
            _, inter, note = fits[metric]
            if note:
                notes.append(f"{scenario} {metric}: {note}")
            for (a, b), value in inter.items():
                interactions.append(Interaction(scenario, metric, (a, b), math.expm1(value) * 100.0))
        for promise in PROMISES:
            applies = not promise.large_only or (count is not None and count > LARGE_ABOVE_RESOURCES)
            alone_name = by_numbers.get(frozenset({promise.phase}))
            alone = comparisons.get((scenario, alone_name, promise.metric)) if alone_name else None
            in_comb = None
            without = by_numbers.get(all_numbers - {promise.phase})
            if has_all and without is not None:
                in_comb = stats.compare(
                    promise.metric,
                    _values(suite, scenario, ALL_PHASES, promise.metric, CANDIDATE),
                    _values(suite, scenario, without, promise.metric, CANDIDATE),
                )
            main_log = fits[promise.metric][0].get(promise.phase)
            phases.append(
                PhaseEffect(
                    promise.phase,
                    scenario,
                    promise,
                    applies,
                    alone,
                    in_comb,
                    None if main_log is None else math.expm1(main_log) * 100.0,
                    _assess(promise, alone if alone is not None else in_comb, applies),
                )
            )

    missing = tuple(
        f"{run_label(r)}: {r.status}{': ' + r.reason if r.reason else ''}"
        for r in suite.runs()
        if not r.ok and r.status != MISMATCH
    )
    mismatches = tuple(f"{run_label(r)}: {r.reason}" for r in suite.runs() if r.status == MISMATCH)
    return Verdict(
        comparisons,
        noise,
        tuple(gates),
        tuple(phases),
        tuple(interactions),
        tuple(notes),
        missing,
        mismatches,
    )


def gate_rows(verdict: Verdict) -> Sequence[Gate]:
    return verdict.gates
