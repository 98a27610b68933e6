"""The `files` backend: a scenario rendered as manifests on disk, for the scanner's file mode.

State under $KSBENCH_HOME/clusters/files/<scenario>/: manifests/ (one List JSON per kind, the
adversarial duplicates included) and fingerprint.json beside it (never inside the manifest
directory, where a scanner would read it as a manifest). Must not contact any cluster.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from harness.clusters import (
    BackendOption,
    ClusterHandle,
    ClusterStatus,
    ksbench_home,
    read_fingerprint_digest,
    state_dir,
    write_fingerprint,
)
from harness.scenarios.fingerprint import fingerprint
from harness.scenarios.format import Scenario
from harness.scenarios.manifests import render
from harness.scenarios.source import scenario_objects

BACKEND = "files"


class FilesBackend:
    name = BACKEND
    OPTIONS: ClassVar[tuple[BackendOption, ...]] = ()  # it renders manifests: nothing to choose

    def up(self, scenario: Scenario, progress: Callable[[str], None] | None = None) -> ClusterHandle:
        say = progress or (lambda _message: None)
        directory = state_dir(BACKEND, scenario.name)
        manifests = directory / "manifests"
        expected = fingerprint(scenario.name, scenario_objects(scenario))
        if read_fingerprint_digest(directory) == expected.digest and manifests.is_dir():
            say(f"manifests of {scenario.name} are up to date")
            return ClusterHandle(BACKEND, scenario.name, None, None, None, manifests, expected.digest, True)
        (directory / "fingerprint.json").unlink(missing_ok=True)
        shutil.rmtree(manifests, ignore_errors=True)
        render(scenario, manifests, with_duplicates=True)
        write_fingerprint(directory, expected)
        say(f"rendered {expected.total_resources} objects of {scenario.name} into {manifests}")
        return ClusterHandle(BACKEND, scenario.name, None, None, None, manifests, expected.digest, False)

    def _dirs(self) -> list[Path]:
        root = ksbench_home() / "clusters" / BACKEND
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def status(self) -> list[ClusterStatus]:
        rows = []
        for directory in self._dirs():
            digest = read_fingerprint_digest(directory)
            state = "ready" if digest else "incomplete"
            rows.append(
                ClusterStatus(
                    BACKEND,
                    directory.name,
                    state,
                    f"{directory / 'manifests'} {digest[:12] if digest else ''}",
                )
            )
        return rows

    def down(self, scenario_name: str | None = None) -> list[str]:
        directories = [state_dir(BACKEND, scenario_name)] if scenario_name else self._dirs()
        removed = []
        for directory in directories:
            if directory.exists():
                shutil.rmtree(directory)
                removed.append(directory.name)
        return removed
