"""kubescape's own JSON report as a parity input: recognised by shape, normalised, diffed.

The report under tests/data/kubescape/ is written by hand to the published v3 schema.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scanner import kubescape_report, parity, reader

REPORT = Path(__file__).resolve().parents[1] / "data" / "kubescape" / "v3-report.json"


def _report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REPORT.read_text())
    return data


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _digest(data: dict[str, Any]) -> str:
    return parity.digest(data, kubescape_report.normalise)


def test_shape_is_recognised_and_ksbench_reports_are_not_taken_for_it() -> None:
    assert kubescape_report.is_kubescape_report(_report())
    assert not kubescape_report.is_kubescape_report(
        {"format_version": "ksbench-report/1", "summaryDetails": {}}
    )
    assert not kubescape_report.is_kubescape_report({"results": []})
    assert not kubescape_report.is_kubescape_report([_report()])


def test_reader_chooses_by_shape(tmp_path: Path) -> None:
    found = reader.load_findings(_write(tmp_path, "k.json", _report()))
    assert found.schema == kubescape_report.SCHEMA
    ours = {"format_version": reader.FORMAT_VERSION, "results": [], "summaryDetails": {}}
    assert reader.load_findings(_write(tmp_path, "o.json", ours)).schema == reader.FORMAT_VERSION
    # Neither kind (no format_version, no summaryDetails): said so, not "scan again with this version".
    with pytest.raises(reader.ReportError, match="not a report: neither a ksbench report"):
        reader.load_findings(_write(tmp_path, "x.json", {"results": []}))
    with pytest.raises(reader.ReportError, match="report format 'ksbench-report/0'"):
        reader.load_findings(_write(tmp_path, "old.json", {"format_version": "ksbench-report/0"}))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(reader.ReportError, match="not a readable JSON report"):
        reader.load_findings(tmp_path / "bad.json")


def test_volatile_fields_and_order_do_not_change_the_digest() -> None:
    base = _report()
    other = copy.deepcopy(base)
    other["generationTime"] = "2027-01-01T00:00:00Z"
    other["reportGUID"] = "00000000-0000-0000-0000-000000000000"
    other["metadata"]["scanMetadata"]["kubescapeVersion"] = "v4.0.0-dev"
    other["metadata"]["scanMetadata"]["formats"] = ["json", "html"]
    other["results"].reverse()
    other["resources"].reverse()
    for result in other["results"]:
        result["controls"].reverse()
        for control in result["controls"]:
            for rule in control["rules"]:
                rule["paths"] = list(reversed(rule["paths"])) + rule["paths"][:1]  # reordered, one repeated
                if "exception" in rule:
                    rule["exception"].reverse()
                if "relatedResourcesIDs" in rule:
                    rule["relatedResourcesIDs"].reverse()
    other["summaryDetails"]["topWorkloadsByScore"].reverse()
    other["summaryDetails"]["score"] = 33.333328  # float32, summed in another order
    other["summaryDetails"]["controls"]["C-0013"]["score"] = 49.999996  # written as 50.0 elsewhere
    assert _digest(other) == _digest(base)
    base["fieldKsbenchDoesNotWrite"] = other["fieldKsbenchDoesNotWrite"] = {"kept": True}
    assert _digest(other) == _digest(base)


def test_unknown_fields_count_as_findings() -> None:
    base = _report()
    other = copy.deepcopy(base)
    other["results"][0]["controls"][0]["rules"][0]["newVerdictField"] = "x"
    assert _digest(other) != _digest(base)


def test_a_changed_finding_is_named_by_control_resource_and_field(tmp_path: Path) -> None:
    base = _report()
    other = copy.deepcopy(base)
    debug = next(r for r in other["results"] if r["resourceID"] == "/v1/shop/Pod/debug")
    c0013 = next(c for c in debug["controls"] if c["controlID"] == "C-0013")
    c0013["status"]["status"] = "passed"
    c0013["rules"][0]["status"] = "passed"
    a = reader.load_findings(_write(tmp_path, "a.json", base))
    b = reader.load_findings(_write(tmp_path, "b.json", other))
    assert a.digest() != b.digest()
    diff = reader.differences(a, b, limit=5)
    assert (
        diff[0]
        == "control C-0013 resource /v1/shop/Pod/debug: status.status: baseline 'failed' vs candidate 'passed'"
    )


def test_a_lost_path_and_a_lost_resource_are_found(tmp_path: Path) -> None:
    base = _report()
    other = copy.deepcopy(base)
    cart = next(r for r in other["results"] if r["resourceID"] == "apps/v1/shop/Deployment/cart")
    cart["controls"][0]["rules"][0]["paths"].pop()
    lost = copy.deepcopy(base)
    lost["results"] = [r for r in lost["results"] if r["resourceID"] != "/v1/shop/Pod/debug"]
    a = reader.load_findings(_write(tmp_path, "a.json", base))
    b = reader.load_findings(_write(tmp_path, "b.json", other))
    c = reader.load_findings(_write(tmp_path, "c.json", lost))
    (path_diff,) = reader.differences(a, b, limit=1)
    assert path_diff.startswith(
        "control C-0034 resource apps/v1/shop/Deployment/cart: rules.automount-service-account.paths"
    )
    assert reader.differences(a, c, limit=1) == [
        "resource /v1/shop/Pod/debug: results: baseline 'present' vs candidate 'absent'"
    ]


def test_reports_of_two_schemas_differ_in_the_schema_first(tmp_path: Path) -> None:
    ours = {"format_version": reader.FORMAT_VERSION, "results": [], "summaryDetails": {}}
    a = reader.load_findings(_write(tmp_path, "a.json", _report()))
    b = reader.load_findings(_write(tmp_path, "b.json", ours))
    assert reader.differences(a, b) == [
        f"report: schema: baseline {kubescape_report.SCHEMA!r} vs candidate {reader.FORMAT_VERSION!r}"
    ]


def test_null_lists_and_missing_ids_are_tolerated() -> None:
    sparse = {"summaryDetails": {}, "results": None, "resources": None}
    assert kubescape_report.is_kubescape_report(sparse)
    normal = kubescape_report.normalise(sparse)
    assert normal["results"] == [] and normal["resources"] == []
    odd = {"summaryDetails": {}, "results": [{"controls": [{"rules": [{"paths": None}]}]}]}
    assert parity.differences(odd, odd, normaliser=kubescape_report.normalise) == []


def test_derived_scores_are_compared_by_presence_and_the_weights_by_value() -> None:
    base = _report()
    noisy = copy.deepcopy(base)
    control = next(iter(noisy["summaryDetails"]["controls"].values()))
    control["score"] += 0.0005  # float32 sums in map order: 5.947 vs 5.946 in one build's runs
    control["complianceScore"] = 49.9996
    noisy["summaryDetails"]["score"] = 12.3456
    assert _digest(noisy) == _digest(base)
    without = copy.deepcopy(base)
    del next(iter(without["summaryDetails"]["controls"].values()))["score"]
    assert _digest(without) != _digest(base)
    reweighted = copy.deepcopy(base)
    next(iter(reweighted["summaryDetails"]["controls"].values()))["scoreFactor"] = 7
    assert _digest(reweighted) != _digest(base)
    counted = copy.deepcopy(base)
    next(iter(counted["summaryDetails"]["controls"].values()))["ResourceCounters"]["failedResources"] += 1
    assert _digest(counted) != _digest(base)
