"""The verdict as JSON (`ksbench-verdict/1`): gates, per-phase promise vs measured, every comparison.

For machines that read the verdict (dashboards, bots). Renders a harness.judge.gates.Verdict and the
suite's metadata; computes nothing. Numbers are rounded to 6 decimals; NaN becomes null.

Format changes (one line each, newest last):
  ksbench-verdict/1 — first format.
"""

from __future__ import annotations

import math
from typing import Any

from harness.judge import stats
from harness.judge.gates import Gate, PhaseEffect, Verdict
from harness.report.wording import (
    assessment_text,
    comparison_lines,
    criterion_sentence,
    gate_ci,
    gate_measured,
    gate_target,
    peak_place_text,
    summary_line,
)
from harness.results import Suite, machine_json

FORMAT_VERSION = "ksbench-verdict/1"


def _number(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(value, 6)


def _comparison(c: stats.Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "metric": c.metric,
        "pairs": c.pairs,
        "median_ratio": _number(c.median_ratio),
        "change_percent": _number(c.change_percent),
        "ci_low": _number(c.ci_low),
        "ci_high": _number(c.ci_high),
        "p_value": _number(c.p_value),
        "p_adjusted": _number(c.p_adjusted),
        "verdict": c.verdict,
        "confidence": _number(c.confidence),  # the exact interval's achieved level
        "family": c.family,
    }


def render(verdict: Verdict, suite: Suite) -> dict[str, Any]:
    machine = suite.machine
    return {
        "format_version": FORMAT_VERSION,
        "results_format_version": suite.format_version,
        "results_created_at": suite.created_at,
        "exit_code": verdict.exit_code,
        "summary": summary_line(verdict),
        "machine": machine_json(machine),
        "scenarios": [
            {
                "name": s.name,
                "resource_count": s.resource_count,
                "fingerprint": s.fingerprint,
                "backend": s.backend,
                **({"clusters": {k: dict(v) for k, v in s.clusters.items()}} if s.clusters else {}),
                **({"parity_ignores": list(s.parity_ignores)} if s.parity_ignores else {}),
            }
            for s in suite.scenarios
        ],
        **({"comparison_notes": comparison_lines(suite)} if comparison_lines(suite) else {}),
        "gates": [_gate(g) for g in verdict.gates],
        "criteria": [
            {"criterion": c.number, "title": c.title, "status": c.status, "sentence": criterion_sentence(c)}
            for c in verdict.criteria()
        ],
        "phases": [_phase(p) for p in verdict.phases],
        "comparisons": [
            {"scenario": scenario, "combination": combination, **(_comparison(c) or {})}
            for (scenario, combination, _metric), c in verdict.comparisons.items()
        ],
        "families": [
            {"name": f.name, "tests": f.tests, "method": f.method, "alpha": f.alpha} for f in verdict.families
        ],
        "noise_floor": [
            {
                "scenario": scenario,
                "metric": metric,
                "pairs": f.pairs,
                "sigma_log": _number(f.sigma_log),
                "spread_percent": _number(f.spread_percent),
            }
            for (scenario, metric), f in verdict.noise.items()
        ],
        "interactions": [
            {
                "scenario": i.scenario,
                "metric": i.metric,
                "phases": [f"P{i.phases[0]}", f"P{i.phases[1]}"],
                "effect_percent": _number(i.effect_percent),
                "block_by_block": _comparison(i.test),
            }
            for i in verdict.interactions
        ],
        "notes": list(verdict.interaction_notes),
        "missing": list(verdict.missing),
        "mismatches": list(verdict.mismatches),
    }


def _gate(g: Gate) -> dict[str, Any]:
    return {
        "scenario": g.scenario,
        "gate": g.name,
        "target": gate_target(g),
        "measured": gate_measured(g),
        "ci": gate_ci(g),
        "status": g.status,
        "reason": g.reason,
        "criterion": g.criterion,
        "would": g.would,
        "where": peak_place_text(g.peaks),
    }


def _phase(p: PhaseEffect) -> dict[str, Any]:
    return {
        "phase": f"P{p.phase}",
        "scenario": p.scenario,
        "promise": {
            "text": p.promise.describe(),
            "metric": p.promise.metric,
            "low_percent": p.promise.low_percent,
            "high_percent": p.promise.high_percent,
            "large_only": p.promise.large_only,
        },
        "applies": p.applies,
        "alone": _comparison(p.alone),
        "on_top_of_the_others": _comparison(p.in_combination),
        "main_effect_percent": _number(p.main_effect_percent),
        "assessment": assessment_text(p.assessment),
    }
