"""Folders a hostile user hands over: a folder reached through a symbolic link (a manifests folder,
a --policies folder, a dump), a link loop, a FIFO among the manifests, and 1,100 nested folders."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.cli import main as scan_main
from tests.integration.cli_runner import run_ksbench

POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: c, image: nginx}]
"""
LINKED_FOLDER = "not read: a symbolic link to a folder, not followed (name the folder itself to read it)"


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = scan_main([*args, "--engine", "regorus", "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _nested(root: Path, depth: int) -> Path:
    """root/d/d/…/d, `depth` folders deep, with a manifest at the bottom (made without recursion)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir()
    (folder / "pod.yaml").write_text(POD)
    return folder


def test_a_symlinked_folder_a_loop_and_a_fifo_are_named_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "other.yaml").write_text(POD.replace("web", "other"))
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "pod.yaml").write_text(POD)
    os.symlink(elsewhere, manifests / "linked")
    os.symlink(manifests, manifests / "loop")  # a link to its own folder: followed, an endless walk
    os.mkfifo(manifests / "pipe.yaml")
    report = tmp_path / "report.json"
    code, _, err = _scan(capsys, str(manifests), "--format", "json", "--output", str(report))
    assert code == 0, err
    problems = {p["where"]: p["reason"] for p in json.loads(report.read_text())["metadata"]["problems"]}
    assert problems == {
        str(manifests / "linked"): LINKED_FOLDER,
        str(manifests / "loop"): LINKED_FOLDER,
        str(manifests / "pipe.yaml"): "not read: a FIFO",
    }
    code, _, err = _scan(capsys, str(manifests), "--fail-threshold", "100")
    assert code == 1 and "3 source problem(s)" in err  # fails closed: what was not read might fail


def _library(tmp_path: Path, linked: str | None = None) -> Path:
    """Our policy library rebuilt under tmp_path: controls and frameworks linked at the top level
    (a folder named at the top may be a link), each rule folder copied, rule `linked` a link."""
    from scanner.policies import LIBRARY_DIR

    policies = tmp_path / "policies"
    (policies / "rules").mkdir(parents=True)
    for part in ("controls", "frameworks", "default-config-inputs.json"):
        os.symlink(LIBRARY_DIR / part, policies / part)
    for rule in sorted(p for p in (LIBRARY_DIR / "rules").iterdir() if p.is_dir()):
        copy = (tmp_path / "elsewhere" / rule.name) if rule.name == linked else policies / "rules" / rule.name
        copy.mkdir(parents=True)
        for name in ("raw.rego", "rule.metadata.json"):
            (copy / name).write_bytes((rule / name).read_bytes())
        if rule.name == linked:
            (policies / "rules" / rule.name).symlink_to(copy)
    return policies


LINKED_RULE = "not read: a symbolic link to a folder, not followed (put the rule folder itself here)"


def test_a_symlinked_rule_folder_a_control_needs_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = _library(tmp_path, linked="allow-privilege-escalation")
    (tmp_path / "pod.yaml").write_text(POD)
    code, _, err = _scan(capsys, str(tmp_path / "pod.yaml"), "--policies", str(policies))
    assert code == 2, err
    assert (
        f"names unknown rules: allow-privilege-escalation (skipped: {policies}/rules/allow-privilege-escalation: {LINKED_RULE})"
        in err
    )

    from scanner.engine import load_engine
    from scanner.policytest import CaseResult, test_folder

    # `policies test` of that folder: the linked rule is a failing case with the reason, not a silent gap.
    cases = list(test_folder(policies, load_engine("regorus"), "allow-privilege-escalation"))
    assert cases == [CaseResult("allow-privilege-escalation", "-", False, (LINKED_RULE,))]


def test_a_symlinked_rule_folder_no_control_needs_is_a_problem_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = _library(tmp_path)
    (tmp_path / "stray").mkdir()
    (policies / "rules" / "stray").symlink_to(tmp_path / "stray")
    (tmp_path / "pod.yaml").write_text(POD)
    report = tmp_path / "report.json"
    code, _, err = _scan(capsys, str(tmp_path / "pod.yaml"), "--policies", str(policies), "--format", "json",
                         "--output", str(report))  # fmt: skip
    assert code == 0, err
    problems = json.loads(report.read_text())["metadata"]["problems"]
    assert problems == [{"where": str(policies / "rules" / "stray"), "reason": LINKED_RULE}]


def _remove_deep(root: Path) -> None:
    """Remove a tree of any depth without recursion (shutil.rmtree, and so pytest's clean-up of old
    temporary folders, recurses once per level and fails on 1,100)."""
    folders, pending = [], [root]
    while pending:
        folder = pending.pop()
        folders.append(folder)
        with os.scandir(folder) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                else:
                    os.unlink(entry.path)
    for folder in reversed(folders):
        folder.rmdir()


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """A manifest folder with 1,100 nested folders under it, removed afterwards."""
    _nested(tmp_path / "deep", 0)
    _nested(tmp_path / "deep", 1100)
    try:
        yield tmp_path / "deep"
    finally:
        _remove_deep(tmp_path / "deep")


def test_1100_nested_folders_are_a_usage_error_naming_the_folder(
    tmp_path: Path, deep: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _scan(capsys, str(tmp_path / "deep"))
    assert code == 2, err
    assert f"error: {tmp_path / 'deep'}/d/d/" in err and "folders nested more than 100 deep" in err
    assert err.count("\n") == 1 and "unexpected" not in err

    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    done = run_ksbench(capsys, "scenario", "import", str(tmp_path / "deep"), "--name", "deep",
                       "--scenarios-dir", str(tmp_path / "scenarios"))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "folders nested more than 100 deep" in done.stderr and "unexpected" not in done.stderr
    assert not (tmp_path / "scenarios").exists()


def test_a_dump_folder_with_a_symlinked_folder_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "pod.yaml").write_text(POD)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "other.yaml").write_text(POD.replace("web", "other"))
    os.symlink(tmp_path / "more", tmp_path / "dump" / "more")
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    done = run_ksbench(capsys, "scenario", "import", str(tmp_path / "dump"), "--name", "linked",
                       "--scenarios-dir", str(tmp_path / "scenarios"))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{tmp_path / 'dump' / 'more'}: not read: a symbolic link to a folder" in done.stderr
