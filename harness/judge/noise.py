"""The A/A noise floor of a scenario's metric, and how many clean blocks `--repeat auto` needs.

One place for both: the verdict, the history view and the runner's `--repeat auto` (which is
given `repetitions` by the bench command, since the runner computes no statistics) all ask
here. The figures come from Suite.noise_pairs; the statistics from harness.judge.stats. Pure.
"""

from __future__ import annotations

from harness.judge import stats
from harness.results import Suite

REPEAT_METRICS = ("cpu_seconds", "wall_seconds", "peak_rss_bytes")


def noise_floor(suite: Suite, scenario: str, metric: str) -> stats.NoiseFloor | None:
    """The spread of A/A ratios (second baseline / baseline, same block); None when too few."""
    aa, baseline = suite.noise_pairs(scenario, metric)
    return stats.noise_floor(metric, aa, baseline)


def repetitions(suite: Suite, scenario: str) -> int:
    """Blocks enough to resolve changes above the noise of every metric; the pilot size until known."""
    found = (noise_floor(suite, scenario, metric) for metric in REPEAT_METRICS)
    floors = [floor for floor in found if floor is not None]
    return stats.repetitions_for(floors) if len(floors) == len(REPEAT_METRICS) else stats.MIN_REPEAT
