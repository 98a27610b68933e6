"""The aggregate stage: a finished scan's results table → per-resource results and the summary.

Owns what follows from the rules' records: a control's status per resource (failed > skipped >
passed), posture exceptions turning a failure into `passed` "w/exceptions", per-control and
per-resource counters, compliance scores, failed-control counts by severity, and which selected
controls each framework holds. Returns plain dicts in the report's shape.
Pure: no I/O, no rendering, no format version; must not import scanner.report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner.evaluate import ScanState
from scanner.exceptions import PostureException, exceptions_for
from scanner.policies import Control, Library
from scanner.results import FAILED, PASSED, SKIPPED, RuleRecord
from scanner.sources.objects import ResourceID

SEVERITIES = ("Critical", "High", "Medium", "Low", "Unknown")
NO_RESOURCES_INFO = "no resource of the kinds this control checks"
SOME_SKIPPED_INFO = "some resources could not be evaluated"

# Per control: the resources with that final status, keyed passed / failed / skipped.
ByStatus = dict[str, list[ResourceID]]


@dataclass(frozen=True)
class Aggregate:
    """The report's findings: `results` (one entry per resource) and `summaryDetails`."""

    results: list[dict[str, Any]]
    summary_details: dict[str, Any]


def aggregate(
    state: ScanState, library: Library, frameworks: tuple[str, ...], exceptions: tuple[PostureException, ...]
) -> Aggregate:
    """`frameworks` as asked for (empty: every framework in the library)."""
    stream = AggregateStream(state, library, frameworks, exceptions)
    results = list(stream.results())
    return Aggregate(results, stream.summary_details())


class AggregateStream:
    """The same findings one resource at a time: X2 writes each result as it comes, holding none.

    `results()` must be read to the end before `summary_details()`; `release_rows` drops each
    resource's row from the results table once its entry is built (nothing reads it again).
    """

    def __init__(
        self,
        state: ScanState,
        library: Library,
        frameworks: tuple[str, ...],
        exceptions: tuple[PostureException, ...],
        release_rows: bool = False,
    ) -> None:
        self._state = state
        self._controls = sorted(state.controls, key=lambda c: c.control_id)
        self._members = _framework_members(library, frameworks, self._controls)
        self._frameworks_of = {
            c.control_id: frozenset(name for name, ids in self._members if c.control_id in ids)
            for c in self._controls
        }
        self._exceptions = list(exceptions)
        self._release_rows = release_rows
        self._per_control: dict[str, ByStatus] = {
            c.control_id: {PASSED: [], FAILED: [], SKIPPED: []} for c in self._controls
        }
        self._resource_status: dict[ResourceID, str] = {}
        self._done = False

    def results(self) -> Iterator[dict[str, Any]]:
        """Results per resource, sorted by ID."""
        rows = self._state.table.rows()
        for rid in sorted(rows):
            row = rows.pop(rid) if self._release_rows else rows[rid]
            if self._release_rows:
                self._state.table.forget(rid)
            entry = _resource_result(
                self._state,
                rid,
                row,
                self._controls,
                self._frameworks_of,
                self._exceptions,
                self._per_control,
            )
            if entry is not None:
                self._resource_status[rid] = status_of(str(e["status"]["status"]) for e in entry["controls"])
                yield entry
        self._done = True

    def summary_details(self) -> dict[str, Any]:
        if not self._done:
            raise RuntimeError("summary_details() before every result was read")
        summary_controls = {
            c.control_id: _control_summary(c, self._per_control[c.control_id], _skip_reasons(self._state, c))
            for c in self._controls
        }
        return _summary_details(self._controls, summary_controls, self._members, self._resource_status)


def status_of(statuses: Iterable[str]) -> str:
    """One status for several: failed > skipped > passed."""
    seen = set(statuses)
    if FAILED in seen:
        return FAILED
    if SKIPPED in seen:
        return SKIPPED
    return PASSED


def _framework_members(
    library: Library, frameworks: tuple[str, ...], controls: list[Control]
) -> list[tuple[str, list[str]]]:
    """(framework name, its selected control IDs sorted) for each framework asked for that exists."""
    chosen = {c.control_id for c in controls}
    names = frameworks or tuple(sorted(library.frameworks))
    found = []
    for name in names:
        framework = next((f for k, f in library.frameworks.items() if k.lower() == name.lower()), None)
        if framework is not None:
            found.append((framework.name, sorted(set(framework.control_ids) & chosen)))
    return found


def _score(passed: int, failed: int) -> float | None:
    """Percent of passed among passed + failed resources; None when neither (skipped does not count)."""
    return round(100.0 * passed / (passed + failed), 2) if passed + failed else None


def _mean_score(scores: Iterable[float | None]) -> float:
    """Mean of the scores that exist; 100 when none does."""
    present = [s for s in scores if s is not None]
    return round(sum(present) / len(present), 2) if present else 100.0


# -- per resource -----------------------------------------------------------------------


def _resource_result(
    state: ScanState,
    rid: ResourceID,
    row: dict[str, dict[str, RuleRecord]],
    controls: list[Control],
    frameworks_of: dict[str, frozenset[str]],
    exceptions: list[PostureException],
    per_control: dict[str, ByStatus],
) -> dict[str, Any] | None:
    """One resource's result (None when no selected control has a record for it); fills `per_control`."""
    entries: list[dict[str, Any]] = []
    for control in controls:
        rules = row.get(control.control_id)
        if not rules:
            continue
        excepted: list[str] = []
        if status_of(r.status for r in rules.values()) == FAILED:
            meta = state.inventory.meta.get(rid)
            excepted = exceptions_for(exceptions, meta, control.control_id, frameworks_of[control.control_id])
        entry = _control_entry(control, rules, excepted)
        per_control[control.control_id][entry["status"]["status"]].append(rid)
        entries.append(entry)
    return {"resourceID": rid, "controls": entries} if entries else None


def _control_entry(control: Control, rules: dict[str, RuleRecord], excepted: list[str]) -> dict[str, Any]:
    """One control on one resource; `excepted` names the exceptions that cover a failure."""
    rule_entries = [_rule_entry(name, rules[name]) for name in sorted(rules)]
    status = status_of(r.status for r in rules.values())
    status_info: dict[str, Any] = {"status": status}
    if status == FAILED and excepted:
        status_info = {"status": PASSED, "subStatus": "w/exceptions"}
        for entry in rule_entries:
            entry["exception"] = excepted
    elif status == SKIPPED:
        status_info["info"] = next((r.reason for r in rules.values() if r.status == SKIPPED and r.reason), "")
    return {
        "controlID": control.control_id,
        "name": control.name,
        "status": status_info,
        "rules": rule_entries,
    }


def _rule_entry(name: str, record: RuleRecord) -> dict[str, Any]:
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


# -- per control and overall ------------------------------------------------------------


def _skip_reasons(state: ScanState, control: Control) -> list[str]:
    return sorted({r for (cid, _), r in state.skipped_rules.items() if cid == control.control_id})


def _control_status_info(counts: dict[str, int], skip_reasons: list[str]) -> dict[str, Any]:
    """Any failure fails the control; a rule skipped as a whole outranks a pass; no resource: irrelevant."""
    if counts[FAILED]:
        return {"status": FAILED}
    if skip_reasons:
        return {"status": SKIPPED, "info": "; ".join(skip_reasons)}
    if counts[SKIPPED]:
        return {"status": SKIPPED, "info": SOME_SKIPPED_INFO}
    if counts[PASSED]:
        return {"status": PASSED}
    return {"status": SKIPPED, "subStatus": "irrelevant", "info": NO_RESOURCES_INFO}


def _control_summary(control: Control, by_status: ByStatus, skip_reasons: list[str]) -> dict[str, Any]:
    counts = {s: len(by_status[s]) for s in (PASSED, FAILED, SKIPPED)}
    info = _control_status_info(counts, skip_reasons)
    return {
        "controlID": control.control_id,
        "name": control.name,
        "severity": control.severity,
        "baseScore": control.base_score,
        "category": control.category,
        "status": info["status"],
        "statusInfo": info,
        "complianceScore": _score(counts[PASSED], counts[FAILED]),
        "ResourceCounters": _resource_counters(counts),
        "resourceIDs": {status: by_status[status] for status in (FAILED, SKIPPED, PASSED)},
    }


def _resource_counters(counts: dict[str, int] | Counter[str]) -> dict[str, int]:
    return {
        "passedResources": counts[PASSED],
        "failedResources": counts[FAILED],
        "skippedResources": counts[SKIPPED],
    }


def _summary_details(
    controls: list[Control],
    summary_controls: dict[str, dict[str, Any]],
    members: list[tuple[str, list[str]]],
    resource_status: dict[ResourceID, str],
) -> dict[str, Any]:
    frameworks = [
        {
            "name": name,
            "complianceScore": _mean_score(summary_controls[i]["complianceScore"] for i in ids),
            "status": status_of(summary_controls[i]["status"] for i in ids),
            "controls": ids,
        }
        for name, ids in members
    ]
    failed_by_severity = Counter(
        summary_controls[c.control_id]["severity"]
        for c in controls
        if summary_controls[c.control_id]["status"] == FAILED
    )
    return {
        "complianceScore": _mean_score(s["complianceScore"] for s in summary_controls.values()),
        "status": status_of(s["status"] for s in summary_controls.values()),
        "ResourceCounters": _resource_counters(Counter(resource_status.values())),
        "controlsSeverityCounters": {f"{s.lower()}Severity": failed_by_severity[s] for s in SEVERITIES},
        "frameworks": frameworks,
        "controls": summary_controls,
    }
