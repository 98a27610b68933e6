"""Done-when of issue 24: each class parity used to miss, injected into the real scanner
(tests/data/leaky_scanner.py), makes `ksbench parity` with its defaults exit 3 by a findings diff
or an invariant — not by a crash (a crash reads "no report to compare") — and kubescape's
regolibrary keeps parity on a realistic scenario (when KSBENCH_REGOLIBRARY names a checkout).

Slow: each run is a parity sweep of real scans on the embedded server (minutes; see docs/parity.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK
from tests.integration.cli_runner import run_ksbench

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEAKY = str(Path(__file__).resolve().parents[1] / "data" / "leaky_scanner.py")
# What each injected class must be caught by (the first failure's message).
CAUGHT_BY = {
    "per-object": "findings differ from the baseline",  # a Pods × Nodes join evaluated batch by batch
    "forget": "invariants broken",  # a re-listed object taken as new: evaluated twice, counts differ
    "nolock": "compiled rules not closed exactly once",  # two threads compiled one key: one leaked
}


@pytest.mark.parametrize("mode", sorted(CAUGHT_BY))
def test_an_injected_class_makes_parity_defaults_exit_3_by_a_diff_or_an_invariant(
    mode: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEAKY_SCANNER", mode)
    result = run_ksbench(capsys, "parity", "--scanner", LEAKY, "--out", str(tmp_path / "out"))
    assert result.returncode == EXIT_FINDINGS_MISMATCH, result.stderr[-3000:]
    assert "no report to compare" not in result.stderr and "unreadable report" not in result.stderr
    assert CAUGHT_BY[mode] in result.stderr, result.stderr[-3000:]


REGOLIBRARY = os.environ.get("KSBENCH_REGOLIBRARY")


@pytest.mark.skipif(not REGOLIBRARY, reason="set KSBENCH_REGOLIBRARY to a kubescape/regolibrary checkout")
def test_kubescape_regolibrary_keeps_parity_on_a_realistic_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    result = run_ksbench(
        capsys, "parity", "small", "--policies", str(REGOLIBRARY), "--out", str(tmp_path / "out")
    )
    assert result.returncode == EXIT_OK, result.stderr[-3000:]
    assert "report the baseline's findings" in result.stdout
