"""A full disk: every write that fails names the file it was writing, and ends with the documented
exit code (4 for the harness, 2 for the scanner's report; stage events are dropped with a note).

A real out-of-space error comes from /dev/full (every write to it fails with ENOSPC); where a
command writes beside its target (a temporary file, then a rename), a write or fsync that raises
ENOSPC stands in for the full disk.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.integration.cli_runner import run_ksbench

FIXTURE = Path(__file__).parents[1] / "data" / "report"
MANIFEST = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: nginx}]}\n"
FULL = os.strerror(errno.ENOSPC)  # "No space left on device"


def test_a_report_written_to_a_full_disk_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:  # where a full disk (or a network file system) reports it at the latest
        raise OSError(errno.ENOSPC, FULL)

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "report.md"
    done = run_ksbench(
        capsys, "report", str(FIXTURE / "results.json"), "--format", "markdown", "--output", str(target)
    )
    assert done.returncode == 4, done.stderr
    assert done.stderr == f"ksbench: error: cannot write {target}: {FULL}\n"
    assert not target.exists() and not list(tmp_path.iterdir())  # no half file, no temporary left


def test_manifests_rendered_to_a_full_disk_name_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, FULL)

    monkeypatch.setattr(Path, "write_bytes", full)
    done = run_ksbench(capsys, "scenario", "render", "small", "-o", str(tmp_path / "m"))
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"ksbench: error: cannot write {tmp_path / 'm'}/") and FULL in done.stderr


def test_scan_output_and_events_on_a_full_device_name_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.cli import main

    manifest = tmp_path / "pod.yaml"
    manifest.write_text(MANIFEST)
    code = main(
        [str(manifest), "--engine", "regorus", "--quiet", "--output", "/dev/full", "--events", "/dev/full"]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.endswith(f"ksbench scan: error: cannot write the report to /dev/full: {FULL}\n"), err
    assert f"ksbench scan: stage events off: cannot write /dev/full: {FULL}\n" in err
