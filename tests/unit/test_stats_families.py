"""Families in the verdict: each table adjusted on its own, named, and worded the way its test allows."""

from __future__ import annotations

from dataclasses import replace

from test_gates import GOOD, _suite

from harness.judge import gates, power, stats
from harness.report import text, wording
from scanner.phases import Phases


def test_each_table_is_its_own_family() -> None:
    verdict = gates.evaluate(_suite(GOOD))
    names = {f.name: f for f in verdict.families}
    assert names["heat map"].tests == len(verdict.comparisons) == 13 * 3 + 1  # peak CPU: all phases only
    assert names["heat map"].method == names["per-phase"].method == stats.BH
    assert names["per-phase"].tests == 12  # six phases, alone and on top of the others
    assert names["gates"].method == "intersection–union"
    assert all(c.family == "heat map" for c in verdict.comparisons.values())
    assert all(p.alone is None or p.alone.family == "per-phase" for p in verdict.phases)


def test_the_text_verdict_names_each_family_beside_its_table() -> None:
    verdict = gates.evaluate(_suite(GOOD))
    check = power.check(stats.Family("per-phase", 12, stats.BH), 5, 5.0, None)
    rendered = text.render(replace(verdict, power=(check,)), _suite(GOOD))
    assert "family: gates, " in rendered and "family: per-phase, 12 tests, BH at 5%" in rendered
    assert "family: heat map, 40 tests, BH at 5%" in rendered
    assert rendered.index("family: per-phase") < rendered.index("scenario  phase")
    assert "power (per-phase, 12 tests, BH at 5%): with 5 blocks no per-phase comparison" in rendered


def test_an_interval_that_excludes_zero_is_never_no_measurable_effect() -> None:
    promise = gates.PROMISES[4]  # P5: 30–50% memory
    higher = stats.Comparison(
        "peak_rss_bytes", 5, 1.168, 1.144, 1.187, 0.0625, 0.5, stats.NOT_SIGNIFICANT, 0.9375, "per-phase"
    )
    assessed = gates._assess(promise, higher, True)
    assert assessed.kind == "not-significant" and assessed.direction == "higher"
    assert wording.assessment_text(assessed).startswith("higher, not confirmed in the per-phase family (n=5")
    straddles = stats.Comparison("peak_rss_bytes", 5, 1.01, 0.98, 1.03, 0.6, 0.9, stats.NOT_SIGNIFICANT)
    assert wording.assessment_text(gates._assess(promise, straddles, True)) == "no measurable effect"


def test_family_sizes_of_a_planned_bench() -> None:
    key = ["baseline", "P1", "P2", "P3", "P4", "P5", "P6", "all"] + [
        "+".join(f"P{k}" for k in range(1, 7) if k != skip) for skip in range(1, 7)
    ]
    assert gates.family_sizes(2, key) == {"per-phase": 24, "heat map": 80}  # 78 + peak CPU on all phases
    assert gates.family_sizes(1, ["baseline", "P5", "all"]) == {"per-phase": 1, "heat map": 7}


def test_interactions_are_tested_block_by_block_as_their_own_family() -> None:
    every = [
        Phases.parse(",".join(str(k) for k in range(1, 7) if mask >> (k - 1) & 1) or "baseline")
        for mask in range(64)
    ]
    verdict = gates.evaluate(
        _suite({}, combinations=every, synergy={(5, 6): {"peak_rss_bytes": 0.8}}, noise=0.002, repeat=12)
    )
    family = verdict.family("interactions")
    assert family is not None and family.tests == len(verdict.interactions) == 2 * 15
    found = {(i.metric, i.phases): i.test for i in verdict.interactions}
    p5p6 = found[("peak_rss_bytes", (5, 6))]
    assert p5p6 is not None and p5p6.verdict == stats.LOWER and p5p6.ci_low <= 0.8 <= p5p6.ci_high
    assert (
        found[("cpu_seconds", (1, 2))] is not None
        and found[("cpu_seconds", (1, 2))].verdict == stats.NOT_SIGNIFICANT
    )
