"""Power up front: can the planned blocks resolve the smallest promised effect? Pure.

Owns: the smallest p-value the exact signed-rank test can reach with n blocks, the Monte Carlo
power of that test (scipy's, batched) for a true change at a noise σ of the log ratios, the
blocks a family needs, and the `--repeat auto` choice within a time budget. A lone true effect
in a Benjamini–Hochberg family of m tests must reach p ≤ α/m, so that is the threshold planned
for (conservative: with more true effects BH is more lenient).

Must not: read files, spawn processes, or know which comparisons a family holds (the gates do).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.judge import stats

ASSUMED_SIGMA_LOG = 0.05  # σ of single log ratios before any A/A pair was measured (quiet 2-core machine)
TARGET_POWER = 0.80
SIMULATIONS = 2000
SEED = 17


def smallest_p(blocks: int) -> float:
    """The smallest two-sided p the exact signed-rank test can give with `blocks` untied pairs."""
    return 2.0 ** (1 - blocks) if blocks >= 1 else 1.0


def lone_threshold(family_size: int, alpha: float = stats.ALPHA) -> float:
    """The raw p a single true effect needs to survive BH (or Holm) across `family_size` tests."""
    return alpha / max(1, family_size)


def power(
    effect_percent: float,
    sigma_log: float,
    blocks: int,
    threshold: float,
    *,
    simulations: int = SIMULATIONS,
    seed: int = SEED,
) -> float:
    """P(signed-rank p ≤ threshold) when log ratios are normal around log(1 + effect/100) with σ.

    `effect_percent` is signed: the plan promises reductions, so the checks pass -5 for "5% lower".
    """
    if blocks < 1 or smallest_p(blocks) > threshold:
        return 0.0
    shift = math.log1p(effect_percent / 100.0)
    if sigma_log <= 0:
        return 1.0 if shift != 0 else 0.0
    draws = np.random.default_rng(seed).normal(shift, sigma_log, size=(simulations, blocks))
    return float(np.mean(stats.signed_rank_p(draws) <= threshold))


def blocks_needed(
    effect_percent: float,
    sigma_log: float,
    threshold: float,
    *,
    target: float = TARGET_POWER,
    maximum: int = stats.MAX_REPEAT,
) -> int | None:
    """The fewest blocks (≥ MIN_REPEAT) with at least `target` power; None when more than `maximum`."""
    low = max(stats.MIN_REPEAT, math.ceil(1 - math.log2(threshold)))  # below it p cannot reach threshold
    if low > maximum or power(effect_percent, sigma_log, maximum, threshold) < target:
        return None
    high = maximum
    while low < high:  # bisection: power grows with blocks (up to simulation noise)
        middle = (low + high) // 2
        if power(effect_percent, sigma_log, middle, threshold) >= target:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass(frozen=True)
class PowerCheck:
    """What the planned blocks can resolve in one family."""

    family: stats.Family
    effect_percent: float  # the smallest promised change, as a magnitude
    sigma_log: float
    sigma_source: str  # "measured (A/A)" or "assumed"
    blocks: int
    power: float
    needed: int | None  # blocks for TARGET_POWER; None: more than MAX_REPEAT
    metric: str = ""  # the metric whose noise was used ("" when assumed for all)

    @property
    def threshold(self) -> float:
        return lone_threshold(self.family.tests, self.family.alpha)

    @property
    def enough(self) -> bool:
        return self.power >= TARGET_POWER

    def message(self) -> str:
        on = f"; {self.metric}" if self.metric else ""
        head = f"power ({self.family.describe().removeprefix('family: ')}{on})"
        noise = f"σ {self.sigma_log * 100:.1f}% {self.sigma_source}"
        advice = (
            f"use --repeat {self.needed} or --repeat auto"
            if self.needed is not None
            else f"more than {stats.MAX_REPEAT} blocks needed: fewer combinations or scenarios, or a quieter machine"
        )
        if smallest_p(self.blocks) > self.threshold:
            return (
                f"{head}: with {self.blocks} blocks no {self.family.name} comparison can reach significance "
                f"(smallest signed-rank p {smallest_p(self.blocks):.3g} > {self.threshold:.3g}); {advice}"
            )
        done = f"{self.power:.0%} to detect a {self.effect_percent:g}% change at {noise} with {self.blocks} blocks"
        if self.enough:
            return f"{head}: {done}"
        return f"{head}: only {done}; {advice}"


def check(
    family: stats.Family,
    blocks: int,
    effect_percent: float,
    sigma_log: float | None,
    metric: str = "",
) -> PowerCheck:
    sigma, source = (ASSUMED_SIGMA_LOG, "assumed") if sigma_log is None else (sigma_log, "measured (A/A)")
    threshold = lone_threshold(family.tests, family.alpha)
    return PowerCheck(
        family,
        effect_percent,
        sigma,
        source,
        blocks,
        power(-effect_percent, sigma, blocks, threshold),
        blocks_needed(-effect_percent, sigma, threshold),
        metric if sigma_log is not None else "",
    )


def worst_sigma(floors: Sequence[stats.NoiseFloor]) -> float | None:
    return max((f.sigma_log for f in floors), default=None)


def auto_blocks(
    floors: Sequence[stats.NoiseFloor],
    *,
    family_size: int,
    effect_percent: float,
    seconds_per_block: float | None,
    budget_seconds: float,
    pilot: int = stats.MIN_REPEAT,
) -> tuple[int, str]:
    """`--repeat auto` after the pilot blocks: (blocks, why) — the power plan, cut to the time budget."""
    sigma = worst_sigma(floors)
    if sigma is None:
        return pilot, "no A/A pairs yet: the pilot size"
    threshold = lone_threshold(family_size)
    needed = blocks_needed(-effect_percent, sigma, threshold)
    wanted = needed if needed is not None else stats.MAX_REPEAT
    why = (
        f"{wanted} blocks for {TARGET_POWER:.0%} power on a {effect_percent:g}% change at σ {sigma * 100:.1f}% "
        f"across {family_size} test{'' if family_size == 1 else 's'}"
        if needed is not None
        else f"{stats.MAX_REPEAT} blocks (the most allowed): {effect_percent:g}% at σ {sigma * 100:.1f}% "
        f"across {family_size} test{'' if family_size == 1 else 's'} needs more"
    )
    if seconds_per_block is not None and seconds_per_block > 0:
        affordable = max(pilot, int(budget_seconds // seconds_per_block))
        if affordable < wanted:
            return affordable, (
                f"{why}; the {budget_seconds / 60:.0f}-minute budget allows {affordable} "
                f"({seconds_per_block:.0f} s a block)"
            )
    return max(pilot, wanted), why
