"""Wording shared by the reporters: changes, gate figures, assessments and the summary line.

The judge returns numbers and kinds (harness.judge.gates.Gate, Assessment); every sentence and
every number format a reader sees is chosen here or in a reporter.

Must not: compute statistics or judge (harness.judge.stats and harness.judge.gates do), run anything, or
read files other than what they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK
from harness.judge import gates, stats
from harness.results import ALL_PHASES, Suite


def change_text(c: stats.Comparison | None, number: Callable[[float], str]) -> str:
    """`+4.1% [-3.8, +17.9]`, `+4.1% (n=2)` or `—`, with `number` formatting each percentage."""
    if c is None or math.isnan(c.median_ratio):
        return "—"
    if math.isnan(c.ci_low):
        return f"{number(c.change_percent)}% (n={c.pairs})"
    return f"{number(c.change_percent)}% [{number((c.ci_low - 1) * 100)}, {number((c.ci_high - 1) * 100)}]"


RATIO_GATE_KEYS = ("cpu", "cpu-seconds", "memory", "wall")
CRASH_TARGET = "all-phases runs exit 0, also with 2 workers + shuffled controls"
# The quick start benches baseline vs all phases only: every format says so in one line, not a table of dashes.
PER_PHASE_ABSENT = (
    "not measured (only the baseline and all phases ran; "
    "--combinations key adds each phase alone and on top of the others)"
)
PER_PHASE_VARIANTS = "not measured (command variants have no phases)"


def gate_target(g: gates.Gate) -> str:
    """`≤ 0.70× baseline`, or what a count gate asks for."""
    if g.key == "findings":
        return "identical to baseline"
    if g.key == "crash":
        return CRASH_TARGET
    if g.target_ratio == gates.LARGE_WALL_TARGET_RATIO and g.key == "wall":
        return "< 1.00× baseline"
    return "—" if g.target_ratio is None else f"≤ {g.target_ratio:.2f}× baseline"


def gate_measured(g: gates.Gate) -> str:
    """The measurement: the median ratio and change, or the counts that decided a count gate."""
    t = g.tally
    if g.key in RATIO_GATE_KEYS:
        c = g.comparison
        if c is None or math.isnan(c.median_ratio):
            return "—"
        return (
            f"{c.median_ratio:.3f}×"
            if math.isnan(c.ci_low)
            else f"{c.median_ratio:.3f}× ({c.change_percent:+.1f}%)"
        )
    return {
        "not-run": "—",
        "differ": f"{t.differ} differ",
        "nothing-compared": "nothing compared",
        "identical": f"{t.compared} reports identical",
        "crashed": f"{t.crashed} crashed, {t.differ} differ under 2 workers",
        "timed-out": f"{t.timed_out} timed out",
        "no-race-run": "no race run",
        "runs-ok": f"{t.runs} runs ok ({t.race_ok} with 2 workers)",
    }.get(g.observed, "—")


def gate_ci(g: gates.Gate) -> str:
    c = g.comparison
    if g.key not in RATIO_GATE_KEYS or c is None or math.isnan(c.ci_low):
        return "—"
    return f"[{c.ci_low:.3f}, {c.ci_high:.3f}]"


ASSESSMENT_TEXT: dict[gates.AssessmentKind, str] = {
    "delivers": "delivers the promise",
    "helps-less": "helps, less than promised",
    "helps-unresolved": "helps; promise not resolved",
    "no-effect": "no measurable effect",
    # The interval excludes 0 but the family's correction does not confirm it: never "no effect".
    "not-significant": "{direction}, not confirmed in the {family} family (n={pairs}: repeat more)",
    "worse": "makes it worse",
    "missing": "inconclusive (missing figures)",
}


def assessment_text(a: gates.Assessment) -> str:
    """One phrase: how the measurement stands against the promise (and whether the promise applies)."""
    text = ASSESSMENT_TEXT[a.kind].format(pairs=a.pairs, direction=a.direction, family=a.family or "test")
    if a.kind == "missing" or a.applies:
        return text
    return text + " (promise is for large clusters)"


HEADLINES = {
    EXIT_OK: "all gates pass",
    EXIT_GATE_MISSED: "a gate missed",
    EXIT_FINDINGS_MISMATCH: "FINDINGS MISMATCH",
    EXIT_ENVIRONMENT: "figures missing: inconclusive",
}


def summary_line(verdict: gates.Verdict) -> str:
    """One line a reader sees first: how many gates passed, failed, could not be judged."""
    counts: dict[str, int] = {}
    for g in verdict.gates:
        counts[g.status] = counts.get(g.status, 0) + 1
    order = (gates.PASS, gates.FAIL, gates.INCONCLUSIVE, gates.NOT_RUN)
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    headline = HEADLINES.get(verdict.exit_code, f"exit {verdict.exit_code}")
    return f"{headline} ({', '.join(parts) or 'no gates'})"


WOULD = {gates.PASS: "would pass", gates.FAIL: "would miss", gates.INCONCLUSIVE: "not measured"}


def gate_reason(g: gates.Gate) -> str:
    """Why a gate stands as it does; an INFO gate also says what it would be where the plan applied it."""
    if g.status == gates.INFO and g.would is not None:
        return f"{g.reason} ({WOULD.get(g.would, g.would)})"
    return g.reason


def peak_place_text(places: tuple[gates.PeakPlace, ...]) -> str:
    """`baseline: evaluate C-0053 … over the cluster (5 of 5 runs); all phases: collect (4 of 5 runs)`."""
    return "; ".join(
        f"{'all phases' if p.combination == ALL_PHASES else p.combination}: {p.place} ({p.runs} of {p.of} runs)"
        for p in places
    )


def criterion_sentence(criterion: gates.Criterion) -> str:
    """`2. peak memory ≥40% lower above 2,500 resources: FAIL — threshold 1.153× …` in one line."""
    head = f"{criterion.number}. {criterion.title}: {criterion.status.upper()}"
    if not criterion.gates:
        measured = "; ".join(f"{g.scenario} {gate_measured(g)}" for g in criterion.information)
        where = f" (measured as information: {measured})" if measured else ""
        return f"{head} — no scenario the plan applies it to was run{where}."
    parts = []
    for g in criterion.gates:
        ci = gate_ci(g)
        figure = gate_measured(g) if ci == "—" else f"{gate_measured(g)} {ci}"
        why = f", {g.reason}" if g.status != gates.PASS and g.reason else ""
        parts.append(f"{g.scenario} {figure}{why}")
    return f"{head} — " + "; ".join(parts) + "."


def peak_lines(verdict: gates.Verdict) -> list[str]:
    """Where each peak the gates judge was made, per scenario, for the baseline and all phases."""
    return [
        f"{g.scenario} · {g.name.split(' ≥')[0]}: {peak_place_text(g.peaks)}"
        for g in verdict.gates
        if g.peaks and g.key in gates.PEAK_OF
    ]


def comparison_lines(suite: Suite) -> list[str]:
    """What was compared with what, where a reader could assume otherwise: benches across two
    clusters (a variant scanning a stripped copy of the scenario) and the Go runtime knobs a
    variant set. Empty for a bench of combinations on one cluster."""
    lines: list[str] = []
    for info in suite.scenarios:
        for name, cluster in info.clusters.items():
            stripped = ", ".join(cluster.get("stripped") or []) or "no field"
            ignored = ", ".join(info.parity_ignores) or "nothing"
            lines.append(
                f"ACROSS CLUSTERS on {info.name}: {name} scanned {cluster.get('scenario')} "
                f"(fingerprint {str(cluster.get('fingerprint') or '?')[:12]}: {info.name}'s objects without {stripped}); "
                f"the baseline scanned {info.name} (fingerprint {(info.fingerprint or '?')[:12]}). Findings were "
                f"compared with {ignored} taken out of the raw resources, everything else identical."
            )
    variants = suite.config.get("variants")
    for name, config in variants.items() if isinstance(variants, dict) else []:
        runtime = config.get("runtime_env") if isinstance(config, dict) else None
        if not runtime:
            continue
        given = config.get("runtime_env_given") or {}
        knobs = ", ".join(
            f"{key}={value}" + (f" (given as {given[key]})" if key in given else "")
            for key, value in sorted(runtime.items())
        )
        lines.append(f"variant {name}: Go runtime {knobs}")
    return lines
