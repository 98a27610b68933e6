"""Stored results: round trip, and files of another format version fail with what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import results
from harness.results import Machine, Run, ScenarioInfo, Suite

MACHINE = Machine(
    "3.11.7", "CPython", "Linux-x86_64", 2, "0.1.0", "1.20.0", "py-spy 0.4.3", "opa 0.4.4 (v1)", "abc", False
)


def _suite() -> Suite:
    suite = Suite(
        MACHINE, {"scenarios": ["small"], "repeat": 3}, (ScenarioInfo("small", 100, "fp", "files"),)
    )
    suite = suite.with_run(
        Run(
            "small",
            "baseline",
            "clean",
            results.BASELINE,
            0,
            results.OK,
            metrics={"cpu_seconds": 1.5},
            report_digest="d",
        )
    )
    return suite.with_run(
        Run(
            "small",
            "all",
            "memray",
            results.CANDIDATE,
            0,
            results.TOOL_MISSING,
            reason="memray not installed",
        )
    )


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    results.dump(_suite(), path)
    loaded = results.load(path)
    assert loaded == _suite()
    assert json.loads(path.read_text())["format_version"] == results.FORMAT_VERSION
    assert not [p for p in tmp_path.iterdir() if p.name != "results.json"], "temp file left behind"


def test_a_bench_across_clusters_round_trips_and_one_on_one_cluster_stays_as_format_1_wrote_it(
    tmp_path: Path,
) -> None:
    across = ScenarioInfo(
        "small",
        100,
        "fp",
        "embedded",
        clusters={
            "stripped": {"scenario": "small-stripped", "fingerprint": "fp2", "stripped": ["last-applied"]}
        },
        parity_ignores=("last-applied",),
    )
    path = tmp_path / "results.json"
    results.dump(Suite(MACHINE, {}, (across,)), path)
    loaded = results.load(path).scenarios[0]
    assert loaded == across and loaded.across_clusters
    results.dump(_suite(), path)
    stored = json.loads(path.read_text())["scenarios"][0]
    assert set(stored) == {"name", "resource_count", "fingerprint", "backend"}
    assert not results.load(path).scenarios[0].across_clusters


def test_with_run_replaces_same_key() -> None:
    suite = _suite()
    again = suite.with_run(
        Run("small", "baseline", "clean", results.BASELINE, 0, results.OK, metrics={"cpu_seconds": 2.0})
    )
    assert len(list(again.runs())) == 2
    assert again.find("small", "baseline", "clean")[0].values("cpu_seconds") == {0: 2.0}


@pytest.mark.parametrize(
    ("version", "advice"),
    [
        ("ksbench-results/0", "re-run `ksbench bench`"),
        ("ksbench-results/2", "upgrade ksbench"),
        ("ksbench-report/1", "not a ksbench results file"),
        (None, "not a ksbench results file"),
    ],
)
def test_other_versions_fail_with_what_to_do(tmp_path: Path, version: str | None, advice: str) -> None:
    data = results.to_json(_suite())
    data["format_version"] = version
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(results.ResultsFormatError, match=advice.replace("`", ".")):
        results.load(path)


def test_damaged_file_says_so(tmp_path: Path) -> None:
    data = results.to_json(_suite())
    del data["machine"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(results.ResultsFormatError, match="damaged"):
        results.load(path)


def test_machine_differences_ignore_the_commit() -> None:
    other = results.Machine(**{**vars(MACHINE), "git_commit": "def", "cpu_count": 8})
    assert MACHINE.differences(other) == ["cpu_count: 2 vs 8"]


def test_metadata_holds_no_environment() -> None:
    text = json.dumps(results.to_json(_suite()))
    assert "KUBECONFIG" not in text and "token" not in text.lower()
