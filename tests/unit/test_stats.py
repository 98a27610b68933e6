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
    assert c.p_value == pytest.approx(2.0**-9)  # all ten ratios below 1: the exact test's floor
    assert c.verdict == stats.LOWER
    assert c.change_percent == pytest.approx(-30, abs=3)
    assert c.confidence == pytest.approx(1 - 2 * 25 / 1024)  # P(T ≤ 8) = 25/1024 at n = 10 (the tables)


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
    cand, base = _samples(0.9, 0.02, 8, seed=2)
    one = stats.compare("cpu_seconds", cand, base)
    assert one.verdict == stats.LOWER  # alone: p = 2/256
    noise = [stats.compare("cpu_seconds", *_samples(1.0, 0.02, 8, seed=10 + i)) for i in range(19)]
    family, described = stats.adjust([one, *noise], family="heat map")
    assert all(c.p_adjusted >= c.p_value for c in family)
    assert family[0].verdict == stats.NOT_SIGNIFICANT and family[0].family == "heat map"
    assert described.describe() == "family: heat map, 20 tests, BH at 5%"


def test_benjamini_hochberg_matches_the_textbook_example() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 → ·4/1, ·4/2, ·4/3, ·4/4 = 0.02, 0.02, 0.04, 0.04 (monotone).
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert stats.benjamini_hochberg([]) == []


def test_signed_rank_null_distribution_is_exact() -> None:
    # n = 3: the 8 sign patterns give T = 0, 1, 2, 3, 3, 4, 5, 6.
    assert stats.signed_rank_null_cdf(3) == pytest.approx([1 / 8, 2 / 8, 3 / 8, 5 / 8, 6 / 8, 7 / 8, 1.0])
    assert stats.walsh_trim(5) == (1, pytest.approx(1 - 2 / 32))  # no exact 95% interval at n = 5
    assert stats.walsh_trim(7) == (3, pytest.approx(1 - 2 * 3 / 128))


def test_hodges_lehmann_interval_and_signed_rank_test_agree() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        logs = rng.normal(rng.uniform(-0.05, 0.05), 0.05, 9)
        _, low, high, _ = stats.hodges_lehmann(logs)
        excludes = bool(low > 0 or high < 0)
        assert excludes == bool(stats.signed_rank_p(logs)[0] < 0.05)


def test_hodges_lehmann_is_the_median_of_walsh_averages_and_batches() -> None:
    logs = np.array([0.0, 0.1, 0.3])
    estimate, low, high, _ = stats.hodges_lehmann(logs)
    # Walsh averages: 0, .05, .15, .1, .2, .3 → median 0.125; n = 3 interval is the whole range.
    assert float(estimate) == pytest.approx(0.125) and float(low) == 0.0 and float(high) == pytest.approx(0.3)
    batch = np.vstack([logs, logs + 1.0])
    estimates, *_ = stats.hodges_lehmann(batch)
    assert estimates.tolist() == pytest.approx([0.125, 1.125])


def test_noise_floor_is_the_spread_of_aa_log_ratios() -> None:
    aa, base = _samples(1.0, 0.01, 6, seed=4)
    floor = stats.noise_floor("cpu_seconds", aa, base)
    assert floor is not None and floor.spread_percent < 10 and floor.pairs == 6
    assert stats.noise_floor("cpu_seconds", {0: 1.0}, {0: 1.0}) is None
