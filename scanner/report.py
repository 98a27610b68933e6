"""The report: kubescape-shaped JSON (streamed, redacted) and a terminal summary.

Builds the report from a finished scan's state and writes it (scanner.reader reads it back).
Raw resources are redacted before they are written (scanner.redact) and read one at a time
from the inventory's raw store, so writing never gathers the cluster in memory.
Computes no findings; renders what the results table holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from scanner.engine import EngineInfo
from scanner.evaluate import ScanOptions, ScanState
from scanner.exceptions import PostureException, exceptions_for
from scanner.policies import Control, Library
from scanner.reader import FORMAT_VERSION
from scanner.results import FAILED, PASSED, SKIPPED
from scanner.sources.objects import ResourceID

SEVERITIES = ("Critical", "High", "Medium", "Low", "Unknown")


@dataclass(frozen=True)
class ReportContext:
    library: Library
    engine: EngineInfo
    options: ScanOptions
    frameworks: tuple[str, ...]
    exceptions: tuple[PostureException, ...]
    generation_time: str
    source_description: str


def _rule_entry(name: str, record: Any) -> dict[str, Any]:
    paths = []
    for path in record.paths:
        if path[0] == "fixPath":
            paths.append({"fixPath": {"path": path[1], "value": path[2]}})
        else:
            paths.append({path[0]: path[1]})
    entry: dict[str, Any] = {"name": name, "status": record.status, "paths": paths}
    if record.related:
        entry["relatedResourcesIDs"] = list(record.related)
    if record.reason:
        entry["reason"] = record.reason
    return entry


def _status_of(statuses: list[str]) -> str:
    if FAILED in statuses:
        return FAILED
    if SKIPPED in statuses:
        return SKIPPED
    return PASSED


def _framework_members(ctx: ReportContext, controls: list[Control]) -> list[tuple[str, list[str]]]:
    chosen = {c.control_id for c in controls}
    names = ctx.frameworks or tuple(sorted(ctx.library.frameworks))
    found = []
    for name in names:
        framework = next((f for k, f in ctx.library.frameworks.items() if k.lower() == name.lower()), None)
        if framework is not None:
            found.append((framework.name, sorted(set(framework.control_ids) & chosen)))
    return found


def _score(passed: int, failed: int) -> float | None:
    return round(100.0 * passed / (passed + failed), 2) if passed + failed else None


def _mean(scores: list[float | None]) -> float:
    present = [s for s in scores if s is not None]
    return round(sum(present) / len(present), 2) if present else 100.0


def build(state: ScanState, ctx: ReportContext) -> dict[str, Any]:
    """Everything but the raw resources, which `write_json` streams from the inventory."""
    controls = sorted(state.controls, key=lambda c: c.control_id)
    framework_members = _framework_members(ctx, controls)
    frameworks_of: dict[str, frozenset[str]] = {
        c.control_id: frozenset(name for name, ids in framework_members if c.control_id in ids)
        for c in controls
    }
    results: list[dict[str, Any]] = []
    per_control: dict[str, dict[str, list[ResourceID]]] = {
        c.control_id: {PASSED: [], FAILED: [], SKIPPED: []} for c in controls
    }
    resource_status: dict[ResourceID, str] = {}
    rows = state.table.rows()
    for rid in sorted(rows):
        entries: list[dict[str, Any]] = []
        for control in controls:
            rules = rows[rid].get(control.control_id)
            if not rules:
                continue
            rule_entries = [_rule_entry(name, rules[name]) for name in sorted(rules)]
            status = _status_of([r.status for r in rules.values()])
            status_info: dict[str, Any] = {"status": status}
            if status == FAILED:
                excepted = exceptions_for(
                    list(ctx.exceptions),
                    state.inventory.meta.get(rid),
                    control.control_id,
                    frameworks_of[control.control_id],
                )
                if excepted:
                    status = PASSED
                    status_info = {"status": PASSED, "subStatus": "w/exceptions"}
                    for entry in rule_entries:
                        entry["exception"] = excepted
            if status == SKIPPED:
                status_info["info"] = next(
                    (r.reason for r in rules.values() if r.status == SKIPPED and r.reason), ""
                )
            per_control[control.control_id][status].append(rid)
            entries.append(
                {
                    "controlID": control.control_id,
                    "name": control.name,
                    "status": status_info,
                    "rules": rule_entries,
                }
            )
        if entries:
            results.append({"resourceID": rid, "controls": entries})
            resource_status[rid] = _status_of([str(e["status"]["status"]) for e in entries])

    summary_controls: dict[str, Any] = {}
    for control in controls:
        by_status = per_control[control.control_id]
        counts = {s: len(by_status[s]) for s in (PASSED, FAILED, SKIPPED)}
        skip_reasons = sorted({r for (cid, _), r in state.skipped_rules.items() if cid == control.control_id})
        info: dict[str, Any]
        if counts[FAILED]:
            info = {"status": FAILED}
        elif skip_reasons:
            info = {"status": SKIPPED, "info": "; ".join(skip_reasons)}
        elif counts[SKIPPED]:
            info = {"status": SKIPPED, "info": "some resources could not be evaluated"}
        elif counts[PASSED]:
            info = {"status": PASSED}
        else:
            info = {
                "status": SKIPPED,
                "subStatus": "irrelevant",
                "info": "no resource of the kinds this control checks",
            }
        summary_controls[control.control_id] = {
            "controlID": control.control_id,
            "name": control.name,
            "severity": control.severity,
            "baseScore": control.base_score,
            "category": control.category,
            "status": info["status"],
            "statusInfo": info,
            "complianceScore": _score(counts[PASSED], counts[FAILED]),
            "ResourceCounters": {
                "passedResources": counts[PASSED],
                "failedResources": counts[FAILED],
                "skippedResources": counts[SKIPPED],
            },
            "resourceIDs": {status: by_status[status] for status in (FAILED, SKIPPED, PASSED)},
        }
    frameworks = []
    for name, ids in framework_members:
        scores = [summary_controls[i]["complianceScore"] for i in ids]
        frameworks.append(
            {
                "name": name,
                "complianceScore": _mean(scores),
                "status": _status_of([summary_controls[i]["status"] for i in ids]),
                "controls": ids,
            }
        )
    resource_counts = Counter(resource_status.values())
    failed_by_severity = Counter(
        summary_controls[c.control_id]["severity"]
        for c in controls
        if summary_controls[c.control_id]["status"] == FAILED
    )
    inventory = state.inventory
    return {
        "format_version": FORMAT_VERSION,
        "generationTime": ctx.generation_time,
        "summaryDetails": {
            "complianceScore": _mean([s["complianceScore"] for s in summary_controls.values()]),
            "status": _status_of([s["status"] for s in summary_controls.values()]),
            "ResourceCounters": {
                "passedResources": resource_counts[PASSED],
                "failedResources": resource_counts[FAILED],
                "skippedResources": resource_counts[SKIPPED],
            },
            "controlsSeverityCounters": {f"{s.lower()}Severity": failed_by_severity[s] for s in SEVERITIES},
            "frameworks": frameworks,
            "controls": summary_controls,
        },
        "results": results,
        "metadata": {
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
            "problems": [{"where": p.where, "reason": p.reason} for p in state.problems]
            + [{"where": str(w), "reason": r} for w, r in inventory.invalid],
            "resourceCount": inventory.counters.objects_collected,
            "counters": state.counters,
        },
    }


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
            out.write('"results":[\n')
            out.write(",\n".join(_dumps(item) for item in report["results"]))
            out.write("\n],\n")
        else:
            out.write(f"{_dumps(key)}:{_dumps(report[key])},\n")
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
    lines = [
        f"ksbench scan — {meta['source']} — engine {meta['engine']['name']} {meta['engine']['version']} — phases {meta['phases']}",
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
            f"{c['severity']:<9} {c['controlID']:<8} {counters['failedResources']:>7} {total:>7}  {c['name']}"
        )
    skipped = [
        c for c in controls if c["status"] == SKIPPED and c["statusInfo"].get("subStatus") != "irrelevant"
    ]
    if skipped:
        lines += ["", "skipped (could not be evaluated):"]
        lines += [f"  {c['controlID']} {c['name']}: {c['statusInfo'].get('info', '')}" for c in skipped]
    for problem in meta["problems"][:20]:
        lines.append(f"problem: {problem['where']}: {problem['reason']}")
    if len(meta["problems"]) > 20:
        lines.append(f"… and {len(meta['problems']) - 20} more problems (see the JSON report)")
    passed = sum(1 for c in controls if c["status"] == PASSED)
    lines += ["", f"{len(failed)} failed, {passed} passed, {len(skipped)} skipped controls"]
    return "\n".join(lines) + "\n"
