"""What it would take: beside the plan's verdict, the best measured combination per criterion.

The plan's gates judge one combination, `all`. This module judges every other combination that
ran by the very same gates (each in turn standing where `all` stands, against the same baseline
runs) and answers: for each of the five criteria, which combination did best, and does any one
combination meet all five at once. Candidates beyond the plan (X1, …) count like any combination.
A combination without its own 2-worker race run cannot show the crash criterion.
Pure: reads a Suite, returns values. Must not: read files, spawn processes or print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from harness.judge import gates, stats
from harness.results import ALL_PHASES, BASELINE_COMBINATION, Suite

_STATUS_RANK = {gates.PASS: 0, gates.INCONCLUSIVE: 1, gates.FAIL: 2, gates.NOT_RUN: 3}


@dataclass(frozen=True)
class CombinationJudgement:
    combination: str
    criteria: tuple[gates.Criterion, ...]

    @property
    def meets_all(self) -> bool:
        return all(c.status == gates.PASS for c in self.criteria)


@dataclass(frozen=True)
class BestForCriterion:
    number: int
    title: str
    combination: str
    status: gates.GateStatus
    # Ratio criteria: the comparison of the scenario where the combination came closest to missing.
    comparison: stats.Comparison | None
    target_ratio: float | None


@dataclass(frozen=True)
class WhatItWouldTake:
    best: tuple[BestForCriterion, ...]
    meeting_all: tuple[str, ...]
    judged: tuple[CombinationJudgement, ...]


def _as_all(suite: Suite, combination: str) -> Suite:
    """The baseline's runs and `combination`'s, with `combination` standing where `all` stands."""
    kept = []
    for one in suite.series:
        if one.combination == BASELINE_COMBINATION:
            kept.append(one)
        elif one.combination == combination:
            runs = tuple(replace(run, combination=ALL_PHASES) for run in one.runs)
            kept.append(replace(one, combination=ALL_PHASES, runs=runs))
    return replace(suite, series=tuple(kept))


def _worst_ratio(criterion: gates.Criterion) -> tuple[stats.Comparison | None, float | None]:
    """The gated ratio comparison with the highest upper bound (the one that decides the criterion)."""
    ratios = [g for g in criterion.gates if g.comparison is not None and not math.isnan(g.comparison.ci_high)]
    if not ratios:
        return None, None
    worst = max(ratios, key=lambda g: g.comparison.ci_high if g.comparison else math.inf)
    return worst.comparison, worst.target_ratio


def judge_combination(suite: Suite, combination: str) -> CombinationJudgement:
    return CombinationJudgement(combination, gates.evaluate(_as_all(suite, combination)).criteria())


def what_it_would_take(suite: Suite) -> WhatItWouldTake:
    names = sorted({one.combination for one in suite.series} - {BASELINE_COMBINATION})
    judged = tuple(judge_combination(suite, name) for name in names)
    best: list[BestForCriterion] = []
    for number, title in gates.CRITERIA.items():
        ranked = []
        for judgement in judged:
            criterion = next(c for c in judgement.criteria if c.number == number)
            comparison, target = _worst_ratio(criterion)
            upper = comparison.ci_high if comparison is not None else math.inf
            ranked.append(
                (
                    (_STATUS_RANK[criterion.status], upper, judgement.combination),
                    criterion,
                    comparison,
                    target,
                )
            )
        if ranked:
            (_, _, name), criterion, comparison, target = min(ranked, key=lambda item: item[0])
            best.append(BestForCriterion(number, title, name, criterion.status, comparison, target))
    meeting = tuple(j.combination for j in judged if j.meets_all)
    return WhatItWouldTake(tuple(best), meeting, judged)
