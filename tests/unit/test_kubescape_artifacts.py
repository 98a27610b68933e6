"""`ksbench kubescape artifacts`: regolibrary's exporter (a small stand-in here, the real one when
KSBENCH_REGOLIBRARY names a checkout) laid out as kubescape's offline policy folder."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE
from harness.kubescape import artifacts
from tests.integration.cli_runner import Run, run_ksbench
from tests.kubescape_fakes import git

# Writes what regolibrary's exporter writes into $OUTPUT: frameworks, lists, inputs, exceptions.
EXPORTER = """
import json, os, pathlib
out = pathlib.Path(os.environ["OUTPUT"]); out.mkdir(parents=True, exist_ok=True)
version = pathlib.Path("VERSION").read_text().strip()
for name in ("NSA", "MITRE"):
    (out / (name.lower() + ".json")).write_text(json.dumps({"name": name, "controls": [{"controlID": "C-0001"}], "version": version}))
(out / "frameworks.json").write_text(json.dumps([{"name": "NSA", "controls": []}]))
(out / "controls.json").write_text(json.dumps([]))
(out / "exceptions.json").write_text(json.dumps([{"name": "e"}]))
(out / "attack_tracks.json").write_text(json.dumps([{"kind": "AttackTrack"}]))
(out / "default_config_inputs.json").write_text(json.dumps({"settings": {"postureControlInputs": {"k": ["v"]}}}))
"""


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    return lambda *args: run_ksbench(capsys, *args)


@pytest.fixture
def regolibrary(tmp_path: Path) -> Path:
    repo = tmp_path / "regolibrary"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "export.py").write_text(EXPORTER)
    git(repo, "init", "-q", "-b", "main")
    for version, date in (("v2.0.1", "2026-01-01T00:00:00+00:00"), ("v2.0.2", "2026-06-01T00:00:00+00:00")):
        (repo / "VERSION").write_text(version)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", version, date=date)
        git(repo, "tag", version)
    return repo


def test_the_folder_holds_each_framework_and_the_inputs_kubescape_reads_by_name(
    ksbench: Callable[..., Run], regolibrary: Path, tmp_path: Path
) -> None:
    out = tmp_path / "artifacts"
    run = ksbench("kubescape", "artifacts", str(regolibrary), "--out", str(out))
    assert run.returncode == EXIT_OK, run.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["attack-tracks.json", "controls-inputs.json", "exceptions.json",
                     "ksbench-artifacts.json", "mitre.json", "nsa.json"]  # fmt: skip
    assert json.loads((out / "controls-inputs.json").read_text()) == {"k": ["v"]}
    record = artifacts.read_record(out)
    assert record["frameworks"] == ["MITRE", "NSA"] and record["regolibrary_commit"] == git(
        regolibrary, "rev-parse", "HEAD"
    )
    assert json.loads((out / "nsa.json").read_text())["version"] == "v2.0.2"


def test_a_ref_is_exported_without_touching_the_checkout(
    ksbench: Callable[..., Run], regolibrary: Path, tmp_path: Path
) -> None:
    out = tmp_path / "artifacts"
    run = ksbench("kubescape", "artifacts", str(regolibrary), "--out", str(out), "--ref", "v2.0.1")
    assert run.returncode == EXIT_OK, run.stderr
    assert json.loads((out / "nsa.json").read_text())["version"] == "v2.0.1"
    assert git(regolibrary, "status", "--porcelain") == ""


def test_release_at_reads_the_tags_of_the_checkout(regolibrary: Path) -> None:
    assert artifacts.release_at(regolibrary, "2999-01-01T00:00:00+00:00") == "v2.0.2"
    assert artifacts.release_at(regolibrary, "2026-03-01T00:00:00+00:00") == "v2.0.1"
    with pytest.raises(Exception, match="no release tag"):
        artifacts.release_at(regolibrary, "1999-01-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("not-empty", EXIT_USAGE, "not empty"),
        ("no-exporter", EXIT_USAGE, "no scripts/export.py here"),
        ("broken-exporter", EXIT_ENVIRONMENT, "regolibrary's exporter failed"),
        ("bad-ref", EXIT_USAGE, "--ref nosuch"),
    ],
)
def test_refusals_are_clear(
    ksbench: Callable[..., Run], regolibrary: Path, tmp_path: Path, setup: str, code: int, message: str
) -> None:
    out, extra = tmp_path / "artifacts", []
    source = regolibrary
    if setup == "not-empty":
        out.mkdir()
        (out / "x").write_text("x")
    elif setup == "no-exporter":
        source = tmp_path
    elif setup == "broken-exporter":
        (regolibrary / "scripts" / "export.py").write_text("raise SystemExit('boom')\n")
    else:
        extra = ["--ref", "nosuch"]
    run = ksbench("kubescape", "artifacts", str(source), "--out", str(out), *extra)
    assert run.returncode == code and message in run.stderr, run.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("KSBENCH_REGOLIBRARY"), reason="KSBENCH_REGOLIBRARY names no regolibrary checkout"
)
def test_kubescape_regolibrary_exports_with_its_own_exporter(
    ksbench: Callable[..., Run], tmp_path: Path
) -> None:
    out = tmp_path / "artifacts"
    run = ksbench("kubescape", "artifacts", os.environ["KSBENCH_REGOLIBRARY"], "--out", str(out))
    assert run.returncode == EXIT_OK, run.stderr
    nsa = json.loads((out / "nsa.json").read_text())
    assert nsa["name"] == "NSA" and len(nsa["controls"]) > 10
    assert isinstance(json.loads((out / "controls-inputs.json").read_text()), dict)
