"""The verdict as plain-text tables for the terminal: gates, promise vs measured per phase, noise.

Renders a harness.judge.gates.Verdict; computes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.judge import best, prediction, stability, stats
from harness.judge.gates import Verdict, gated_combination
from harness.report.wording import (
    PER_PHASE_ABSENT,
    PER_PHASE_VARIANTS,
    assessment_text,
    change_text,
    comparison_lines,
    criterion_sentence,
    gate_ci,
    gate_measured,
    gate_reason,
    gate_target,
    peak_lines,
)
from harness.results import ALL_PHASES, Suite

METRIC_LABELS = {
    "cpu_seconds": "CPU",
    "peak_cpu_cores": "peak CPU",
    "peak_rss_bytes": "peak RSS",
    "wall_seconds": "wall",
}


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - widths are data
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(text.rstrip() for text in out)


def _percent(c: stats.Comparison | None) -> str:
    return change_text(c, lambda value: f"{value:+.1f}")


def _family(verdict: Verdict, name: str) -> list[str]:
    family = verdict.family(name)
    return [family.describe()] if family is not None else []


def render(verdict: Verdict, suite: Suite) -> str:
    compared = comparison_lines(suite)
    parts = [*_criteria(verdict), *what_it_would_take_lines(best.what_it_would_take(suite)), ""]
    parts += [*compared, ""] if compared else []
    parts += [*_gates(verdict, gated_combination(suite)), *_peaks(verdict), ""]
    phases = _phases(verdict) if verdict.phases else [f"Per phase: {PER_PHASE_VARIANTS}"]
    parts += [*phases, *_interactions(verdict), *_noise(verdict)]
    parts += [*_comparisons_and_failures(verdict), "", _machine(suite)]
    return "\n".join(parts) + "\n"


def _criteria(verdict: Verdict) -> list[str]:
    """The first lines a reader sees: the plan's verdict, one sentence per criterion."""
    return [
        f"The plan's five criteria (exit code {verdict.exit_code}):",
        *(criterion_sentence(c) for c in verdict.criteria()),
    ]


def what_it_would_take_lines(found: best.WhatItWouldTake) -> list[str]:
    """Beside the plan's verdict: the best combination per criterion, and whether one meets all five."""
    if len(found.judged) < 2:
        return []  # only `all` ran: the plan's verdict already says it
    lines = ["What it would take (every combination judged by the same gates):"]
    for one in found.best:
        ratio = ""
        if one.comparison is not None:
            c = one.comparison
            ratio = f" {c.median_ratio:.3f}× [{c.ci_low:.3f}, {c.ci_high:.3f}]"
            if one.target_ratio is not None:
                ratio += f" (target ≤ {one.target_ratio:.2f}×)"
        lines.append(f"  {one.number}. {one.title}: best {one.combination}{ratio}: {one.status.upper()}")
    together = ", ".join(found.meeting_all) if found.meeting_all else "none of the combinations run"
    lines.append(f"  all five together: {together}")
    return lines


def _gates(verdict: Verdict, gated: str) -> list[str]:
    judged = "all phases" if gated == ALL_PHASES else gated
    return [
        f"Gates ({judged} vs baseline, clean runs; pass only when the 95% CI clears the target;",
        "INFO: measured where the plan does not apply the criterion, never counted)",
        *_family(verdict, "gates"),
        table(
            ("scenario", "gate", "target", "measured", "95% CI", "result", "why"),
            [
                (
                    g.scenario,
                    g.name,
                    gate_target(g),
                    gate_measured(g),
                    gate_ci(g),
                    g.status.upper(),
                    gate_reason(g),
                )
                for g in verdict.gates
            ],
        ),
    ]


def _peaks(verdict: Verdict) -> list[str]:
    lines = peak_lines(verdict)
    if not lines:
        return []
    return [
        "",
        "Where the peaks were made (the stage most clean runs name; from /proc timelines + stage events)",
        *(f"  {line}" for line in lines),
    ]


def _phases(verdict: Verdict) -> list[str]:
    if not any(p.alone or p.in_combination for p in verdict.phases):
        return [f"Per phase: {PER_PHASE_ABSENT}"]
    return [
        "Per phase: the plan's promise vs measured change (Hodges–Lehmann paired ratio, 95% CI)",
        *_family(verdict, "per-phase"),
        table(
            ("scenario", "phase", "promise", "alone", "on top of the others", "main effect", "assessment"),
            [
                (
                    p.scenario,
                    f"P{p.phase}",
                    p.promise.describe(),
                    _percent(p.alone),
                    _percent(p.in_combination),
                    "—" if p.main_effect_percent is None else f"{p.main_effect_percent:+.1f}%",
                    assessment_text(p.assessment),
                )
                for p in verdict.phases
            ],
        ),
    ]


def _interactions(verdict: Verdict) -> list[str]:
    parts: list[str] = []
    if verdict.interactions:
        parts.append("")
        parts.append("Pairwise interactions (extra change when both are on, beyond their main effects)")
        parts += _family(verdict, "interactions")
        strong = sorted(verdict.interactions, key=lambda i: -abs(i.effect_percent))[:15]
        parts.append(
            table(
                ("scenario", "metric", "pair", "interaction", "block by block, 95% CI", "verdict"),
                [
                    (
                        i.scenario,
                        METRIC_LABELS.get(i.metric, i.metric),
                        f"P{i.phases[0]}×P{i.phases[1]}",
                        f"{i.effect_percent:+.1f}%",
                        _percent(i.test),
                        i.test.verdict if i.test is not None else "too few blocks",
                    )
                    for i in strong
                ],
            )
        )
    return parts + [f"note: {note}" for note in verdict.interaction_notes]


def _noise(verdict: Verdict) -> list[str]:
    if not verdict.noise:
        return []
    return [
        "",
        "Noise floor (A/A: a second baseline run in every block)",
        table(
            ("scenario", "metric", "pairs", "±95% of single runs"),
            [
                (scenario, METRIC_LABELS.get(metric, metric), str(f.pairs), f"±{f.spread_percent:.1f}%")
                for (scenario, metric), f in verdict.noise.items()
            ],
        ),
    ]


def _comparisons_and_failures(verdict: Verdict) -> list[str]:
    significant = [
        (key, c) for key, c in verdict.comparisons.items() if c.verdict in (stats.LOWER, stats.HIGHER)
    ]
    parts = [
        "",
        f"{len(verdict.comparisons)} comparisons of every combination (the heat map): "
        f"{len(significant)} significant, the rest not significant or too few runs",
        *_family(verdict, "heat map"),
        *(check.message() for check in verdict.power),
    ]
    if verdict.missing:
        parts.append("")
        parts.append(f"Missing figures ({len(verdict.missing)} runs) — failures to measure, not regressions:")
        parts += [f"  {line}" for line in verdict.missing[:30]]
        if len(verdict.missing) > 30:
            parts.append(f"  … and {len(verdict.missing) - 30} more (see results.json)")
    troubled = stability.troubled(verdict.stability)
    if troubled:
        parts.append("")
        parts.append(
            "Findings stability (each variant's runs against each other, then against the baseline):"
        )
        parts += [f"  {one.sentence()}" for one in verdict.stability if one.kind != stability.UNREAD]
    if verdict.mismatches:
        parts.append("")
        parts.append("FINDINGS MISMATCH — no figure of this bench can be trusted:")
        parts += [f"  {line}" for line in verdict.mismatches]
    return parts


def _machine(suite: Suite) -> str:
    machine = suite.machine
    tools = "".join(f"{tool} {version or 'missing'}; " for tool, version in machine.tool_versions().items())
    return (
        f"machine: Python {machine.python_version}, {machine.cpu_count} CPUs, {machine.platform}; "
        f"engine {machine.engine or '?'}; {tools}commit {(machine.git_commit or '?')[:12]}"
        f"{' (dirty)' if machine.git_dirty else ''}"
    )


def render_comparisons(rows: Sequence[tuple[str, str, str, stats.Comparison]]) -> str:
    return table(
        ("scenario", "combination", "metric", "new/old", "95% CI", "p (Holm)", "verdict"),
        [
            (
                scenario,
                combination,
                METRIC_LABELS.get(metric, metric),
                "—" if math.isnan(c.median_ratio) else f"{c.median_ratio:.3f}×",
                "—" if math.isnan(c.ci_low) else f"[{c.ci_low:.3f}, {c.ci_high:.3f}]",
                "—" if math.isnan(c.p_adjusted) else f"{c.p_adjusted:.3g}",
                c.verdict,
            )
            for scenario, combination, metric, c in rows
        ],
    )


def render_prediction(rows: Sequence[prediction.Row]) -> str:
    """Model vs binary, one line per scenario and metric: both ratios with intervals, agreement."""

    def cell(c: stats.Comparison | None) -> str:
        if c is None or math.isnan(c.median_ratio):
            return "—"
        interval = "" if math.isnan(c.ci_low) else f" [{c.ci_low:.3f}, {c.ci_high:.3f}]"
        return f"{c.median_ratio:.3f}×{interval} n={c.pairs}"

    words = {
        prediction.AGREE: "agree (intervals overlap)",
        prediction.MODEL_LOWER: "model lower than binary",
        prediction.MODEL_HIGHER: "model higher than binary",
        prediction.MISSING: "not comparable (too few pairs)",
    }
    body = [(r.scenario, r.metric, cell(r.model), cell(r.binary), words[r.agreement]) for r in rows]
    return table(("scenario", "metric", "model (predicted)", "binary (measured)", "agreement"), body)
