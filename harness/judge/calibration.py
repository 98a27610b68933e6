"""Calibration by simulation: paired runs with known effects, checked against the intervals and tests.

Owns: a model of the bench's paired design (blocks that drift together, a run order shuffled
inside each block, per-run noise, occasional slow outliers), the two candidate methods it
compares — the Wilcoxon signed-rank test with the Hodges–Lehmann interval (chosen, in
harness.judge.stats) and the sign test with the order-statistic interval of the median — and
the figures the calibration tests and the power-curve plot need: coverage, false-positive rate
per family, power. Seeded: the same call gives the same figures.

Must not: read files, spawn processes or print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.judge import stats

WILCOXON_HL = "signed-rank + Hodges–Lehmann"
SIGN_MEDIAN = "sign test + median order statistics"
METHODS = (WILCOXON_HL, SIGN_MEDIAN)

EFFECTS_PERCENT = (0.0, -3.0, -5.0, -15.0, -30.0)
SIGMAS_LOG = (0.02, 0.05, 0.10, 0.20)


@dataclass(frozen=True)
class Setting:
    """One simulated bench: n blocks of (baseline, candidate) runs on one metric."""

    effect_percent: float  # the candidate's true change, e.g. -5.0
    sigma_log: float  # σ of a single log ratio candidate/baseline (each run has σ/√2)
    blocks: int
    drift_log: float = 0.0  # σ of the random walk the machine's speed takes from block to block
    order_log: float = 0.0  # within a block, the later run is this much slower (order shuffled)
    outlier_rate: float = 0.0  # share of runs slowed down by 30–100% (a noisy neighbour)


@dataclass(frozen=True)
class Outcome:
    """One method over many simulated benches of one setting."""

    p_values: np.ndarray  # (simulations,)
    low: np.ndarray  # interval of the log ratio
    high: np.ndarray
    confidence: float  # the interval's nominal (achieved, for exact intervals) confidence


def simulate(setting: Setting, simulations: int, seed: int) -> np.ndarray:
    """Log ratios candidate/baseline, shape (simulations, blocks), made from simulated runs."""
    rng = np.random.default_rng(seed)
    shape = (simulations, setting.blocks)
    level = np.cumsum(rng.normal(0.0, setting.drift_log, shape), axis=1)  # both runs of a block share it
    candidate_later = rng.random(shape) < 0.5
    run_sigma = setting.sigma_log / math.sqrt(2.0)
    base = level + rng.normal(0.0, run_sigma, shape) + setting.order_log * ~candidate_later
    cand = level + rng.normal(0.0, run_sigma, shape) + setting.order_log * candidate_later
    cand += math.log1p(setting.effect_percent / 100.0)
    for runs in (base, cand):
        hit = rng.random(shape) < setting.outlier_rate
        runs += hit * np.log1p(rng.uniform(0.3, 1.0, shape))
    return np.asarray(cand - base)


def wilcoxon_hl(log_ratios: np.ndarray) -> Outcome:
    _, low, high, achieved = stats.hodges_lehmann(log_ratios)
    return Outcome(stats.signed_rank_p(log_ratios), low, high, achieved)


def sign_median(log_ratios: np.ndarray) -> Outcome:
    """The alternative: exact sign test (binomial, scipy) and the matching interval of the median."""
    from scipy.stats import binom

    n = log_ratios.shape[-1]
    positive = np.sum(log_ratios > 0, axis=-1)
    nonzero = np.sum(log_ratios != 0, axis=-1)
    smaller = np.minimum(positive, nonzero - positive)
    p = np.minimum(1.0, 2.0 * binom.cdf(smaller, np.maximum(nonzero, 1), 0.5))
    # The k-th order statistics from each end: k the largest with P(B ≤ k-1) ≤ 2.5% (k = 1 if none).
    k = 1
    while k < n and binom.cdf(k, n, 0.5) <= (1.0 - stats.CONFIDENCE) / 2.0:
        k += 1
    ordered = np.sort(log_ratios, axis=-1)
    achieved = 1.0 - 2.0 * float(binom.cdf(k - 1, n, 0.5))
    return Outcome(p, ordered[..., k - 1], ordered[..., n - k], achieved)


def outcome(method: str, log_ratios: np.ndarray) -> Outcome:
    return wilcoxon_hl(log_ratios) if method == WILCOXON_HL else sign_median(log_ratios)


def coverage(method: str, setting: Setting, simulations: int, seed: int = 1) -> float:
    """Share of intervals that contain the true log ratio."""
    result = outcome(method, simulate(setting, simulations, seed))
    truth = math.log1p(setting.effect_percent / 100.0)
    return float(np.mean((result.low <= truth) & (truth <= result.high)))


def power(method: str, setting: Setting, threshold: float, simulations: int, seed: int = 1) -> float:
    """Share of benches whose raw p reaches `threshold` (α/m: a lone true effect in a family of m)."""
    return float(np.mean(outcome(method, simulate(setting, simulations, seed)).p_values <= threshold))


def family_false_positive_rate(
    setting: Setting, family_size: int, simulations: int, seed: int = 1, method: str = stats.BH
) -> float:
    """Share of simulated families (every test under no effect) with at least one significant verdict."""
    draws = simulate(setting, simulations * family_size, seed).reshape(simulations, family_size, -1)
    p = stats.signed_rank_p(draws.reshape(simulations * family_size, -1)).reshape(simulations, family_size)
    if method == stats.HOLM:
        adjusted = np.array([stats.holm(row.tolist()) for row in p])
    else:
        from scipy.stats import false_discovery_control  # what stats.benjamini_hochberg calls, a family a row

        adjusted = false_discovery_control(p, axis=1, method="bh")
    return float(np.mean(np.any(adjusted < stats.ALPHA, axis=1)))


def gates_false_pass_rate(
    settings: Sequence[Setting], targets_percent: Sequence[float], simulations: int
) -> float:
    """Share of simulated benches where every gate passes although each true change sits on its target.

    A gate passes when its whole interval clears the target; the verdict "all gates pass" is an
    intersection–union claim, so no adjustment is needed for it to stay ≤ α.
    """
    passed = np.ones(simulations, dtype=bool)
    for index, (setting, target) in enumerate(zip(settings, targets_percent, strict=True)):
        result = wilcoxon_hl(simulate(setting, simulations, seed=100 + index))
        passed &= result.high <= math.log1p(target / 100.0)
    return float(np.mean(passed))


@dataclass(frozen=True)
class Curve:
    effect_percent: float
    sigma_log: float
    family_size: int
    blocks: tuple[int, ...]
    power: tuple[float, ...]


def power_curves(
    effects_percent: Sequence[float],
    sigma_log: float,
    family_size: int,
    blocks: Sequence[int],
    simulations: int,
    *,
    drift_log: float = 0.02,
    outlier_rate: float = 0.02,
) -> tuple[Curve, ...]:
    """Power of the chosen method against blocks, per effect, for a lone true effect in the family."""
    threshold = stats.ALPHA / family_size
    curves = []
    for effect in effects_percent:
        values = tuple(
            power(
                WILCOXON_HL,
                Setting(effect, sigma_log, n, drift_log, 0.0, outlier_rate),
                threshold,
                simulations,
            )
            for n in blocks
        )
        curves.append(Curve(effect, sigma_log, family_size, tuple(blocks), values))
    return tuple(curves)
