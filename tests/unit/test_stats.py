"""Statistics on known distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.judge import stats


def _samples(ratio: float, noise: float, n: int, seed: int) -> tuple[dict[int, float], dict[int, float]]:
    rng = np.random.default_rng(seed)
    base = 2.0 * (1 + rng.normal(0, noise, n))
    cand = base * ratio * (1 + rng.normal(0, noise, n))
    return dict(enumerate(cand.tolist())), dict(enumerate(base.tolist()))


def test_ratio_of_0_7_with_small_noise_is_found_and_excludes_1() -> None:
    cand, base = _samples(0.7, 0.02, 10, seed=1)
    c = stats.compare("cpu_seconds", cand, base)
    assert c.pairs == 10
    assert c.ci_low <= 0.7 <= c.ci_high
    assert c.ci_high < 1.0
    assert c.p_value < 0.001
    assert c.verdict == stats.LOWER
    assert c.change_percent == pytest.approx(-30, abs=3)


def test_identical_samples_are_not_significant() -> None:
    values = {i: 1.0 + i / 100 for i in range(8)}
    c = stats.compare("wall_seconds", dict(values), dict(values))
    assert c.median_ratio == 1.0 and c.ci_low == 1.0 == c.ci_high
    assert c.p_value == 1.0
    assert c.verdict == stats.NOT_SIGNIFICANT


def test_pure_noise_is_not_significant() -> None:
    cand, base = _samples(1.0, 0.03, 10, seed=7)
    c = stats.compare("wall_seconds", cand, base)
    assert c.ci_low <= 1.0 <= c.ci_high
    assert c.verdict == stats.NOT_SIGNIFICANT


def test_too_few_pairs_is_its_own_answer() -> None:
    c = stats.compare("cpu_seconds", {0: 1.0, 1: 1.0}, {0: 2.0, 1: 2.0})
    assert c.verdict == stats.TOO_FEW and math.isnan(c.ci_low)


def test_pairs_only_where_both_ran() -> None:
    ratios = stats.paired_ratios({0: 1.0, 1: 2.0, 3: 9.0}, {0: 2.0, 1: 4.0, 2: 5.0})
    assert ratios.tolist() == [0.5, 0.5]


def test_bootstrap_is_deterministic_and_vectorised() -> None:
    data = np.random.default_rng(3).normal(1.0, 0.1, 50)
    assert stats.bootstrap_median_ci(data) == stats.bootstrap_median_ci(data)
    median, low, high = stats.bootstrap_median_ci(data)
    assert low < median < high


def test_holm_matches_the_textbook_example() -> None:
    # p = 0.01, 0.04, 0.03, 0.005 → sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 made monotone.
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([]) == []


def test_adjust_can_turn_a_result_not_significant() -> None:
    cand, base = _samples(0.9, 0.05, 5, seed=2)
    one = stats.compare("cpu_seconds", cand, base)
    family = stats.adjust([one] * 20)
    assert all(c.p_adjusted >= c.p_value for c in family)
    assert family[0].verdict == stats.NOT_SIGNIFICANT


def test_noise_floor_and_auto_repeat_are_bounded() -> None:
    aa, base = _samples(1.0, 0.01, 6, seed=4)
    floor = stats.noise_floor("cpu_seconds", aa, base)
    assert floor is not None and floor.spread_percent < 10
    quiet = stats.repetitions_for([floor])
    assert stats.MIN_REPEAT <= quiet <= stats.MAX_REPEAT
    noisy = stats.NoiseFloor("wall_seconds", 6, 0.5, 160.0)
    assert stats.repetitions_for([noisy]) == stats.MAX_REPEAT
    assert stats.repetitions_for([]) == stats.MIN_REPEAT
