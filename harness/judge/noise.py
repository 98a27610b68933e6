"""The A/A noise floor of a scenario's metric, and how many clean blocks `--repeat auto` needs.

`--repeat auto` plans for power (harness.judge.power): after the pilot blocks, enough blocks to
resolve the smallest promised change at the measured σ across the per-phase family, cut to the
time budget at the pilot's time per block.

One place for both: the verdict, the history view and the runner's `--repeat auto` (which is
given `repetitions` by the bench command, since the runner computes no statistics) all ask
here. The figures come from Suite.noise_pairs; the statistics from harness.judge.stats. Pure.
"""

from __future__ import annotations

from harness.judge import power, stats
from harness.results import CLEAN, WARMUP, Suite

REPEAT_METRICS = ("cpu_seconds", "wall_seconds", "peak_rss_bytes")


def noise_floor(suite: Suite, scenario: str, metric: str) -> stats.NoiseFloor | None:
    """The spread of A/A ratios (second baseline / baseline, same block); None when too few."""
    aa, baseline = suite.noise_pairs(scenario, metric)
    return stats.noise_floor(metric, aa, baseline)


def auto_plan(
    suite: Suite,
    scenario: str,
    *,
    family_size: int = 12,
    effect_percent: float = 5.0,
    budget_seconds: float = 1800.0,
) -> tuple[int, str]:
    """(blocks, why): the pilot size until every metric's A/A floor has the pilot's pairs, then the power plan."""
    found = (noise_floor(suite, scenario, metric) for metric in REPEAT_METRICS)
    floors = [floor for floor in found if floor is not None]
    if len(floors) < len(REPEAT_METRICS) or min(f.pairs for f in floors) < stats.MIN_REPEAT:
        return stats.MIN_REPEAT, "the pilot blocks first"
    pilot = [
        r.metrics["wall_seconds"]
        for r in suite.runs()
        if r.scenario == scenario and r.instrument == CLEAN and r.role != WARMUP
        and r.repetition < stats.MIN_REPEAT and "wall_seconds" in r.metrics
    ]  # fmt: skip
    return power.auto_blocks(
        [f for f in floors if f.metric != "wall_seconds"],  # the plan promises no wall-time change
        family_size=family_size,
        effect_percent=effect_percent,
        seconds_per_block=sum(pilot) / stats.MIN_REPEAT if pilot else None,
        budget_seconds=budget_seconds,
    )


def repetitions(suite: Suite, scenario: str) -> int:
    """`--repeat auto` with the default family (12 tests), 5% effect and 30-minute budget."""
    return auto_plan(suite, scenario)[0]
