"""Instruments are units: a new one is its own module plus a line in the registry, nothing else.

The no-op instrument below is such a module (written inside this test): registered, it is
planned, run against the fake scanner, its figures and artefact are stored with its runs, its
artefact is linkable and its tool is in the machine record — with no other harness file changed.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

import pytest
from runner_fakes import FakeParity, fake_cluster, opener, plan

from harness import results
from harness.run import runner
from harness.run.instruments import registry
from harness.run.instruments.base import Call, Measured, ToolProblem
from harness.run.runner import Bench, Progress


class NoOp:
    """Runs the scanner bare (no trampoline) and leaves one marker file: figures that only explain."""

    name: Final = "noop"
    gated: Final = False
    tool: Final = "noop-tool"
    linked_artefacts: Final[Mapping[str, str]] = {"noop_marker": "no-op marker"}

    def unavailable(self) -> str | None:
        return None

    def version(self) -> str | None:
        return "noop 1.0"

    def measure(self, call: Call) -> Measured:
        result = call.spawn([sys.executable, *call.target])
        marker = call.directory / "noop.txt"
        marker.write_text(f"{call.title}\n", encoding="utf-8")
        return Measured(result, {"noop_wall_seconds": result.wall_seconds}, {"noop_marker": call.rel(marker)})


@pytest.fixture
def noop() -> Iterator[NoOp]:
    instrument = NoOp()
    registry.register(instrument)
    yield instrument
    registry.unregister(instrument.name)


def test_a_registered_instrument_is_planned_run_and_recorded(tmp_path: Path, noop: NoOp) -> None:
    assert registry.parse_instruments("clean,no-op") == ["clean", "noop"]
    out = tmp_path / "out"
    p = plan(repeat=1, combinations=("baseline", "P1"), instruments=("clean", noop.name), race_seeds=())
    bench = Bench(p, out, FakeParity(), progress=Progress(io.StringIO()))
    suite = bench.run(opener(fake_cluster(tmp_path)))

    profiled = [r for r in suite.runs() if r.instrument == noop.name]
    assert [(r.combination, r.role) for r in profiled] == [("baseline", "baseline"), ("P1", "candidate")]
    for run in profiled:
        assert run.ok, run.reason
        assert run.metrics["noop_wall_seconds"] > 0
        assert (out / run.artefacts["noop_marker"]).read_text(
            encoding="utf-8"
        ) == f"small · {run.combination}\n"
        assert run.report_digest == suite.reference_digest("small")  # its reports pass parity like any run
    assert not any(r.measured for r in profiled)  # an explaining instrument is never gated
    assert registry.linked_artefacts()["noop_marker"] == "no-op marker"
    assert suite.machine.tool_versions()["noop-tool"] == "noop 1.0"
    assert results.load(out / results.RESULTS_FILE) == suite  # and it round-trips through the file


def test_an_instrument_problem_is_a_value_not_a_crash(
    tmp_path: Path, noop: NoOp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: NoOp, call: Call) -> Measured:
        return Measured(
            call.spawn([sys.executable, *call.target]), problem=ToolProblem("tool-failed", "no marker")
        )

    monkeypatch.setattr(NoOp, "measure", broken)
    p = plan(repeat=1, combinations=("baseline",), instruments=("clean", noop.name), race_seeds=())
    suite = Bench(p, tmp_path / "out", FakeParity(), progress=Progress(io.StringIO())).run(
        opener(fake_cluster(tmp_path))
    )
    (run,) = [r for r in suite.runs() if r.instrument == noop.name]
    assert (run.status, run.reason) == (results.TOOL_FAILED, "no marker")


def test_unknown_instruments_and_removing_clean_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown instrument 'perf'"):
        registry.parse_instruments("clean,perf")
    with pytest.raises(ValueError, match="gated figures"):
        registry.unregister("clean")
    assert runner.tail_steps(plan(instruments=("clean",), race_seeds=()), "small") == []
