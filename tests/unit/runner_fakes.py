"""Test doubles for the runner: a fake scanner target and a parity checker for its reports."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness.clusters.target import Target
from harness.run.runner import Plan, ReportUnreadable

DATA = Path(__file__).parent.parent / "data"
FAKE_SCANNER = (str(DATA / "fake_scanner.py"), "scan")


class FakeParity:
    """Digest = sha256 of the report's results; differences = the results that changed."""

    def __init__(self, on_digest: Callable[[int], None] | None = None) -> None:
        self.calls = 0
        self.on_digest = on_digest

    def _load(self, path: Path) -> Any:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ReportUnreadable(str(exc)) from exc
        if data.get("format_version") != "ksbench-report/1":
            raise ReportUnreadable("wrong format_version")
        return data

    def digest(self, report: Path, ignoring: tuple[str, ...] = ()) -> str:
        self.calls += 1
        if self.on_digest is not None:
            self.on_digest(self.calls)
        return hashlib.sha256(json.dumps(self._load(report)["results"], sort_keys=True).encode()).hexdigest()

    def violations(self, baseline: Path | None, candidate: Path) -> list[str]:
        return []

    def differences(
        self, baseline: Path, candidate: Path, limit: int, ignoring: tuple[str, ...] = ()
    ) -> list[str]:
        a, b = self._load(baseline)["results"], self._load(candidate)["results"]
        return [
            f"{x['resourceID']}: {x['controls']} vs {y['controls']}"
            for x, y in zip(a, b, strict=False)
            if x != y
        ][:limit]


def fake_cluster(tmp_path: Path, **config: Any) -> Path:
    where = tmp_path / "cluster"
    where.mkdir(exist_ok=True)
    (where / "fake.json").write_text(json.dumps({"cpu_seconds": 0.02, "memory_mib": 5, **config}))
    return where


def opener(where: Path, resources: int = 100) -> Callable[[str], contextlib.AbstractContextManager[Target]]:
    @contextlib.contextmanager
    def open_target(scenario: str) -> Iterator[Target]:
        yield Target(scenario, resources, (str(where),), "fp", "files")

    return open_target


def plan(**overrides: Any) -> Plan:
    fields: dict[str, Any] = {
        "scenarios": ("small",),
        "combinations": ("baseline", "P1", "all"),
        "instruments": ("clean",),
        "repeat": 3,
        "timeout_seconds": 30.0,
        "scanner": FAKE_SCANNER,
        "race_seeds": (1,),
    }
    fields.update(overrides)
    return Plan(**fields)


PYTHON = sys.executable
