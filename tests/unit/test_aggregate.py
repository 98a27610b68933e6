"""The aggregate stage on a hand-built results table: statuses, exceptions, counters, scores."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.aggregate import aggregate, status_of
from scanner.evaluate import ScanState
from scanner.exceptions import load_exceptions
from scanner.inventory import Inventory, MemoryRawStore
from scanner.policies import Control, Framework, Library
from scanner.results import FAILED, PASSED, SKIPPED, ResultsTable
from scanner.sources.objects import ResourceID


def _pod(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ops"}}


def _state(controls: list[Control]) -> tuple[ScanState, list[ResourceID]]:
    inventory = Inventory(MemoryRawStore())
    ids = [inventory.add(_pod(name)) for name in ("debug-1", "web-1", "web-2")]
    assert all(rid is not None for rid in ids)
    rids = [ResourceID(str(rid)) for rid in ids]
    table = ResultsTable(use_sets=True, presize=False)
    debug, web1, web2 = rids
    table.record(debug, "C-1", "r-a", FAILED, [("failedPath", "spec.x")])
    table.record(web1, "C-1", "r-a", FAILED, [("fixPath", "spec.y", "true")], [web2])
    table.record(web1, "C-1", "r-b", PASSED)
    table.record(web2, "C-1", "r-a", PASSED)
    table.record(web2, "C-2", "r-c", SKIPPED, reason="rule r-c failed to evaluate: boom")
    return ScanState(inventory, table, controls, []), rids


def _library(controls: list[Control]) -> Library:
    framework = Framework("Tiny", "", ("C-1", "C-2", "C-9"))
    return Library(Path("."), {"Tiny": framework}, {c.control_id: c for c in controls}, {}, {}, {})


def test_status_of_ranks_failed_over_skipped_over_passed() -> None:
    assert status_of([PASSED, SKIPPED, FAILED]) == FAILED
    assert status_of([PASSED, SKIPPED]) == SKIPPED
    assert status_of([PASSED]) == PASSED
    assert status_of([]) == PASSED


def test_exception_turns_a_failure_into_passed_and_counts_follow(tmp_path: Path) -> None:
    controls = [Control("C-2", "two", ("r-c",), 9.0), Control("C-1", "one", ("r-a", "r-b"), 5.0)]
    state, (debug, web1, web2) = _state(controls)
    exceptions_file = tmp_path / "exceptions.json"
    exceptions_file.write_text(
        json.dumps(
            [
                {
                    "name": "ops-debug",
                    "resources": [{"designatorType": "Attributes", "attributes": {"name": "debug-.*"}}],
                    "posturePolicies": [{"controlID": "C-1"}],
                }
            ]
        )
    )
    found = aggregate(state, _library(controls), (), tuple(load_exceptions(exceptions_file)))

    by_resource = {r["resourceID"]: {c["controlID"]: c for c in r["controls"]} for r in found.results}
    assert list(by_resource) == sorted(by_resource)
    excepted = by_resource[debug]["C-1"]
    assert excepted["status"] == {"status": PASSED, "subStatus": "w/exceptions"}
    assert excepted["rules"][0]["exception"] == ["ops-debug"]
    assert by_resource[web1]["C-1"]["status"] == {"status": FAILED}
    assert by_resource[web1]["C-1"]["rules"][0]["paths"] == [{"fixPath": {"path": "spec.y", "value": "true"}}]
    assert by_resource[web1]["C-1"]["rules"][0]["relatedResourcesIDs"] == [web2]
    assert by_resource[web2]["C-2"]["status"] == {
        "status": SKIPPED,
        "info": "rule r-c failed to evaluate: boom",
    }

    summary = found.summary_details
    one, two = summary["controls"]["C-1"], summary["controls"]["C-2"]
    assert one["resourceIDs"] == {FAILED: [web1], SKIPPED: [], PASSED: [debug, web2]}
    assert one["complianceScore"] == 66.67
    assert two["statusInfo"] == {"status": SKIPPED, "info": "some resources could not be evaluated"}
    assert two["complianceScore"] is None
    assert summary["complianceScore"] == 66.67  # a control with no score does not count
    assert summary["ResourceCounters"] == {"passedResources": 1, "failedResources": 1, "skippedResources": 1}
    assert summary["controlsSeverityCounters"]["mediumSeverity"] == 1
    assert summary["frameworks"] == [
        {"name": "Tiny", "complianceScore": 66.67, "status": FAILED, "controls": ["C-1", "C-2"]}
    ]


def test_control_without_resources_is_irrelevant_and_a_skipped_rule_explains_itself() -> None:
    controls = [
        Control("C-1", "one", ("r-a", "r-b"), 5.0),
        Control("C-2", "two", ("r-c",), 9.0),
        Control("C-9", "nine", ("r-z",), 2.0),
    ]
    state, _ = _state(controls)
    state.skipped_rules[("C-1", "r-b")] = "inputs incomplete: pods: forbidden"
    state.skipped_rules[("C-2", "r-c")] = "inputs incomplete: pods: forbidden"
    summary = aggregate(state, _library(controls), ("tiny",), ()).summary_details
    assert summary["controls"]["C-9"]["statusInfo"] == {
        "status": SKIPPED,
        "subStatus": "irrelevant",
        "info": "no resource of the kinds this control checks",
    }
    assert summary["controls"]["C-1"]["status"] == FAILED  # a failure outranks the skipped rule
    assert summary["controls"]["C-2"]["statusInfo"] == {
        "status": SKIPPED,
        "info": "inputs incomplete: pods: forbidden",
    }
    assert [(f["name"], f["controls"]) for f in summary["frameworks"]] == [("Tiny", ["C-1", "C-2", "C-9"])]
