"""Power up front: what n blocks can resolve, and what `--repeat auto` chooses within its budget."""

from __future__ import annotations

import pytest

from harness.judge import power, stats


def test_smallest_p_is_the_exact_tests_floor() -> None:
    assert power.smallest_p(5) == pytest.approx(1 / 16)
    assert power.smallest_p(6) == pytest.approx(1 / 32)
    assert power.lone_threshold(12) == pytest.approx(0.05 / 12)


def test_power_grows_with_blocks_and_effect() -> None:
    threshold = power.lone_threshold(12)
    assert power.power(-5.0, 0.05, 8, threshold) == 0.0  # smallest p 2^-7 ≈ 0.0078 > 0.05/12
    assert power.power(-5.0, 0.05, 9, threshold) > 0.0  # 2^-8 ≈ 0.0039: all nine the same way suffices
    assert power.power(-5.0, 0.05, 12, threshold) < power.power(-5.0, 0.05, 24, threshold)
    assert power.power(-30.0, 0.05, 10, threshold) == pytest.approx(1.0, abs=0.01)
    assert power.power(-5.0, 0.0, 10, threshold) == 1.0  # no noise: any change is found once p can be small


def test_blocks_needed_reaches_the_target_or_says_none() -> None:
    threshold = power.lone_threshold(12)
    needed = power.blocks_needed(-5.0, 0.02, threshold)
    assert needed is not None and power.power(-5.0, 0.02, needed, threshold) >= power.TARGET_POWER
    assert power.power(-5.0, 0.02, needed - 1, threshold) < power.TARGET_POWER
    assert power.blocks_needed(-5.0, 0.20, threshold) is None


def test_a_check_says_what_these_blocks_can_resolve() -> None:
    family = stats.Family("per-phase", 12, stats.BH)
    enough = power.check(family, 20, 5.0, 0.02, "CPU")
    assert enough.enough and enough.message().startswith("power (per-phase, 12 tests, BH at 5%; CPU): ")
    assert "σ 2.0% measured (A/A)" in enough.message()
    short = power.check(family, 8, 5.0, None)
    assert "with 8 blocks no per-phase comparison can reach significance" in short.message()
    assert "σ" not in short.message().split(";")[0] and short.sigma_source == "assumed"


def _floor(sigma: float) -> stats.NoiseFloor:
    return stats.NoiseFloor("cpu_seconds", 5, sigma, 0.0)


def test_repeat_auto_plans_for_power_within_the_budget() -> None:
    blocks, why = power.auto_blocks(
        [_floor(0.02)], family_size=12, effect_percent=5.0, seconds_per_block=10.0, budget_seconds=3600
    )
    assert blocks == power.blocks_needed(-5.0, 0.02, power.lone_threshold(12)) and "80% power" in why
    cut, why = power.auto_blocks(
        [_floor(0.02)], family_size=12, effect_percent=5.0, seconds_per_block=60.0, budget_seconds=420
    )
    assert cut == 7 and "the 7-minute budget allows 7" in why
    noisy, why = power.auto_blocks(
        [_floor(0.5)], family_size=12, effect_percent=5.0, seconds_per_block=None, budget_seconds=60
    )
    assert noisy == stats.MAX_REPEAT and "needs more" in why
    assert (
        power.auto_blocks([], family_size=12, effect_percent=5.0, seconds_per_block=None, budget_seconds=60)[
            0
        ]
        == stats.MIN_REPEAT
    )
