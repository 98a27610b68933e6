"""The plan on kubescape's binary: one Markdown row per stored bench (pair, scenario, mode).

Rendered from stored results only (`reports/kubescape/<pair>/<scenario>[-<mode>]/results.json`), so
the table in docs/kubescape.md can be checked against the files it quotes (a test does). Each row:
the gated variant's ratios to the baseline with their intervals for CPU seconds, peak CPU, peak
RSS and wall, the blocks, and what the findings did (identical, a change, or nondeterministic).

Must not: run anything or read files (the caller loads the suites).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from harness.judge import gates, stability, stats
from harness.results import Suite

COLUMNS = ("cpu_seconds", "peak_cpu_cores", "peak_rss_bytes", "wall_seconds")
ANON = "peak_rss_anon_bytes"  # sampled, not gated: the part of peak RSS the program allocated
HEADER = "| bench | scenario | blocks | CPU s | peak CPU | peak RSS | anon RSS (sampled) | wall | findings |"
RULE = "|---|---|---|---|---|---|---|---|---|"


@dataclass(frozen=True)
class Entry:
    name: str  # the stored folder, relative to reports/kubescape/
    suite: Suite


def _ratio(c: stats.Comparison | None) -> str:
    if c is None or math.isnan(c.median_ratio):
        return "—"
    if math.isnan(c.ci_low):
        return f"{c.median_ratio:.3f}×"
    return f"{c.median_ratio:.3f}× [{c.ci_low:.3f}, {c.ci_high:.3f}]"


def _findings(found: Sequence[stability.VariantFindings], variant: str) -> str:
    mine = [f for f in found if f.combination in (variant, "baseline") and f.kind != stability.UNREAD]
    words = []
    for one in mine:
        if one.kind == stability.IDENTICAL and one.combination == variant:
            words.append(f"identical ({one.runs} runs)")
        elif one.kind == stability.NONDETERMINISTIC:
            words.append(f"{one.combination}: nondeterministic, {len(one.groups)} digests in {one.runs} runs")
        elif one.kind == stability.CHANGED:
            words.append(f"changed ({', '.join(one.controls) or 'see verdict'})")
        elif one.kind == stability.BASELINE_NONDETERMINISTIC:
            words.append(f"baseline nondeterministic ({len(one.groups)} digests in {one.runs} runs)")
    return "; ".join(words) or "—"


def render(entries: Sequence[Entry]) -> str:
    lines = [HEADER, RULE]
    for entry in entries:
        verdict = gates.evaluate(entry.suite.with_late_mismatches())
        variant = str(entry.suite.config.get("gated") or "all")
        for scenario in entry.suite.scenario_names():
            cells = [verdict.comparisons.get((scenario, variant, metric)) for metric in COLUMNS]
            blocks = max((c.pairs for c in cells if c is not None), default=0)
            base = entry.suite.paired_values(scenario, "baseline", ANON, "baseline")
            candidate = entry.suite.paired_values(scenario, variant, ANON, "candidate")
            anon = stats.compare(ANON, candidate, base) if base and candidate else None
            found = [f for f in verdict.stability if f.scenario == scenario]
            ratios = [_ratio(c) for c in cells]
            row = [
                entry.name,
                scenario,
                str(blocks),
                *ratios[:3],
                _ratio(anon),
                ratios[3],
                _findings(found, variant),
            ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
