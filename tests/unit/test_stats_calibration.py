"""Calibration by simulation: intervals cover at their nominal rate, families keep their error rate,
and the power the docs promise is the power the test has.

The fast cases run by default (seconds); the full grid — every effect × noise × blocks with drift
and outliers — runs with `-m slow`. Every figure is seeded, so a failure is a property of the
method, not bad luck.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest

from harness.judge import calibration, power, stats
from harness.judge.calibration import Setting

SIMULATIONS = 2000  # ±3 points on a 95% coverage is ~6 standard errors at 2,000 simulations
LOW, HIGH = 0.92, 0.98
MESSY = {"drift_log": 0.05, "order_log": 0.02, "outlier_rate": 0.05}  # drift, order effect, slow outliers
DOCS = Path(__file__).resolve().parents[2] / "docs" / "measuring.md"


def at_most_alpha(rate: float, simulations: int) -> bool:
    """The simulated rate is consistent with a true rate ≤ 5% (one-sided, 2.58 standard errors).

    Under no effect at all, BH's family-wise rate is exactly α for continuous p-values (the exact
    test's discrete ones sit at or below it), so a bare `rate <= 0.05` would fail on Monte Carlo
    noise alone about half the time.
    """
    return rate <= stats.ALPHA + 2.58 * math.sqrt(stats.ALPHA * (1 - stats.ALPHA) / simulations)


@pytest.mark.parametrize(
    ("effect", "sigma", "blocks"),
    [(0.0, 0.05, 5), (-5.0, 0.02, 6), (-15.0, 0.10, 8), (-30.0, 0.20, 12), (-3.0, 0.05, 20)],
)
def test_intervals_cover_the_true_change_at_their_nominal_rate(
    effect: float, sigma: float, blocks: int
) -> None:
    rate = calibration.coverage(calibration.WILCOXON_HL, Setting(effect, sigma, blocks, **MESSY), SIMULATIONS)
    assert LOW <= rate <= HIGH, f"coverage {rate:.3f} at {effect}%, σ {sigma}, n {blocks}"


@pytest.mark.parametrize(("family_size", "blocks"), [(12, 8), (12, 12), (24, 20)])
def test_a_family_under_no_effect_stays_under_alpha(family_size: int, blocks: int) -> None:
    rate = calibration.family_false_positive_rate(
        Setting(0.0, 0.05, blocks, **MESSY), family_size, SIMULATIONS
    )
    assert at_most_alpha(rate, SIMULATIONS), f"{rate:.4f}"


def test_the_gates_claim_all_pass_at_most_alpha_when_each_change_sits_on_its_target() -> None:
    settings = [
        Setting(-30.0, 0.10, 8, **MESSY),
        Setting(-40.0, 0.05, 8, **MESSY),
        Setting(15.0, 0.10, 8, **MESSY),
    ]
    assert calibration.gates_false_pass_rate(settings, [-30.0, -40.0, 15.0], SIMULATIONS) <= stats.ALPHA


def test_the_chosen_method_is_not_weaker_than_the_sign_test() -> None:
    setting = Setting(-5.0, 0.05, 12, **MESSY)
    chosen = calibration.power(calibration.WILCOXON_HL, setting, 0.05, SIMULATIONS)
    sign = calibration.power(calibration.SIGN_MEDIAN, setting, 0.05, SIMULATIONS)
    assert chosen > sign


def test_five_blocks_can_never_be_significant_and_power_says_so() -> None:
    family = stats.Family("per-phase", 24, stats.BH)
    check = power.check(family, 5, 5.0, None)
    assert check.power == 0.0 and power.smallest_p(5) == 2 / 32
    assert "with 5 blocks no per-phase comparison can reach significance" in check.message()
    assert f"use --repeat {check.needed} or --repeat auto" in check.message()


def test_the_power_model_matches_the_simulated_bench() -> None:
    # power.py plans with normal noise of σ; block drift cancels in the pairs and a shuffled order adds little.
    threshold = power.lone_threshold(12)
    planned = power.power(-15.0, 0.10, 12, threshold)
    drifting = Setting(-15.0, 0.10, 12, drift_log=0.05, order_log=0.02)
    simulated = calibration.power(calibration.WILCOXON_HL, drifting, threshold, SIMULATIONS)
    assert planned == pytest.approx(simulated, abs=0.05)
    # Slow outliers cost power beyond their share of σ: the docs say so, this keeps it true.
    with_outliers = calibration.power(
        calibration.WILCOXON_HL, Setting(-15.0, 0.10, 12, **MESSY), threshold, SIMULATIONS
    )
    assert with_outliers < planned - 0.1


def test_the_documented_power_at_the_quick_start_settings() -> None:
    """docs/measuring.md's table: blocks needed at the quick start's families, recomputed here."""
    rows = re.findall(
        r"^\| (per-phase|heat map) \| (\d+) \| ([\d.]+)% \| (\d+|more than 30) \|$", DOCS.read_text(), re.M
    )
    assert rows, "the power table is missing from docs/measuring.md"
    for _name, tests, sigma, needed in rows:
        computed = power.blocks_needed(-5.0, float(sigma) / 100.0, power.lone_threshold(int(tests)))
        assert str(computed if computed is not None else "more than 30") == needed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("effect", "sigma"), list(itertools.product(calibration.EFFECTS_PERCENT, calibration.SIGMAS_LOG))
)
def test_full_grid_coverage(effect: float, sigma: float) -> None:
    for blocks in (5, 6, 7, 8, 10, 12, 16, 20, 30):
        for messy in ({}, MESSY):
            rate = calibration.coverage(
                calibration.WILCOXON_HL, Setting(effect, sigma, blocks, **messy), 4000
            )
            assert LOW <= rate <= HIGH, f"coverage {rate:.3f} at {effect}%, σ {sigma}, n {blocks}, {messy}"


@pytest.mark.slow
@pytest.mark.parametrize("family_size", [6, 12, 24, 78])
def test_full_family_error_rates(family_size: int) -> None:
    for blocks, sigma in itertools.product((6, 8, 12, 20, 30), (0.02, 0.10, 0.20)):
        setting = Setting(0.0, sigma, blocks, **MESSY)
        rate = calibration.family_false_positive_rate(setting, family_size, 4000, seed=blocks)
        assert at_most_alpha(rate, 4000), f"{rate:.4f} at n {blocks}, σ {sigma}"
