"""Reporters: render stored results and verdicts (text table, benchstat, pytest-benchmark JSON, …).

Must not: compute statistics or judge (harness.judge.stats and harness.judge.gates do), run anything, or
read files other than what they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.judge import stats


def change_text(c: stats.Comparison | None, number: Callable[[float], str]) -> str:
    """`+4.1% [-3.8, +17.9]`, `+4.1% (n=2)` or `—`, with `number` formatting each percentage."""
    if c is None or math.isnan(c.median_ratio):
        return "—"
    if math.isnan(c.ci_low):
        return f"{number(c.change_percent)}% (n={c.pairs})"
    return f"{number(c.change_percent)}% [{number((c.ci_low - 1) * 100)}, {number((c.ci_high - 1) * 100)}]"
