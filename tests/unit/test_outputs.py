"""What a bench writes when it ends (harness.report.outputs), judged by the one verdict function."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness import results
from harness.judge.verdict import verdict
from harness.report import outputs
from ksbench.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "report"


def test_outputs_are_written_and_say_what_gate_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = results.load(FIXTURE / "results.json")
    written = outputs.write_outputs(suite, tmp_path, {}, html=False)
    assert [p.name for p in written.files] == ["verdict.txt", "benchstat.txt", "pytest-benchmark.json"]
    assert (tmp_path / "verdict.txt").read_text() == written.verdict_text
    assert written.html is None and written.places() == [f"results: {tmp_path / results.RESULTS_FILE}"]
    assert written.verdict == verdict(suite)
    assert written.verdict.power, "the power lines are part of every command's verdict"
    capsys.readouterr()
    code = main(["gate", str(FIXTURE)])
    assert capsys.readouterr().out == written.verdict_text
    assert code == written.verdict.exit_code_for(None)


def test_a_late_mismatch_is_judged_by_every_command_alike() -> None:
    suite = results.load(FIXTURE / "results.json")
    run = next(r for r in suite.runs() if r.measured and r.combination != "baseline")
    tampered = suite.with_run(replace(run, report_digest="another"))
    assert verdict(tampered) == verdict(tampered.with_late_mismatches())
    assert verdict(tampered).exit_code_for(None) != verdict(suite).exit_code_for(None)
