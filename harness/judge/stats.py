"""Statistics for paired, interleaved benchmark runs. Pure: numbers in, frozen values out.

Owns: paired candidate/baseline ratios, the median with a bootstrap confidence interval
(fixed-seed numpy RNG, vectorised), the Mann-Whitney U test, Holm–Bonferroni adjustment across
one run's family of tests, the A/A noise floor and the `--repeat auto` choice.
"Not significant" is an answer, not a missing value.

Must not: read files, spawn processes, or know about gates and phases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

SEED = 20260  # fixed: the same data always give the same interval
RESAMPLES = 10_000
CONFIDENCE = 0.95
ALPHA = 0.05

LOWER = "lower"
HIGHER = "higher"
NOT_SIGNIFICANT = "not significant"
TOO_FEW = "too few runs"

MIN_REPEAT = 5
MAX_REPEAT = 30


@dataclass(frozen=True)
class Comparison:
    """One candidate against the baseline on one metric."""

    metric: str
    pairs: int
    median_ratio: float  # candidate / baseline; 0.7 means 30% lower
    ci_low: float
    ci_high: float
    p_value: float  # Mann-Whitney U, two-sided, unadjusted
    p_adjusted: float  # after Holm–Bonferroni across the family it was adjusted in
    verdict: str  # LOWER | HIGHER | NOT_SIGNIFICANT | TOO_FEW

    @property
    def change_percent(self) -> float:
        return (self.median_ratio - 1.0) * 100.0


def paired_ratios(candidate: Mapping[int, float], baseline: Mapping[int, float]) -> np.ndarray:
    """candidate/baseline for every repetition present (and positive) in both."""
    common = sorted(k for k in candidate.keys() & baseline.keys() if baseline[k] > 0)
    return np.array([candidate[k] / baseline[k] for k in common], dtype=float)


def bootstrap_median_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float, float]:
    """(median, low, high): percentile bootstrap interval of the median."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values")
    median = float(np.median(data))
    if data.size == 1:
        return median, median, median
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, data.size, size=(resamples, data.size))
    medians = np.median(data[indices], axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(medians, [tail, 100.0 - tail])
    return median, float(low), float(high)


def mann_whitney_p(candidate: Sequence[float] | np.ndarray, baseline: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value that the two samples come from the same distribution."""
    a, b = np.asarray(candidate, dtype=float), np.asarray(baseline, dtype=float)
    if a.size == 0 or b.size == 0:
        return 1.0
    if np.array_equal(np.sort(a), np.sort(b)) or (np.ptp(np.concatenate([a, b])) == 0):
        return 1.0  # identical samples: scipy would warn or divide by zero on all-ties
    from scipy.stats import mannwhitneyu  # imported here: scipy costs ~2 s, and most commands never test

    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (monotone, capped at 1)."""
    count = len(p_values)
    order = sorted(range(count), key=lambda i: p_values[i])
    adjusted = [1.0] * count
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def compare(
    metric: str,
    candidate: Mapping[int, float],
    baseline: Mapping[int, float],
    *,
    min_pairs: int = 3,
) -> Comparison:
    """Median paired ratio with its CI and the U-test p (not yet adjusted: see adjust())."""
    ratios = paired_ratios(candidate, baseline)
    if ratios.size < min_pairs:
        median = float(np.median(ratios)) if ratios.size else math.nan
        return Comparison(metric, int(ratios.size), median, math.nan, math.nan, math.nan, math.nan, TOO_FEW)
    median, low, high = bootstrap_median_ci(ratios)
    p = mann_whitney_p(list(candidate.values()), list(baseline.values()))
    return Comparison(metric, int(ratios.size), median, low, high, p, p, _verdict(median, low, high, p))


def _verdict(median: float, low: float, high: float, p_adjusted: float) -> str:
    # Both must agree: the U-test says "different at all", the interval says which way.
    if p_adjusted >= ALPHA or low <= 1.0 <= high:
        return NOT_SIGNIFICANT
    return LOWER if median < 1.0 else HIGHER


def adjust(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Holm–Bonferroni over one run's family of tests; verdicts recomputed on adjusted p."""
    tested = [i for i, c in enumerate(comparisons) if c.verdict != TOO_FEW]
    adjusted = holm([comparisons[i].p_value for i in tested])
    out = list(comparisons)
    for index, p in zip(tested, adjusted, strict=True):
        c = comparisons[index]
        out[index] = replace(c, p_adjusted=p, verdict=_verdict(c.median_ratio, c.ci_low, c.ci_high, p))
    return out


@dataclass(frozen=True)
class NoiseFloor:
    """How far two identical runs (A/A) differ, per metric."""

    metric: str
    pairs: int
    sigma_log: float  # standard deviation of log(A'/A)
    spread_percent: float  # half-width of the 95% range of single A/A ratios, in percent


def noise_floor(metric: str, aa: Mapping[int, float], baseline: Mapping[int, float]) -> NoiseFloor | None:
    ratios = paired_ratios(aa, baseline)
    if ratios.size < 2:
        return None
    sigma = float(np.std(np.log(ratios), ddof=1))
    return NoiseFloor(metric, int(ratios.size), sigma, (math.exp(1.96 * sigma) - 1.0) * 100.0)


def repetitions_for(
    floors: Sequence[NoiseFloor],
    *,
    precision_percent: float = 3.0,
    minimum: int = MIN_REPEAT,
    maximum: int = MAX_REPEAT,
) -> int:
    """Repetitions so that the median ratio's 95% CI half-width is about precision_percent.

    The median's standard error is ≈1.2533·σ/√n (its efficiency against the mean); σ is the
    A/A spread of log ratios, per single run. Bounded: a noisy machine must not run forever.
    """
    if not floors:
        return minimum
    sigma = max(floor.sigma_log for floor in floors)
    target = math.log1p(precision_percent / 100.0)
    needed = math.ceil((1.96 * 1.2533 * sigma / target) ** 2)
    return max(minimum, min(maximum, needed))
