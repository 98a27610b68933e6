"""Two stored benches of the same combinations (e.g. two commits) compared: `ksbench compare OLD NEW`.

Per (scenario, combination, metric) of clean runs: NEW/OLD Hodges–Lehmann ratio with its exact
interval and the Wilcoxon signed-rank test, Holm–Bonferroni across the table (one confirmatory
family), whether that many pairs could reach significance at all, and whether the baseline's
findings changed between the two. Pure: must not read files, spawn processes or print.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import results
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import power, stats

METRICS = ("cpu_seconds", "peak_rss_bytes", "wall_seconds")

Row = tuple[str, str, str, stats.Comparison]  # scenario, combination, metric, NEW vs OLD


@dataclass(frozen=True)
class SuiteComparison:
    rows: tuple[Row, ...]
    family: stats.Family
    underpowered: str | None  # why no comparison can reach significance, when none can
    findings_changed: tuple[str, ...]  # scenarios whose baseline findings differ between OLD and NEW

    @property
    def worse(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row[3].verdict == stats.HIGHER)

    @property
    def exit_code(self) -> int:
        """3 when the baseline's findings changed, 1 when a figure got significantly worse, else 0."""
        if self.findings_changed:
            return EXIT_FINDINGS_MISMATCH
        return EXIT_GATE_MISSED if self.worse else EXIT_OK


def compare_suites(old: results.Suite, new: results.Suite) -> SuiteComparison:
    keys = dict.fromkeys((r.scenario, r.combination) for r in new.runs() if r.measured)
    rows: list[Row] = []
    for scenario, combination in keys:
        for metric in METRICS:
            a = new.measured_values(scenario, combination, metric)
            b = old.measured_values(scenario, combination, metric)
            if not b:
                continue
            # Two separate jobs have no natural pairing: runs are paired in the order they ran.
            n = min(len(a), len(b))
            compared = stats.compare(metric, dict(enumerate(a[:n])), dict(enumerate(b[:n])))
            rows.append((scenario, combination, metric, compared))
    adjusted, _ = stats.adjust([c for *_, c in rows], family="compare", method=stats.HOLM)
    final = tuple((s, c, m, adj) for (s, c, m, _), adj in zip(rows, adjusted, strict=True))
    tested = sum(1 for *_, c in final if c.verdict != stats.TOO_FEW)
    pairs = min((c.pairs for *_, c in final if c.verdict != stats.TOO_FEW), default=0)
    underpowered = None
    if tested and power.smallest_p(pairs) > power.lone_threshold(tested):
        underpowered = (
            f"with {pairs} pairs no comparison can reach significance across {tested} tests "
            f"(smallest signed-rank p {power.smallest_p(pairs):.3g} > {power.lone_threshold(tested):.3g}): "
            "bench both with more --repeat"
        )
    changed = tuple(
        s.name
        for s in new.scenarios
        if (before := old.reference_digest(s.name)) is not None
        and (after := new.reference_digest(s.name)) is not None
        and before != after
    )
    return SuiteComparison(final, stats.Family("compare", tested, stats.HOLM), underpowered, changed)
