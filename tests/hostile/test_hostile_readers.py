"""Readers that were not bounded: a FIFO given as a file hung forever, an option file was read
whole, `scenario import` walked an alias bomb for minutes and a deep nest ended in "unexpected".
Each case here is refused by name, as a usage error (or a source error), within seconds.

Every case runs in this process under an alarm, so a reader that blocks fails the test instead
of hanging the suite."""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from harness.exit_codes import EXIT_USAGE
from ksbench.cli import main

SECONDS = 10  # each refusal must come well within this; the alarm fails a reader that blocks


class Blocked(Exception):
    pass


@pytest.fixture(autouse=True)
def alarm() -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise Blocked(f"still reading after {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    return path


@pytest.mark.parametrize("option", ["--exceptions", "--data-control-inputs"])
def test_a_fifo_as_an_option_file_is_refused_by_name(
    option: str, fifo: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", str(manifest), option, str(fifo), "--engine", "regorus"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert str(fifo) in err and "a FIFO, not a regular file" in err


def test_a_fifo_as_the_kubeconfig_is_refused_by_name(fifo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--kubeconfig", str(fifo), "--engine", "regorus", "--controls", "C-0057"])
    err = capsys.readouterr().err
    assert code == 4 and str(fifo) in err and "a FIFO, not a regular file" in err, err


def test_a_device_as_the_exceptions_file_is_refused_unread(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", str(manifest), "--exceptions", "/dev/zero", "--engine", "regorus"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "/dev/zero" in err and "a character device" in err, err


def test_gate_on_a_fifo_is_refused_by_name(fifo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(fifo)]) == EXIT_USAGE
    assert "a FIFO, not a regular file" in capsys.readouterr().err


def test_an_oversized_exceptions_file_is_refused_by_size(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.exceptions

    monkeypatch.setattr(scanner.exceptions, "OPTION_FILE_MAX_BYTES", 1000)
    big = tmp_path / "exceptions.json"
    big.write_text(json.dumps([{"name": "x" * 2000}]))
    assert main(["scan", str(manifest), "--exceptions", str(big), "--engine", "regorus"]) == EXIT_USAGE
    assert "larger than 1,000 bytes" in capsys.readouterr().err


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bomb.yaml", ALIAS_BOMB, "decodes to more than 33,554,432 values"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep.yaml", "a:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(150)), "nested deeper than"),
    ],
)
def test_scenario_import_refuses_bombs_and_nests_by_name(
    name: str, text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / name
    dump.write_text(text)
    started = time.monotonic()
    code = main(["scenario", "import", str(dump), "--name", "x", "--scenarios-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and str(dump) in err and expected in err, err
    assert err.count("\n") == 1 and time.monotonic() - started < SECONDS


def test_scenario_stats_stops_a_gzip_bomb_at_its_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.scenarios import source

    monkeypatch.setattr(source, "IMPORTED_MAX_BYTES", 1_000_000)
    objects = tmp_path / "bomb.objects.json.gz"
    objects.write_bytes(gzip.compress(b" " * 5_000_000 + b'{"items": []}', compresslevel=1))
    toml = tmp_path / "bomb.toml"
    toml.write_text(f'name = "bomb"\nimported = "{objects.name}"\ntotal_resources = 1\n')
    code = main(["scenario", "stats", str(toml)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "expands beyond 1,000,000 bytes" in err, err


def test_a_yaml_tag_pyyaml_cannot_construct_is_a_problem_naming_the_file(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fuzzer: `!!set` on a mapping made PyYAML raise a bare ValueError (exit 5)."""
    tagged = tmp_path / "set.yaml"
    tagged.write_text("!!set apiVersion: v1\nkind: Pod\nmetadata:\n  name: null\n")
    code = main(["scan", str(manifest), str(tagged), "--engine", "regorus", "--controls", "C-0057"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"problem: {tagged}:1:1: malformed YAML: expected a mapping node, but found scalar" in captured.out


def test_twenty_thousand_bad_items_make_a_report_of_a_thousand_problems_and_a_count(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.report import PROBLEMS_KEPT

    bad = tmp_path / "many.json"
    bad.write_text('{"kind": "List", "items": [' + "1," * 20_000 + "1]}")
    report = tmp_path / "report.json"
    argv = ["scan", str(manifest), str(bad), "--engine", "regorus", "--controls", "C-0057"]
    assert main([*argv, "--format", "json", "--output", str(report)]) == 0
    problems = json.loads(report.read_text())["metadata"]["problems"]
    assert len(problems) == PROBLEMS_KEPT + 1
    assert problems[-1]["reason"] == f"…and {20_001 - PROBLEMS_KEPT:,} more like these"
    assert report.stat().st_size < 1_000_000
    capsys.readouterr()


@pytest.mark.parametrize(
    ("pattern", "excepted"),
    [("(a+)+b", False), ("(a+)+c", True)],
)
def test_exception_patterns_match_in_linear_time(
    pattern: str, excepted: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python's re backtracked on `(a+)+b` against a label value (2.5 s at 24 characters, doubling
    with each one); RE2, as kubescape's Go regexp, is linear."""
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: " + "a" * 60 + "c}}\n"
        "spec: {containers: [{name: c, image: nginx, securityContext: {privileged: true}}]}\n"
    )
    exceptions = tmp_path / "exceptions.json"
    exceptions.write_text(
        json.dumps(
            [
                {
                    "name": "hostile",
                    "posturePolicies": [{"controlID": "C-0057"}],
                    "resources": [{"designatorType": "Attributes", "attributes": {"app": pattern}}],
                }
            ]
        )
    )
    report = tmp_path / "report.json"
    argv = ["scan", str(pod), "--exceptions", str(exceptions), "--engine", "regorus", "--controls", "C-0057"]
    assert main([*argv, "--format", "json", "--output", str(report)]) == 0, capsys.readouterr().err
    counters = json.loads(report.read_text())["summaryDetails"]["controls"]["C-0057"]["ResourceCounters"]
    assert counters["failedResources"] == (0 if excepted else 1)  # an excepted Pod does not fail


def test_an_exception_pattern_re2_cannot_compile_is_a_usage_error_naming_it(
    tmp_path: Path, manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exceptions = tmp_path / "exceptions.json"
    exceptions.write_text(json.dumps([{"name": "x", "resources": [{"attributes": {"name": "(a)\\1"}}]}]))
    assert main(["scan", str(manifest), "--exceptions", str(exceptions), "--engine", "regorus"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "bad pattern (RE2 syntax)" in err and err.count("\n") == 1, err
