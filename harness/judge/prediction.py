"""Model vs binary: our scanner's predicted ratio beside the binary's measured one, per metric.

Two stored benches: one of our scanner (a phase combination against its baseline, e.g.
P1+P2+P3) and one of kubescape's builds (a variant against its baseline, e.g. the commit that
landed those phases). For every scenario both measured and every gated metric, the two ratios with
their intervals, and whether they agree: the intervals overlap (agree), or are disjoint (the
model misses the binary, by how much).

Pure: reads two suites; never runs anything or reads a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from harness.judge import gates, stats
from harness.results import Suite

Agreement = Literal["agree", "model-lower", "model-higher", "missing"]
AGREE: Final = "agree"
MODEL_LOWER: Final = "model-lower"  # the model predicts a smaller ratio than the binary shows
MODEL_HIGHER: Final = "model-higher"
MISSING: Final = "missing"


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    model: stats.Comparison | None
    binary: stats.Comparison | None

    @property
    def agreement(self) -> Agreement:
        m, b = self.model, self.binary
        if m is None or b is None or math.isnan(m.ci_low) or math.isnan(b.ci_low):
            return MISSING
        if m.ci_high < b.ci_low:
            return MODEL_LOWER
        if m.ci_low > b.ci_high:
            return MODEL_HIGHER
        return AGREE


def rows(model: Suite, model_combination: str, binary: Suite, binary_variant: str) -> tuple[Row, ...]:
    """One row per (scenario both benches ran, metric), in the model bench's scenario order."""
    model_verdict, binary_verdict = gates.evaluate(model), gates.evaluate(binary)
    shared = [s for s in model.scenario_names() if s in binary.scenario_names()]
    return tuple(
        Row(
            scenario,
            metric,
            model_verdict.comparisons.get((scenario, model_combination, metric)),
            binary_verdict.comparisons.get((scenario, binary_variant, metric)),
        )
        for scenario in shared
        for metric in gates.METRICS
    )
