"""The one verdict every command gives on a suite: bench, gate, report and merge all ask here.

Composes the stored runs re-checked for late mismatches (`Suite.with_late_mismatches`), the plan's
gates and per-phase promises (harness.judge.gates) and the power lines (harness.judge.planning), so
`ksbench report` says what `ksbench gate` and `ksbench bench` say. Also the power figures a bench
announces before and while it runs. Pure: must not read files, spawn processes or print.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.judge import gates, noise, planning
from harness.results import Suite


def verdict(suite: Suite) -> gates.Verdict:
    """The plan's gates and per-phase promises on `suite`'s re-checked runs, with their power lines."""
    return planning.with_power(gates.evaluate(suite.with_late_mismatches()))


def power_before(suite: Suite, scenarios: int, combinations: Sequence[str], blocks: int | None) -> list[str]:
    """Before running: can `blocks` resolve the smallest promised change in each table? (None: auto.)"""
    if blocks is None:
        return []  # --repeat auto plans for it after the pilot blocks
    sigma = planning.measured_sigma(gates.evaluate(suite)) if suite.series else None
    return [check.message() for check in planning.before(scenarios, combinations, blocks, sigma)]


def auto_repeat(
    suite: Suite, scenario: str, scenarios: int, combinations: Sequence[str], budget_seconds: float
) -> tuple[int, str]:
    """`--repeat auto`: (blocks, why) for this bench's per-phase family at the smallest promise."""
    family_size = max(1, gates.family_sizes(scenarios, combinations)["per-phase"])
    return noise.auto_plan(
        suite,
        scenario,
        family_size=family_size,
        effect_percent=gates.SMALLEST_PROMISE_PERCENT,
        budget_seconds=budget_seconds,
    )
