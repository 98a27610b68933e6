"""Gates and per-phase effects judged on stored (synthetic) results."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from harness import results
from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import gates
from harness.report.wording import assessment_text
from harness.results import Machine, Run, ScenarioInfo, Suite
from scanner.phases import Phases, key_combinations

MACHINE = Machine("3.11.7", "CPython", "Linux", 2, "0.1.0", None, None, None, None, None)
BASE = {"cpu_seconds": 2.0, "peak_rss_bytes": 500e6, "wall_seconds": 1.5, "peak_cpu_cores": 1.0}


def _suite(
    effects: dict[int, dict[str, float]],
    *,
    resources: int = 5000,
    repeat: int = 8,
    noise: float = 0.01,
    combinations: list[Phases] | None = None,
    synergy: dict[tuple[int, int], dict[str, float]] | None = None,
) -> Suite:
    """Each phase multiplies each metric by effects[phase][metric]; pairs by synergy on top."""
    rng = np.random.default_rng(0)
    suite = Suite(MACHINE, {}, (ScenarioInfo("s", resources),))
    combos = combinations or key_combinations()

    def add(combination: str, role: str, rep: int, factor: dict[str, float], variant: str = "") -> None:
        nonlocal suite
        metrics = {m: BASE[m] * factor.get(m, 1.0) * (1 + rng.normal(0, noise)) for m in BASE}
        suite = suite.with_run(
            Run("s", combination, "clean", role, rep, results.OK, variant, metrics=metrics, report_digest="d")
        )

    for rep in range(repeat):
        add("baseline", results.BASELINE, rep, {})
        add("baseline", results.AA, rep, {})
        for combo in combos:
            if combo == Phases():
                continue
            factor = {m: math.prod(effects.get(k, {}).get(m, 1.0) for k in combo.numbers) for m in BASE}
            for (a, b), extra in (synergy or {}).items():
                if a in combo.numbers and b in combo.numbers:
                    factor = {m: factor[m] * extra.get(m, 1.0) for m in BASE}
            add(str(combo), results.CANDIDATE, rep, factor)
    add("all", results.RACE, 0, {}, "workers=2,order=shuffled:1")
    return suite


GOOD = {
    1: {"cpu_seconds": 0.6, "peak_cpu_cores": 0.6, "wall_seconds": 0.7},
    5: {"peak_rss_bytes": 0.5},
    6: {"peak_rss_bytes": 0.9},
}


def _gate(verdict: gates.Verdict, prefix: str) -> gates.Gate:
    return next(g for g in verdict.gates if g.name.startswith(prefix))


def test_plan_met_passes() -> None:
    verdict = gates.evaluate(_suite(GOOD))
    assert {g.name: g.status for g in verdict.gates} == {
        "peak CPU ≥30% lower": gates.PASS,
        "CPU seconds (cost)": gates.INFO,
        "peak RSS ≥40% lower": gates.PASS,
        "wall lower (large)": gates.PASS,
        "findings": gates.PASS,
        "no crash/race": gates.PASS,
    }
    assert [c.status for c in verdict.criteria()] == [gates.PASS] * 5
    assert verdict.exit_code == EXIT_OK
    p1 = next(p for p in verdict.phases if p.phase == 1)
    assert p1.alone is not None and p1.alone.median_ratio == pytest.approx(0.6, abs=0.02)
    assert assessment_text(p1.assessment) == "delivers the promise"
    p2 = next(p for p in verdict.phases if p.phase == 2)
    assert p2.alone is not None and p2.alone.verdict == "not significant"
    assert "promise" not in assessment_text(p2.assessment)
    assert verdict.noise[("s", "cpu_seconds")].spread_percent < 5


def test_cpu_short_of_target_is_a_missed_gate() -> None:
    verdict = gates.evaluate(_suite({1: {"peak_cpu_cores": 0.85}, 5: {"peak_rss_bytes": 0.5}}))
    cpu = _gate(verdict, "peak CPU")
    assert cpu.status == gates.FAIL and "above the target" in cpu.reason
    assert verdict.exit_code == EXIT_GATE_MISSED


def test_interval_straddling_the_target_does_not_pass() -> None:
    verdict = gates.evaluate(_suite({1: {"peak_cpu_cores": 0.70}, 5: {"peak_rss_bytes": 0.5}}, noise=0.05))
    assert _gate(verdict, "peak CPU").status == gates.FAIL


def test_small_scenario_gates_wall_and_shows_memory_as_information() -> None:
    verdict = gates.evaluate(
        _suite({1: {"peak_cpu_cores": 0.6, "wall_seconds": 1.3, "peak_rss_bytes": 1.2}}, resources=100)
    )
    memory = _gate(verdict, "peak RSS")
    assert memory.status == gates.INFO and memory.would == gates.FAIL
    wall = _gate(verdict, "wall")
    assert wall.name == "wall ≤15% worse (small)" and wall.status == gates.FAIL
    criteria = {c.number: c for c in verdict.criteria()}
    assert criteria[2].status == gates.NOT_RUN and criteria[2].information == (memory,)
    assert criteria[4].status == gates.FAIL
    assert verdict.exit_code == EXIT_GATE_MISSED
    p5 = next(p for p in verdict.phases if p.phase == 5)
    assert not p5.applies and "large clusters" in assessment_text(p5.assessment)


def test_missing_figures_are_inconclusive_never_a_regression() -> None:
    suite = _suite(GOOD)
    for run in list(suite.runs()):
        if run.combination == "all" and run.role == results.CANDIDATE:
            suite = suite.with_run(
                Run(
                    run.scenario,
                    "all",
                    "clean",
                    run.role,
                    run.repetition,
                    results.TIMEOUT,
                    reason="timed out",
                )
            )
    verdict = gates.evaluate(suite)
    assert _gate(verdict, "peak CPU").status == gates.INCONCLUSIVE
    assert "timeout" in _gate(verdict, "peak CPU").reason
    assert _gate(verdict, "no crash").status == gates.INCONCLUSIVE
    assert verdict.exit_code == EXIT_ENVIRONMENT
    assert any("timeout" in line for line in verdict.missing)


def test_crash_fails_the_crash_gate() -> None:
    suite = _suite(GOOD).with_run(
        Run(
            "s",
            "all",
            "clean",
            results.RACE,
            1,
            results.CRASHED,
            "workers=2,order=shuffled:2",
            reason="exit code 1",
        )
    )
    verdict = gates.evaluate(suite)
    assert _gate(verdict, "no crash").status == gates.FAIL
    assert verdict.exit_code == EXIT_GATE_MISSED


def test_mismatch_wins_over_everything() -> None:
    suite = _suite(GOOD).with_run(
        Run("s", "P5", "memray", results.CANDIDATE, 0, results.MISMATCH, reason="C-0057 pod/x failedPaths")
    )
    verdict = gates.evaluate(suite)
    assert _gate(verdict, "findings").status == gates.FAIL
    assert verdict.exit_code == EXIT_FINDINGS_MISMATCH
    assert verdict.mismatches


def test_without_all_phases_the_gates_are_not_run() -> None:
    verdict = gates.evaluate(_suite(GOOD, combinations=[Phases(), Phases.of({1})]))
    assert _gate(verdict, "peak CPU").status == gates.NOT_RUN
    assert verdict.exit_code == EXIT_OK


def test_a_bench_of_candidates_without_all_phases_gates_its_first_candidate() -> None:
    one = str(Phases.of({1}))
    suite = _suite(GOOD, combinations=[Phases(), Phases.of({1})])
    benched = replace(suite, config={"combinations": ["baseline", one]})
    assert gates.gated_combination(benched) == one
    assert _gate(gates.evaluate(benched), "peak CPU").status != gates.NOT_RUN
    with_all = replace(suite, config={"combinations": ["baseline", one, "all"]})
    assert gates.gated_combination(with_all) == "all"  # the plan's combination wins when it ran
    named = replace(suite, config={"combinations": ["baseline", one], "gated": "x"})
    assert gates.gated_combination(named) == "x"


def test_p6_pays_only_on_top_of_p5_shows_as_an_interaction() -> None:
    from scanner.phases import all_combinations

    suite = _suite(
        {5: {"peak_rss_bytes": 0.6}},
        synergy={(5, 6): {"peak_rss_bytes": 0.8}},
        combinations=list(all_combinations()),
        repeat=4,
        noise=0.002,
    )
    verdict = gates.evaluate(suite)
    p6 = next(p for p in verdict.phases if p.phase == 6)
    assert p6.alone is not None and p6.alone.verdict == "not significant"
    assert p6.in_combination is not None and p6.in_combination.median_ratio == pytest.approx(0.8, abs=0.02)
    found = {i.phases: i.effect_percent for i in verdict.interactions if i.metric == "peak_rss_bytes"}
    assert found[(5, 6)] == pytest.approx(-20, abs=2)
    assert abs(found[(1, 2)]) < 2


def test_key_combinations_cannot_estimate_interactions() -> None:
    verdict = gates.evaluate(_suite(GOOD))
    assert not verdict.interactions
    assert any("not estimable" in note for note in verdict.interaction_notes)


def test_fit_effects_recovers_main_effects() -> None:
    logs = {frozenset({1}): math.log(0.7), frozenset({2}): math.log(0.9), frozenset({1, 2}): math.log(0.63)}
    main, inter, _ = gates.fit_effects(logs)
    assert math.exp(main[1]) == pytest.approx(0.7) and math.exp(main[2]) == pytest.approx(0.9)
    assert inter == {}


def test_between_small_and_large_wall_is_information_and_cpu_seconds_never_count() -> None:
    verdict = gates.evaluate(
        _suite({1: {"peak_cpu_cores": 0.6, "cpu_seconds": 1.5, "wall_seconds": 1.5}}, resources=2000)
    )
    assert _gate(verdict, "wall").status == gates.INFO
    assert _gate(verdict, "CPU seconds").status == gates.INFO
    assert _gate(verdict, "peak RSS").status == gates.INFO
    assert verdict.exit_code == EXIT_OK


def test_large_wall_must_be_lower_than_baseline() -> None:
    # 3% slower: with no change at all, 8 noisy blocks can clear 1.0 by chance (5% of the time).
    verdict = gates.evaluate(_suite({**GOOD, 1: {"peak_cpu_cores": 0.6, "wall_seconds": 1.03}}))
    wall = _gate(verdict, "wall")
    assert wall.name == "wall lower (large)" and wall.status == gates.FAIL
    assert {c.number: c.status for c in verdict.criteria()}[4] == gates.FAIL


def test_peak_gates_name_where_the_peaks_were_made() -> None:
    suite = _suite(GOOD)
    for run in list(suite.runs()):
        if run.role in (results.BASELINE, results.CANDIDATE) and run.combination in ("baseline", "all"):
            place = "evaluate C-0053 join over cluster" if run.combination == "baseline" else "report"
            if run.repetition == 0:
                place = "collect"
            suite = suite.with_run(replace(run, peak_stages={"peak_cpu": place, "peak_rss": place}))
    verdict = gates.evaluate(suite)
    where = _gate(verdict, "peak RSS").peaks
    assert where == (
        gates.PeakPlace("baseline", "evaluate C-0053 join over cluster", 7, 8),
        gates.PeakPlace("all", "report", 7, 8),
    )
    assert _gate(verdict, "peak CPU").peaks == where
    assert _gate(verdict, "findings").peaks == ()
