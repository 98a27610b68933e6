"""Our shipped rules give identical normalised reports on `opa` and `regorus`, scenario by scenario.

Each scenario is rendered to manifests once and scanned by the real CLI in its own process per
engine; the reports must have the same parity digest. regopy is not compared: docs/engines.md
lists where it differs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.scenarios.format import load_scenario
from harness.scenarios.manifests import render
from scanner.engine import EngineUnavailable, load_engine
from scanner.parity import differences, digest
from scanner.reader import load_report

pytestmark = pytest.mark.integration
ENGINES = ("opa", "regorus")
SCAN_TIMEOUT_SECONDS = 1800  # large on regorus: ~10 min on a loaded 2-vCPU machine


def _require_engines() -> None:
    for name in ENGINES:
        try:
            load_engine(name)
        except EngineUnavailable as exc:
            pytest.skip(f"engine {name} unavailable: {exc}")


def _scan(manifests: Path, engine: str, out: Path, exceptions: Path | None, phases: str) -> Path:
    report = out / f"{engine}.json"
    argv = [sys.executable, "-m", "scanner", str(manifests), "--engine", engine, "--phases", phases]
    argv += ["--format", "json", "--pin-time", "--output", str(report)]
    if exceptions is not None:
        argv += ["--exceptions", str(exceptions)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SCAN_TIMEOUT_SECONDS, check=False)
    assert done.returncode == 0, f"scan on {engine} exited {done.returncode}: {done.stderr[-2000:]}"
    return report


def _assert_engines_agree(scenario_name: str, tmp_path: Path, phases: str = "baseline") -> None:
    _require_engines()
    scenario = load_scenario(scenario_name)
    manifests = tmp_path / "manifests"
    render(scenario, manifests)
    reports = {
        e: load_report(_scan(manifests, e, tmp_path, scenario.exceptions_file, phases)) for e in ENGINES
    }
    assert {e: r["metadata"]["engine"]["name"] for e, r in reports.items()} == {e: e for e in ENGINES}
    opa, regorus = reports["opa"], reports["regorus"]
    if digest(opa) != digest(regorus):
        shown = "\n".join(str(d) for d in differences(opa, regorus, limit=20))
        pytest.fail(f"{scenario_name}: opa and regorus reports differ:\n{shown}")


@pytest.mark.parametrize("scenario_name", ["small", "medium", "adversarial"])
def test_opa_and_regorus_agree(scenario_name: str, tmp_path: Path) -> None:
    _assert_engines_agree(scenario_name, tmp_path)


@pytest.mark.slow
def test_opa_and_regorus_agree_on_large(tmp_path: Path) -> None:
    # All phases on: the baseline takes many minutes at 5,000 resources; the parity suite shows
    # that phases do not change the report.
    _assert_engines_agree("large", tmp_path, phases="all")
