"""`ksbench parity` fails closed on a broken invariant even when every finding matches (exit 3, its
own message), and passes the same cases on the unbroken scanner."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK
from tests.integration.cli_runner import run_ksbench

pytestmark = pytest.mark.integration

LEAKY = str(Path(__file__).resolve().parents[1] / "data" / "leaky_scanner.py")


def _parity(capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_ksbench(
        capsys, "parity", "small", "--backend", "files", "--combinations", "baseline;1",
        "--scanner", LEAKY, "--out", str(tmp_path / "out"), *extra,
    )  # fmt: skip


def test_parity_reports_a_compiled_rule_never_closed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEAKY_SCANNER", "close")
    leaky = _parity(capsys, tmp_path)
    assert leaky.returncode == EXIT_FINDINGS_MISMATCH, leaky.stderr
    assert "invariants broken" in leaky.stderr
    assert "compiled rules not closed exactly once" in leaky.stderr
    assert "findings differ" not in leaky.stderr  # the findings themselves are identical


def test_parity_passes_the_same_cases_on_the_unbroken_scanner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEAKY_SCANNER", raising=False)
    clean = _parity(capsys, tmp_path)
    assert clean.returncode == EXIT_OK, clean.stderr
    assert "keep the invariants" in clean.stdout
