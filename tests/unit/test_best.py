"""What it would take: every combination judged by the plan's gates, the best per criterion."""

from __future__ import annotations

import numpy as np
from test_gates import BASE, MACHINE

from harness import results
from harness.judge import best, gates
from harness.report.text import what_it_would_take_lines
from harness.results import Run, ScenarioInfo, Suite

GOOD_CPU = {"cpu_seconds": 0.6, "peak_cpu_cores": 0.6, "wall_seconds": 0.7}


def _suite(factors: dict[str, dict[str, float]], race: tuple[str, ...]) -> Suite:
    rng = np.random.default_rng(1)
    suite = Suite(MACHINE, {}, (ScenarioInfo("large", 5000),))

    def add(combination: str, role: str, rep: int, factor: dict[str, float], variant: str = "") -> None:
        nonlocal suite
        metrics = {m: BASE[m] * factor.get(m, 1.0) * (1 + rng.normal(0, 0.01)) for m in BASE}
        run = Run(
            "large", combination, "clean", role, rep, results.OK, variant, metrics=metrics, report_digest="d"
        )
        suite = suite.with_run(run)

    for rep in range(8):
        add("baseline", results.BASELINE, rep, {})
        add("baseline", results.AA, rep, {})
        for combination, factor in factors.items():
            add(combination, results.CANDIDATE, rep, factor)
    for combination in race:
        add(combination, results.RACE, 0, {}, "workers=2,order=shuffled:1")
    return suite


def test_a_candidate_that_meets_all_five_is_named_beside_the_plan() -> None:
    suite = _suite(
        {"all": {**GOOD_CPU, "peak_rss_bytes": 0.9}, "all+X1": {**GOOD_CPU, "peak_rss_bytes": 0.5}},
        race=("all", "all+X1"),
    )
    assert gates.evaluate(suite).criteria()[1].status == gates.FAIL  # the plan's `all` misses memory
    found = best.what_it_would_take(suite)
    memory = next(b for b in found.best if b.number == 2)
    assert memory.combination == "all+X1" and memory.status == gates.PASS
    assert memory.comparison is not None and memory.comparison.ci_high < 0.6
    assert found.meeting_all == ("all+X1",)
    lines = what_it_would_take_lines(found)
    assert lines[-1] == "  all five together: all+X1"
    assert any("best all+X1 0.5" in line for line in lines)


def test_without_its_own_race_run_a_combination_cannot_meet_all_five() -> None:
    suite = _suite({"all": GOOD_CPU, "all+X1": {**GOOD_CPU, "peak_rss_bytes": 0.5}}, race=("all",))
    found = best.what_it_would_take(suite)
    judged = {j.combination: j for j in found.judged}
    crash = next(c for c in judged["all+X1"].criteria if c.number == 5)
    assert crash.status == gates.INCONCLUSIVE and found.meeting_all == ()
    assert what_it_would_take_lines(found)[-1] == "  all five together: none of the combinations run"
