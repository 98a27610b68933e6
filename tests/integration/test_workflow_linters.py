"""actionlint and zizmor report nothing on the workflows under deploy/ci/ (when they are installed).

`tox -e lint` builds actionlint with Go into .tox/lint/tools/bin and installs zizmor into
.tox/lint/bin; either tool on PATH (or beside this Python) is used as well. Without one, its test
is skipped with the reason. tests/unit/test_ci_workflows.py checks the safety properties without them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "deploy" / "ci").glob("*.yml"))


def find(tool: str, *places: Path) -> Path | None:
    on_path = shutil.which(tool)
    if on_path:
        return Path(on_path)
    return next((p / tool for p in places if (p / tool).is_file()), None)


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_there_are_workflows_to_lint() -> None:
    assert len(WORKFLOWS) >= 3


def test_actionlint_reports_nothing() -> None:
    actionlint = find("actionlint", ROOT / ".tox" / "lint" / "tools" / "bin")
    if actionlint is None:
        pytest.skip("actionlint is not installed (tox -e lint builds it with Go)")
    done = run([str(actionlint), *map(str, WORKFLOWS)])
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_zizmor_reports_nothing() -> None:
    zizmor = find("zizmor", Path(sys.executable).parent, ROOT / ".tox" / "lint" / "bin")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor, or tox -e lint)")
    done = run([str(zizmor), "--offline", "--no-progress", *map(str, WORKFLOWS)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout, done.stdout
