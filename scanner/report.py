"""The report: kubescape-shaped JSON (streamed, redacted) and a terminal summary.

Owns the report document (format version, generation time, the scan's metadata around the
findings scanner.aggregate computes), writing it as JSON and rendering it for a terminal;
scanner.reader reads it back. Raw resources are redacted before they are written
(scanner.redact) and read one at a time from the inventory's raw store, so writing never gathers
the cluster in memory. Computes no findings, statuses or scores: those are scanner.aggregate's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from scanner.aggregate import SEVERITIES, AggregateStream, aggregate
from scanner.engine import EngineInfo
from scanner.escape import terminal
from scanner.evaluate import ScanOptions, ScanState
from scanner.exceptions import PostureException
from scanner.policies import Library
from scanner.reader import FORMAT_VERSION
from scanner.results import FAILED, PASSED, SKIPPED

PROBLEMS_KEPT = 1000  # problems listed in a report; the rest are counted in one more entry


@dataclass(frozen=True)
class ReportContext:
    """What a report needs besides the scan's state: the policies, how the scan ran, and when."""

    library: Library
    engine: EngineInfo
    options: ScanOptions
    frameworks: tuple[str, ...]
    exceptions: tuple[PostureException, ...]
    generation_time: str
    source_description: str


def build(state: ScanState, ctx: ReportContext) -> dict[str, Any]:
    """Everything but the raw resources, which `write_json` streams from the inventory."""
    findings = aggregate(state, ctx.library, ctx.frameworks, ctx.exceptions)
    return {
        "format_version": FORMAT_VERSION,
        "generationTime": ctx.generation_time,
        "summaryDetails": findings.summary_details,
        "results": findings.results,
        "metadata": _metadata(state, ctx),
    }


def write_report_json(state: ScanState, ctx: ReportContext, out: IO[str]) -> dict[str, Any]:
    """The JSON report; returns what a summary reads (X2 streams the results instead of holding them)."""
    if ctx.options.phases.has_candidate(2):
        return write_json_streamed(state, ctx, out)
    report = build(state, ctx)
    write_json(report, state, out)
    return report


def write_json_streamed(state: ScanState, ctx: ReportContext, out: IO[str]) -> dict[str, Any]:
    """X2: the same bytes as `write_json(build(…))`, each result written as it is built and then dropped.

    Returns the report without `results` (the summary a terminal or --fail-threshold reads).
    """
    stream = AggregateStream(state, ctx.library, ctx.frameworks, ctx.exceptions, release_rows=True)
    head = {
        "format_version": FORMAT_VERSION,
        "generationTime": ctx.generation_time,
        "metadata": _metadata(state, ctx),
    }
    out.write("{\n")
    for key in sorted(head):  # every key sorts before "results", and "summaryDetails" after it
        out.write(f"{_dumps(key)}:{_dumps(head[key])},\n")
    _write_results(stream.results(), out)
    summary = stream.summary_details()
    out.write(f"{_dumps('summaryDetails')}:{_dumps(summary)},\n")
    _write_resources(state, out)
    return {**head, "summaryDetails": summary}


def _metadata(state: ScanState, ctx: ReportContext) -> dict[str, Any]:
    """How the scan ran (engine, phases, options, counters) and what it could not read."""
    inventory = state.inventory
    return {
        "scanner": "ksbench reference scanner",
        "engine": {
            "name": ctx.engine.name,
            "version": ctx.engine.version,
            "rego_version": ctx.engine.rego_version,
        },
        "phases": str(ctx.options.phases),
        "workers": ctx.options.workers,
        "options": {
            "batch_size": ctx.options.batch_size,
            "large_cluster_size": ctx.options.large_cluster_size,
            "control_order": ctx.options.control_order,
        },
        "largeCluster": state.large_cluster,
        "source": ctx.source_description,
        "problems": _capped(
            [(p.where, p.reason) for p in state.problems] + [(str(w), r) for w, r in inventory.invalid]
        ),
        "resourceCount": inventory.counters.objects_collected,
        "counters": state.counters,
        "audit": state.audit,
    }


def _capped(problems: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The first PROBLEMS_KEPT problems, then one that counts the rest: a hostile file with a million
    bad items makes a report of kilobytes, not of a hundred megabytes."""
    kept = [{"where": where, "reason": reason} for where, reason in problems[:PROBLEMS_KEPT]]
    if len(problems) > PROBLEMS_KEPT:
        kept.append({"where": "…", "reason": f"…and {len(problems) - PROBLEMS_KEPT:,} more like these"})
    return kept


def _resources(state: ScanState) -> Iterator[dict[str, Any]]:
    for rid, obj in state.inventory.raw_objects(sorted(state.inventory.meta)):
        yield {"resourceID": rid, "object": obj}


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_json(report: dict[str, Any], state: ScanState, out: IO[str]) -> None:
    """One JSON document; results and resources one per line, resources read one at a time."""
    out.write("{\n")
    for key in sorted(report):
        if key == "results":
            _write_results(report["results"], out)
        else:
            out.write(f"{_dumps(key)}:{_dumps(report[key])},\n")
    _write_resources(state, out)


def _write_results(results: Iterable[dict[str, Any]], out: IO[str]) -> None:
    # One item at a time: joining them first would hold a second copy of every result as one string.
    out.write('"results":[\n')
    first = True
    for item in results:
        out.write(("" if first else ",\n") + _dumps(item))
        first = False
    out.write("\n],\n")


def _write_resources(state: ScanState, out: IO[str]) -> None:
    out.write('"resources":[\n')
    first = True
    for item in _resources(state):
        out.write(("" if first else ",\n") + _dumps(item))
        first = False
    out.write("\n]\n}\n")


def render_pretty(report: dict[str, Any]) -> str:
    """A terminal summary: failed controls by severity, counts, scores."""
    summary = report["summaryDetails"]
    controls = summary["controls"].values()
    meta = report["metadata"]
    t = terminal  # every string from the cluster, the manifests or the policies: one line, no controls
    lines = [
        f"ksbench scan — {t(meta['source'])} — engine {t(meta['engine']['name'])} {t(meta['engine']['version'])} — phases {meta['phases']}",
        f"resources: {meta['resourceCount']}  controls: {len(summary['controls'])}  "
        f"compliance score: {summary['complianceScore']:.2f}%",
        "",
        f"{'severity':<9} {'control':<8} {'failed':>7} {'total':>7}  name",
    ]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    failed = sorted(
        (c for c in controls if c["status"] == FAILED), key=lambda c: (rank[c["severity"]], c["controlID"])
    )
    for c in failed:
        counters = c["ResourceCounters"]
        total = counters["passedResources"] + counters["failedResources"] + counters["skippedResources"]
        lines.append(
            f"{t(c['severity']):<9} {t(c['controlID']):<8} {counters['failedResources']:>7} {total:>7}  {t(c['name'])}"
        )
    skipped = [
        c for c in controls if c["status"] == SKIPPED and c["statusInfo"].get("subStatus") != "irrelevant"
    ]
    if skipped:
        lines += ["", "skipped (could not be evaluated):"]
        lines += [
            f"  {t(c['controlID'])} {t(c['name'])}: {t(c['statusInfo'].get('info', ''))}" for c in skipped
        ]
    for problem in meta["problems"][:20]:
        lines.append(f"problem: {t(problem['where'])}: {t(problem['reason'])}")
    if len(meta["problems"]) > 20:
        lines.append(f"… and {len(meta['problems']) - 20} more problems (see the JSON report)")
    passed = sum(1 for c in controls if c["status"] == PASSED)
    lines += ["", f"{len(failed)} failed, {passed} passed, {len(skipped)} skipped controls"]
    return "\n".join(lines) + "\n"
