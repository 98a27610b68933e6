"""Posture exceptions matching, and the parity diff naming what differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.exceptions import ExceptionsError, exceptions_for, load_exceptions
from scanner.inventory import ResourceMeta
from scanner.parity import differences, digest


def _write(tmp_path: Path, policies: object) -> Path:
    path = tmp_path / "exceptions.json"
    path.write_text(json.dumps(policies))
    return path


def test_exception_matches_attributes_as_patterns_and_labels(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {
                "name": "ops-debug",
                "policyType": "postureExceptionPolicy",
                "actions": ["alertOnly"],
                "resources": [
                    {
                        "designatorType": "Attributes",
                        "attributes": {"kind": "Pod", "namespace": "ops", "name": "debug-.*", "team": "sre"},
                    }
                ],
                "posturePolicies": [{"controlID": "C-0057"}],
            }
        ],
    )
    policies = load_exceptions(path)
    hit = ResourceMeta("", "Pod", "debug-1", "ops", (("team", "sre"),))
    assert exceptions_for(policies, hit, "C-0057", frozenset()) == ["ops-debug"]
    assert exceptions_for(policies, hit, "C-0041", frozenset()) == []
    assert (
        exceptions_for(policies, ResourceMeta("", "Pod", "debug-1", "ops", ()), "C-0057", frozenset()) == []
    )
    assert (
        exceptions_for(
            policies, ResourceMeta("", "Pod", "xdebug-1", "ops", (("team", "sre"),)), "C-0057", frozenset()
        )
        == []
    )


def test_bad_exceptions_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExceptionsError, match="expected a JSON list"):
        load_exceptions(_write(tmp_path, {"name": "x"}))
    with pytest.raises(ExceptionsError, match="bad pattern"):
        load_exceptions(_write(tmp_path, [{"name": "x", "resources": [{"attributes": {"name": "("}}]}]))


def _report(status: str, paths: list[str]) -> dict:
    return {
        "format_version": "ksbench-report/1",
        "generationTime": "now",
        "results": [
            {
                "resourceID": "/v1/d/Pod/p",
                "controls": [
                    {
                        "controlID": "C-0057",
                        "name": "n",
                        "status": {"status": status},
                        "rules": [
                            {"name": "r", "status": status, "paths": [{"failedPath": p} for p in paths]}
                        ],
                    }
                ],
            }
        ],
        "metadata": {"phases": "baseline", "counters": {"compilations": 1}},
        "resources": [],
        "summaryDetails": {"controls": {}},
    }


def test_parity_ignores_run_metadata_and_path_order() -> None:
    a = _report("failed", ["x", "y"])
    b = _report("failed", ["y", "x"])
    b["metadata"] = {"phases": "all", "counters": {"compilations": 9}}
    b["generationTime"] = "later"
    assert digest(a) == digest(b)
    assert differences(a, b) == []


def test_parity_diff_names_control_resource_and_field() -> None:
    diffs = differences(_report("failed", ["x"]), _report("passed", []))
    assert diffs, "a changed status must be a difference"
    text = str(diffs[0])
    assert "C-0057" in text and "/v1/d/Pod/p" in text and "status" in text
