"""The verdict as Markdown for a pull-request comment: the gate table and promise vs measured per phase.

Short enough to read on a phone: a gate table and one row per phase (scenarios as columns, an icon
for the assessment); the reasons, notes and missing figures folded away.
Renders a harness.judge.gates.Verdict; computes nothing.
"""

from __future__ import annotations

from harness.judge import gates, stability, stats
from harness.judge.gates import Verdict
from harness.report.wording import (
    PER_PHASE_ABSENT,
    PER_PHASE_VARIANTS,
    change_text,
    comparison_lines,
    gate_ci,
    gate_measured,
    gate_reason,
    peak_lines,
    summary_line,
)
from harness.results import Suite
from scanner.escape import markdown_cell, markdown_code, markdown_fence

ICONS = {gates.PASS: "✅", gates.FAIL: "❌", gates.INCONCLUSIVE: "⚠️", gates.NOT_RUN: "➖", gates.INFO: "ℹ️"}
FOLDED_LINES = 20


def _cell(text: str) -> str:
    """Every string in a cell, a list item or the folded details: inert Markdown on one line."""
    return markdown_cell(text)


def _signed(value: float) -> str:
    text = f"{value:+.0f}"
    return "±0" if text in ("+0", "-0") else text


def _change(c: stats.Comparison | None) -> str:
    return change_text(c, _signed)


ASSESSMENT_ICONS: dict[gates.AssessmentKind, str] = {
    "delivers": "✅",
    "helps-less": "🔸",
    "helps-unresolved": "🔸",
    "no-effect": "➖",
    "not-significant": "❔",
    "worse": "❌",
    "missing": "⚠️",
}
LEGEND = (
    "✅ delivers the promise · 🔸 helps, promise not met or not resolved · ➖ no measurable effect · "
    "❔ not significant or not confirmed across the family (repeat more) · ❌ makes it worse · ⚠️ figures missing"
)


def _icon(assessment: gates.Assessment) -> str:
    return ASSESSMENT_ICONS[assessment.kind]


def render(verdict: Verdict, suite: Suite) -> str:
    machine = suite.machine
    sizes = ", ".join(
        f"{_cell(s.name)} {s.resource_count:,}" if s.resource_count is not None else _cell(s.name)
        for s in suite.scenarios
    )
    commit = (machine.git_commit or "?")[:12] + ("-dirty" if machine.git_dirty else "")
    lines = [
        f"### ksbench: {summary_line(verdict)}",
        "",
        f"{markdown_code(commit)} · {sizes} · {machine.cpu_count or '?'} CPUs · {_cell(machine.engine or 'engine ?')}",
        "",
        " · ".join(f"{ICONS.get(c.status, c.status)} {c.number}. {c.title}" for c in verdict.criteria()),
        "",
        *(f"> {_cell(line)}" for line in comparison_lines(suite)),
        *([""] if comparison_lines(suite) else []),
        "| | scenario | gate | measured | 95% CI |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {ICONS.get(g.status, g.status)} | {_cell(g.scenario)} | {_cell(g.name)} | {_cell(gate_measured(g))} | {gate_ci(g)} |"
        for g in verdict.gates
        if g.status != gates.INFO
    ]
    lines += _phase_rows(verdict)
    folded = [
        f"- {_cell(g.scenario)} · {_cell(g.name)}: {_cell(g.reason.splitlines()[0])}"
        for g in verdict.gates
        if g.reason and g.status != gates.INFO
    ]
    folded += [f"- where: {_cell(line)}" for line in peak_lines(verdict)]
    folded += [
        f"- ℹ️ {_cell(g.scenario)} · {_cell(g.name)}: {_cell(gate_measured(g))} {gate_ci(g)} — {_cell(gate_reason(g))}"
        for g in verdict.gates
        if g.status == gates.INFO
    ]
    folded += [f"- note: {_cell(note)}" for note in verdict.interaction_notes]
    if verdict.missing:
        folded += [f"- missing: {_cell(line)}" for line in verdict.missing[:FOLDED_LINES]]
        if len(verdict.missing) > FOLDED_LINES:
            folded.append(f"- … and {len(verdict.missing) - FOLDED_LINES} more runs without figures")
    if folded:
        lines += [
            "",
            "<details><summary>Why, notes and missing figures</summary>",
            "",
            *folded,
            "",
            "</details>",
        ]
    troubled = stability.troubled(verdict.stability)
    if troubled:
        lines += [
            "",
            "**Findings stability** (each variant's runs against each other, then the baseline):",
            "",
        ]
        lines += [f"- {_cell(one.sentence())}" for one in troubled]
    if verdict.mismatches:
        lines += ["", "**Findings mismatch — no figure of this bench can be trusted:**", ""]
        lines += markdown_fence([line for text in verdict.mismatches[:5] for line in text.splitlines()])
    return "\n".join(lines) + "\n"


def _phase_rows(verdict: Verdict) -> list[str]:
    """The per-phase table, or one line when no phase was measured on its own or on top of the others."""
    if not verdict.phases:
        return ["", f"**Per phase:** {PER_PHASE_VARIANTS}"]
    if not any(p.alone or p.in_combination for p in verdict.phases):
        return ["", f"**Per phase:** {PER_PHASE_ABSENT}"]
    scenarios = list(dict.fromkeys(p.scenario for p in verdict.phases))
    cells = {(p.phase, p.scenario): p for p in verdict.phases}
    lines = [
        "",
        "**Per phase: promised vs measured alone** (Hodges–Lehmann change vs baseline, 95% CI)",
        "",
        *[f"_{f.describe()}_" for f in verdict.families if f.name == "per-phase"],
        *([""] if verdict.family("per-phase") else []),
        "| phase | promise | " + " | ".join(_cell(s) for s in scenarios) + " |",
        "|---|---|" + "---|" * len(scenarios),
    ]
    for promise in gates.PROMISES:
        row = [f"P{promise.phase}", promise.describe()]
        for scenario in scenarios:
            effect = cells.get((promise.phase, scenario))
            if effect is None:
                row.append("—")
                continue
            mark = "" if effect.applies else "¹"
            row.append(f"{_change(effect.alone)} {_icon(effect.assessment)}{mark}")
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", LEGEND]
    if any(not p.applies for p in verdict.phases):
        lines += ["", "¹ the promise is for clusters above 2,500 resources"]
    return lines
