"""What a bench's families can resolve: power checks for a planned bench and for a verdict. Pure.

Owns which families get a power line (the exploratory per-phase and heat-map tables), which
noise each uses (the A/A σ of the promised metric, or power.ASSUMED_SIGMA_LOG before any was
measured) and the effect planned for (the smallest promised change). The arithmetic is
harness.judge.power's; the families' contents are harness.judge.gates'.

Must not: read files, spawn processes or print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.judge import gates, power, stats

PROMISED_METRICS = {"cpu_seconds": "CPU", "peak_rss_bytes": "peak RSS"}  # what the plan promises changes on


def before(
    scenarios: int, combinations: Sequence[str], blocks: int, sigma_log: float | None
) -> list[power.PowerCheck]:
    """Before running: can `blocks` resolve the smallest promised change in each exploratory table?"""
    sizes = gates.family_sizes(scenarios, combinations)
    return [
        power.check(stats.Family(name, size, stats.BH), blocks, gates.SMALLEST_PROMISE_PERCENT, sigma_log)
        for name, size in sizes.items()
        if size
    ]


def after(verdict: gates.Verdict) -> list[power.PowerCheck]:
    """After running: what the blocks run could resolve, per exploratory table and promised metric."""
    tested = {
        "per-phase": [c for p in verdict.phases for c in (p.alone, p.in_combination) if c is not None],
        "heat map": list(verdict.comparisons.values()),
    }
    checks = []
    for name, comparisons in tested.items():
        family = verdict.family(name)
        if family is None or not family.tests:
            continue
        for metric, label in PROMISED_METRICS.items():
            counts = [c.pairs for c in comparisons if c.metric == metric]
            if counts:
                sigma = measured_sigma(verdict, metric)
                checks.append(power.check(family, min(counts), gates.SMALLEST_PROMISE_PERCENT, sigma, label))
    return checks


def with_power(verdict: gates.Verdict) -> gates.Verdict:
    """The verdict carrying its power lines (a few seconds of simulation: only the commands ask)."""
    return replace(verdict, power=tuple(after(verdict)))


def measured_sigma(verdict: gates.Verdict, metric: str | None = None) -> float | None:
    """The A/A σ of log ratios, the noisiest scenario's; of one metric, or of the promised ones."""
    wanted = (metric,) if metric else tuple(PROMISED_METRICS)
    return max((f.sigma_log for (_, m), f in verdict.noise.items() if m in wanted), default=None)
