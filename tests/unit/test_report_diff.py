"""`ksbench diff A B` and the parity layer under it: both report kinds, resources matched by ID,
repeated rows named, a JSON file that is no report refused with what it is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK, EXIT_USAGE
from scanner.cli import main as scan_main
from scanner.parity import differences, repeated_rows
from scanner.reader import ReportError, compare_files
from tests.integration.cli_runner import run_ksbench

KUBESCAPE = Path(__file__).resolve().parents[1] / "data" / "kubescape" / "v3-report.json"
MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: web, image: "nginx:1.25", securityContext: {privileged: true}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: calm, namespace: shop}
spec: {containers: [{name: calm, image: "nginx:1.25"}]}
"""


def _write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ksbench_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("scan")
    (folder / "pods.yaml").write_text(MANIFEST, encoding="utf-8")
    out = folder / "report.json"
    code = scan_main(
        [
            str(folder / "pods.yaml"),
            "--controls",
            "C-0057",
            "--format",
            "json",
            "--output",
            str(out),
            "--pin-time",
        ]
    )
    assert code == 0
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["resources"]) == 2
    return report


def _kubescape() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(KUBESCAPE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("kind", ["ksbench", "kubescape"])
def test_identical_reports_exit_0_and_changed_findings_exit_3_with_the_resource_named(
    kind: str, ksbench_report: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = copy.deepcopy(ksbench_report) if kind == "ksbench" else _kubescape()
    a = _write(tmp_path / "a.json", base)
    shuffled = copy.deepcopy(base)
    shuffled["results"].reverse()
    shuffled["resources"].reverse()
    same = run_ksbench(capsys, "diff", str(a), str(_write(tmp_path / "b.json", shuffled)))
    assert same.returncode == EXIT_OK, same.stdout + same.stderr
    assert "identical findings" in same.stdout
    changed = copy.deepcopy(base)
    rid = changed["results"][0]["resourceID"]
    changed["results"][0]["controls"][0]["status"] = {"status": "skipped"}
    other = run_ksbench(capsys, "diff", str(a), str(_write(tmp_path / "c.json", changed)))
    assert other.returncode == EXIT_FINDINGS_MISMATCH
    assert f"resource {rid}" in other.stdout and "status" in other.stdout


@pytest.mark.parametrize("kind", ["ksbench", "kubescape"])
def test_resources_are_matched_by_id_a_missing_one_named_and_a_changed_one_walked(
    kind: str, ksbench_report: dict[str, Any]
) -> None:
    base = copy.deepcopy(ksbench_report) if kind == "ksbench" else _kubescape()
    removed = copy.deepcopy(base)
    gone = removed["resources"].pop(0)["resourceID"]
    lines = _diff(base, removed, kind)
    assert lines == [f"resource {gone}: resources: baseline 'present' vs candidate 'absent'"]
    edited = copy.deepcopy(base)
    edited["resources"].reverse()
    target = edited["resources"][-1]
    target["source"] = {**(target.get("source") or {}), "path": "elsewhere.yaml"}
    lines = _diff(base, edited, kind)
    assert len(lines) == 1 and lines[0].startswith(f"resource {target['resourceID']}: resources.source")


def _diff(a: dict[str, Any], b: dict[str, Any], kind: str, limit: int = 10) -> list[str]:
    from scanner import kubescape_report, parity

    normaliser = kubescape_report.normalise if kind == "kubescape" else parity.normalise
    return [str(d) for d in differences(a, b, limit, normaliser)]


@pytest.mark.parametrize("kind", ["ksbench", "kubescape"])
def test_a_repeated_row_is_named_as_such(kind: str, ksbench_report: dict[str, Any]) -> None:
    base = copy.deepcopy(ksbench_report) if kind == "ksbench" else _kubescape()
    twice = copy.deepcopy(base)
    twice["results"].append(copy.deepcopy(twice["results"][0]))
    rid = twice["results"][0]["resourceID"]
    assert _diff(base, twice, kind) == [
        f"resource {rid}: results (repeated row): baseline '1 row' vs candidate '2 rows'"
    ]
    control_twice = copy.deepcopy(base)
    controls = control_twice["results"][0]["controls"]
    controls.append(copy.deepcopy(controls[0]))
    [line] = [str(d) for d in repeated_rows(base, control_twice)]
    assert line.startswith(f"control {controls[0]['controlID']} resource {rid}: controls (repeated row)")
    rule_twice = copy.deepcopy(base)
    rules = rule_twice["results"][0]["controls"][0]["rules"]
    rules.append(copy.deepcopy(rules[0]))
    [line] = [str(d) for d in repeated_rows(base, rule_twice)]
    assert f"rules {rules[0]['name']!r} (repeated row)" in line


def test_a_json_file_that_is_no_report_is_a_usage_error_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = _write(tmp_path / "stray.json", {"kind": "ConfigMap", "data": {}})
    result = run_ksbench(capsys, "diff", str(stray), str(KUBESCAPE))
    assert result.returncode == EXIT_USAGE
    assert "not a report: neither a ksbench report" in result.stderr
    assert "scan again" not in result.stderr
    older = _write(tmp_path / "older.json", {"format_version": "ksbench-report/0", "results": []})
    with pytest.raises(ReportError, match="scan again with this version"):
        compare_files(older, older)
    assert (
        run_ksbench(capsys, "diff", str(tmp_path / "missing.json"), str(KUBESCAPE)).returncode == EXIT_USAGE
    )
    limit = run_ksbench(capsys, "diff", str(KUBESCAPE), str(KUBESCAPE), "--limit", "0")
    assert limit.returncode == EXIT_USAGE  # numeric options are argparse types: its usage error
    assert "argument --limit: '0' is not a whole number at least 1" in limit.stderr


def test_reports_of_two_kinds_differ_in_their_schema_first(
    ksbench_report: dict[str, Any], tmp_path: Path
) -> None:
    comparison = compare_files(_write(tmp_path / "k.json", ksbench_report), KUBESCAPE)
    assert not comparison.identical
    assert comparison.differences == (
        "report: schema: baseline 'ksbench-report/1' vs candidate 'kubescape-json/v3'",
    )
