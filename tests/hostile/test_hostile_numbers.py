"""Numbers that are not numbers: every numeric option and every stored figure is finite and in
range, or a usage error (exit 2) that names it; never a gate turned off or a PASS from Infinity."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import results
from harness.commands.main import build_parser as ksbench_parser
from harness.exit_codes import EXIT_USAGE
from ksbench.cli import main
from scanner.cli import build_parser as scan_parser
from tests.unit.test_gates import _suite


def _numeric_options() -> Iterator[tuple[str, argparse.Action]]:
    """(command, action) for every option of `ksbench …` and `ksbench scan` whose value is a number."""
    stack: list[tuple[str, argparse.ArgumentParser]] = [
        ("ksbench", ksbench_parser()),
        ("scan", scan_parser()),
    ]
    while stack:
        name, parser = stack.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack += [(f"{name} {sub}", child) for sub, child in action.choices.items()]
            elif (action.type is not None or isinstance(action.default, int | float)) and not isinstance(
                action.default, bool
            ):
                yield name, action


def test_every_numeric_option_goes_through_the_one_rule() -> None:
    seen = 0
    for command, action in _numeric_options():
        if action.type in (Path, None, str) or getattr(action.type, "takes_path", False):
            # A number with no type would reach the code as text; one typed int/float would take nan.
            assert not isinstance(action.default, int | float) or action.default is None, (
                command,
                action.option_strings,
            )
            continue
        assert action.type not in (int, float), f"{command} {action.option_strings}: bare {action.type}"
        assert callable(action.type)
        for hostile in ("nan", "inf", "-inf", "1e999", "-1"):
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(hostile)
        seen += 1
    assert seen >= 14  # scan's ten, bench's three, parity's two, cluster's three, profile's one


@pytest.mark.parametrize("threshold", ["nan", "-10", "150", "inf"])
def test_fail_threshold_out_of_range_is_a_usage_error(
    threshold: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    with pytest.raises(SystemExit) as stopped:
        main(["scan", str(manifest), "--fail-threshold", threshold, "--engine", "regorus"])
    assert stopped.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--fail-threshold" in err and "from 0 to 100" in err


# An unknown scenario: were the number accepted, the bench would stop there, naming the scenario.
NO_BENCH = ("--scenarios", "no-such-scenario", "--instruments", "clean", "--no-html")


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("option", ["--timeout", "--budget-minutes"])
def test_bench_refuses_nan_times(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["bench", *NO_BENCH, option, "nan", "--out", str(tmp_path / "out")])
    assert stopped.value.code == EXIT_USAGE and option in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("repeat", ["99999999999", "1" + "0" * 5000])
def test_bench_refuses_a_repeat_out_of_range(
    repeat: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *NO_BENCH, "--repeat", repeat, "--out", str(tmp_path / "out")]) == EXIT_USAGE
    assert "--repeat" in capsys.readouterr().err


@pytest.fixture(scope="module")
def no_effect_json() -> str:
    """A suite where no phase changes anything (gate exits 1 on it), as results.json text."""
    return json.dumps(results.to_json(_suite({}, repeat=4)))


def _stored(tmp_path: Path, text: str) -> Path:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.json").write_text(text)
    return tmp_path / "out"


def test_the_figures_as_stored_miss_the_gate(tmp_path: Path, no_effect_json: str) -> None:
    assert main(["gate", str(_stored(tmp_path, no_effect_json))]) == 1


@pytest.mark.parametrize("hostile", ["Infinity", "1e999", "NaN", "-1.0", "true", '"5"'])
def test_a_stored_figure_that_is_not_a_finite_number_never_passes_a_gate(
    hostile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_effect_json: str
) -> None:
    data = json.loads(no_effect_json)
    for series in data["series"]:
        if series["combination"] == "baseline" and series["role"] == "baseline":
            for run in series["runs"]:
                run["metrics"] = {key: "HOSTILE" for key in run["metrics"]}
    out = _stored(tmp_path, json.dumps(data).replace('"HOSTILE"', hostile))
    assert main(["gate", str(out)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert "PASS" not in captured.out
    assert "results.json" in captured.err and captured.err.count("\n") == 1


def test_a_stored_repetition_or_exit_code_of_the_wrong_kind_is_refused(
    tmp_path: Path, no_effect_json: str
) -> None:
    data = json.loads(no_effect_json)
    data["series"][0]["runs"][0]["repetition"] = 1.5
    out = _stored(tmp_path, json.dumps(data))
    assert main(["gate", str(out)]) == EXIT_USAGE
    data["series"][0]["runs"][0]["repetition"] = 0
    data["series"][0]["runs"][0]["exit_code"] = 10**400
    (out / "results.json").write_text(json.dumps(data))
    assert main(["gate", str(out)]) == EXIT_USAGE
