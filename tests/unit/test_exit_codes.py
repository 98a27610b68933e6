"""Exit codes of gate, compare and bench's argument handling, through the real `ksbench` entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_gates import GOOD, _suite

from harness import results
from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_OK, EXIT_USAGE
from ksbench.cli import main


def _store(tmp_path: Path, suite: results.Suite, name: str = "out") -> Path:
    out = tmp_path / name
    results.dump(suite, out / "results.json")
    return out


def test_gate_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(_store(tmp_path, _suite(GOOD)))]) == EXIT_OK
    assert "PASS" in capsys.readouterr().out


def test_gate_missed(tmp_path: Path) -> None:
    suite = _suite({1: {"peak_cpu_cores": 0.9}, 5: {"peak_rss_bytes": 0.5}})
    assert main(["gate", str(_store(tmp_path, suite) / "results.json")]) == EXIT_GATE_MISSED


def test_findings_mismatch(tmp_path: Path) -> None:
    suite = _suite(GOOD).with_run(
        results.Run("s", "P3", "clean", results.CANDIDATE, 99, results.OK, report_digest="other")
    )
    assert main(["gate", str(_store(tmp_path, suite))]) == EXIT_FINDINGS_MISMATCH


def test_missing_figures_are_an_environment_problem_not_a_regression(tmp_path: Path) -> None:
    suite = _suite(GOOD)
    for run in list(suite.runs()):
        if run.combination == "all":
            suite = suite.with_run(
                results.Run(
                    "s", "all", "clean", run.role, run.repetition, results.TOOL_FAILED, run.variant, "gone"
                )
            )
    assert main(["gate", str(_store(tmp_path, suite))]) == EXIT_ENVIRONMENT


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(tmp_path / "nothing")]) == EXIT_USAGE
    old = _store(tmp_path, _suite(GOOD))
    data = json.loads((old / "results.json").read_text())
    data["format_version"] = "ksbench-results/0"
    (old / "results.json").write_text(json.dumps(data))
    assert main(["gate", str(old)]) == EXIT_USAGE
    assert "re-run `ksbench bench`" in capsys.readouterr().err
    assert main(["bench", "--repeat", "often", "--out", str(tmp_path / "b")]) == EXIT_USAGE
    assert main(["bench", "--instruments", "perf", "--out", str(tmp_path / "b")]) == EXIT_USAGE
    assert main(["bench", "--combinations", "7", "--out", str(tmp_path / "b")]) == EXIT_USAGE


def test_compare_warns_about_machines_and_flags_regressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 12 pairs: the smallest signed-rank p (2^-11) survives Holm across the table's 42 tests.
    old = _store(tmp_path, _suite(GOOD, repeat=12), "old")
    same = _store(tmp_path, _suite(GOOD, repeat=12), "same")
    assert main(["compare", str(old), str(same)]) == EXIT_OK
    slower = _suite({1: {"cpu_seconds": 0.6}, 5: {"peak_rss_bytes": 0.5}, 2: {"cpu_seconds": 1.5}}, repeat=12)
    machine = results.Machine(**{**vars(slower.machine), "cpu_count": 8})
    new = _store(tmp_path, results.Suite(machine, slower.config, slower.scenarios, slower.series), "new")
    assert main(["compare", str(old), str(new)]) == EXIT_GATE_MISSED
    assert "machines differ" in capsys.readouterr().err


def test_compare_says_when_its_pairs_cannot_reach_significance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _store(tmp_path, _suite(GOOD, repeat=6), "old")
    new = _store(tmp_path, _suite({1: {"cpu_seconds": 1.5}}, repeat=6), "new")
    assert main(["compare", str(old), str(new)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "family: compare, 42 tests, Holm at 5%" in out
    assert "with 6 pairs no comparison can reach significance" in out
