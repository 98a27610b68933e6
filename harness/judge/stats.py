"""Statistics for paired, interleaved benchmark runs. Pure: numbers in, frozen values out.

Owns: paired candidate/baseline ratios; the Wilcoxon signed-rank test on their logarithms
(scipy) with the matching Hodges–Lehmann estimate and its exact interval; the families a
run's tests are adjusted in (Benjamini–Hochberg for exploratory tables, Holm for `compare`);
the A/A noise floor and the precision-based `--repeat auto` choice. The percentile bootstrap
of a median stays for the history view (one bench's values, unpaired).
"Not significant" is an answer, not a missing value. docs/measuring.md says why this test
(the calibration simulation in harness.judge.calibration chose it).

Must not: read files, spawn processes, or know about gates and phases.
"""

from __future__ import annotations

import functools
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

BH = "BH"  # Benjamini–Hochberg: exploratory tables (false discovery rate)
HOLM = "Holm"  # Holm–Bonferroni: a confirmatory family whose any-hit sets the exit code

MIN_REPEAT = 5
MAX_REPEAT = 30


@dataclass(frozen=True)
class Comparison:
    """One candidate against the baseline on one metric."""

    metric: str
    pairs: int
    # Hodges–Lehmann estimate of candidate/baseline (the pseudo-median of the paired ratios,
    # exp of the median Walsh average of the log ratios); 0.7 means 30% lower.
    median_ratio: float
    ci_low: float
    ci_high: float
    p_value: float  # Wilcoxon signed-rank on the log ratios, two-sided, unadjusted
    p_adjusted: float  # after the correction of the family it was adjusted in
    verdict: str  # LOWER | HIGHER | NOT_SIGNIFICANT | TOO_FEW
    confidence: float = CONFIDENCE  # what the exact interval achieves (93.75% at n=5: see hodges_lehmann)
    family: str = ""  # the family name it was adjusted in ("" until adjust())

    @property
    def change_percent(self) -> float:
        return (self.median_ratio - 1.0) * 100.0

    @property
    def interval_excludes_one(self) -> bool:
        return not math.isnan(self.ci_low) and (self.ci_high < 1.0 or self.ci_low > 1.0)


@dataclass(frozen=True)
class Family:
    """One question's set of tests and how they were adjusted together."""

    name: str  # "gates", "per-phase", "heat map", "interactions", "compare"
    tests: int
    method: str  # BH | HOLM | "intersection–union"
    alpha: float = ALPHA

    def describe(self) -> str:
        return f"family: {self.name}, {self.tests} test{'' if self.tests == 1 else 's'}, {self.method} at {self.alpha * 100:g}%"


def paired_ratios(candidate: Mapping[int, float], baseline: Mapping[int, float]) -> np.ndarray:
    """candidate/baseline for every repetition present (and positive) in both."""
    common = sorted(k for k in candidate.keys() & baseline.keys() if baseline[k] > 0 and candidate[k] > 0)
    return np.array([candidate[k] / baseline[k] for k in common], dtype=float)


@functools.cache
def signed_rank_null_cdf(n: int) -> tuple[float, ...]:
    """P(T ≤ t) for t = 0 … n(n+1)/2, T the signed-rank statistic of n untied values under H0.

    Hand-written (a subset-sum count): scipy has the test but exposes neither this
    distribution nor a Hodges–Lehmann interval, which needs its quantiles.
    """
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[: top + 1 - rank].copy()
    return tuple(np.cumsum(counts / 2.0**n).tolist())


def walsh_trim(n: int, confidence: float = CONFIDENCE) -> tuple[int, float]:
    """(k, achieved confidence): the exact interval is the k-th smallest to k-th largest Walsh average.

    k is the largest with P(T ≤ k-1) ≤ (1-confidence)/2; when even k=1 falls short (n ≤ 5 at
    95%) the whole range is used and its lower confidence (1 - 2^(1-n)) is returned.
    """
    cdf = signed_rank_null_cdf(n)
    tail = (1.0 - confidence) / 2.0
    k = 1
    while k < len(cdf) and cdf[k] <= tail + 1e-12:
        k += 1
    return k, 1.0 - 2.0 * cdf[k - 1]


def hodges_lehmann(
    values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(estimate, low, high, achieved confidence) along the last axis: batched for the calibration.

    The estimate is the median of the Walsh averages (x_i + x_j)/2, i ≤ j; the interval their
    order statistics matching the exact signed-rank test, so it excludes 0 exactly when that
    test rejects at 1-confidence (untied data). Hand-written: scipy has no Hodges–Lehmann.
    """
    data = np.asarray(values, dtype=float)
    n = data.shape[-1]
    i, j = np.triu_indices(n)
    walsh = np.sort((data[..., i] + data[..., j]) / 2.0, axis=-1)
    k, achieved = walsh_trim(n, confidence)
    return np.median(walsh, axis=-1), walsh[..., k - 1], walsh[..., -k], achieved


def signed_rank_p(log_ratios: Sequence[float] | np.ndarray) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p-values along the last axis (scipy; exact while n ≤ 50, untied).

    All-zero rows (identical runs) get p = 1: scipy would divide by zero there.
    """
    from scipy.stats import wilcoxon  # imported here: scipy costs ~2 s, and most commands never test

    data = np.atleast_2d(np.asarray(log_ratios, dtype=float))
    out = np.ones(data.shape[0])
    live = np.any(data != 0.0, axis=-1)
    if live.any():
        out[live] = wilcoxon(data[live], axis=-1).pvalue
    return out if np.ndim(log_ratios) > 1 else out[:1]


def bootstrap_median_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float, float]:
    """(median, low, high): percentile bootstrap interval of the median (history view only)."""
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


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (scipy), in the input order."""
    if not p_values:
        return []
    from scipy.stats import false_discovery_control

    return [float(p) for p in false_discovery_control(np.asarray(p_values, dtype=float), method="bh")]


def compare(
    metric: str,
    candidate: Mapping[int, float],
    baseline: Mapping[int, float],
    *,
    min_pairs: int = 3,
) -> Comparison:
    """Hodges–Lehmann ratio with its exact interval and the signed-rank p (not adjusted: see adjust())."""
    ratios = paired_ratios(candidate, baseline)
    tested = compare_logs(metric, np.log(ratios).tolist(), min_pairs=min_pairs)
    if tested is None:
        median = float(np.median(ratios)) if ratios.size else math.nan
        return Comparison(metric, int(ratios.size), median, math.nan, math.nan, math.nan, math.nan, TOO_FEW)
    return tested


def compare_logs(metric: str, logs: Sequence[float], *, min_pairs: int = 3) -> Comparison | None:
    """The same test on values that are already log ratios (e.g. one fitted coefficient per block)."""
    if len(logs) < min_pairs:
        return None
    data = np.asarray(logs, dtype=float)
    estimate, low, high, achieved = hodges_lehmann(data)
    p = float(signed_rank_p(data)[0])
    ratio, ci_low, ci_high = math.exp(estimate), math.exp(low), math.exp(high)
    return Comparison(
        metric, int(data.size), ratio, ci_low, ci_high, p, p, _verdict(ratio, ci_low, ci_high, p), achieved
    )


def _verdict(median: float, low: float, high: float, p_adjusted: float) -> str:
    # Both must agree: the adjusted test says "different at all", the interval says which way.
    if p_adjusted >= ALPHA or low <= 1.0 <= high:
        return NOT_SIGNIFICANT
    return LOWER if median < 1.0 else HIGHER


def adjust(
    comparisons: Sequence[Comparison], *, family: str = "comparisons", method: str = BH
) -> tuple[list[Comparison], Family]:
    """One family's adjustment (BH or Holm); verdicts recomputed on the adjusted p."""
    tested = [i for i, c in enumerate(comparisons) if c.verdict != TOO_FEW]
    raw = [comparisons[i].p_value for i in tested]
    adjusted = holm(raw) if method == HOLM else benjamini_hochberg(raw)
    out = [replace(c, family=family) for c in comparisons]
    for index, p in zip(tested, adjusted, strict=True):
        c = out[index]
        out[index] = replace(c, p_adjusted=p, verdict=_verdict(c.median_ratio, c.ci_low, c.ci_high, p))
    return out, Family(family, len(tested), method)


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
