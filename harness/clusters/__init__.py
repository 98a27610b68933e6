"""Cluster backends: one interface to stand up a scenario's cluster, check it, and take it down.

`get_backend(name)` returns one of: `embedded` (our API server process, the default), `kind`
(the kind CLI, needs Docker), `existing` (a user's cluster, read-only), `files` (rendered
manifests). Each backend declares the options its constructor takes (`OPTIONS`, read through
`backend_options`); the commands turn them into flags, so an option is written down once. This module holds only the interface and the shared state-directory helpers; it
must stay cheap to import (the embedded server process imports this package), so backends and
the kubernetes client are imported lazily.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from harness.exit_codes import UsageError

if TYPE_CHECKING:
    from harness.scenarios.fingerprint import Fingerprint
    from harness.scenarios.format import Scenario

BACKENDS = ("embedded", "kind", "existing", "files")
FINGERPRINT_FILE = "fingerprint.json"


@dataclass(frozen=True)
class ClusterHandle:
    """Where a scenario's cluster can be reached: kubeconfig + context, or a manifest directory."""

    backend: str
    scenario: str
    kubeconfig: Path | None
    context: str | None
    server_url: str | None
    manifest_dir: Path | None
    fingerprint_digest: str | None
    reused: bool = False
    started: bool = False  # this `up` started the server or cluster (a bench stops what it started)

    @property
    def target(self) -> Path:
        """What `cluster up` prints last: the kubeconfig, or the manifest directory for `files`."""
        target = self.kubeconfig or self.manifest_dir
        assert target is not None
        return target


@dataclass(frozen=True)
class ClusterStatus:
    backend: str
    scenario: str
    state: str  # running | stopped | populating | missing
    detail: str


@dataclass(frozen=True)
class BackendOption:
    """One option a backend's constructor takes, as a command-line flag (`--populate` → populate=)."""

    flag: str
    help: str  # says the backend's default
    type: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    only_up: bool = False  # for `cluster up` alone: it stands one cluster up, a bench one per scenario

    @property
    def keyword(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


class ClusterBackend(Protocol):
    name: str
    OPTIONS: ClassVar[tuple[BackendOption, ...]]

    def up(self, scenario: Scenario, progress: Callable[[str], None] | None = None) -> ClusterHandle: ...

    def status(self) -> list[ClusterStatus]: ...

    def down(self, scenario_name: str | None = None) -> list[str]: ...


def ksbench_home() -> Path:
    """$KSBENCH_HOME, else ~/.cache/ksbench: server state, kubeconfigs, rendered manifests."""
    env = os.environ.get("KSBENCH_HOME")
    return Path(env) if env else Path.home() / ".cache" / "ksbench"


def state_dir(backend: str, scenario_name: str) -> Path:
    return ksbench_home() / "clusters" / backend / scenario_name


def write_fingerprint(directory: Path, fingerprint: Fingerprint) -> None:
    """Atomically: a reader sees the old fingerprint, or the complete new one, never half of one."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{FINGERPRINT_FILE}.tmp"
    tmp.write_text(json.dumps(fingerprint.to_json(), indent=2, sort_keys=True))
    tmp.replace(directory / FINGERPRINT_FILE)


def read_fingerprint_digest(directory: Path) -> str | None:
    try:
        data: dict[str, Any] = json.loads((directory / FINGERPRINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    digest = data.get("digest")
    return digest if isinstance(digest, str) else None


def _backend_class(name: str) -> Any:
    """The class of backend `name`, imported only when asked for (this package stays cheap)."""
    if name == "embedded":
        from harness.clusters.embedded import EmbeddedBackend

        return EmbeddedBackend
    if name == "kind":
        from harness.clusters.kind import KindBackend

        return KindBackend
    if name == "existing":
        from harness.clusters.existing import ExistingBackend

        return ExistingBackend
    if name == "files":
        from harness.clusters.files import FilesBackend

        return FilesBackend
    raise UsageError(f"unknown cluster backend {name!r}; allowed: {', '.join(BACKENDS)}")


def backend_options(name: str) -> tuple[BackendOption, ...]:
    """The options backend `name` declares (its constructor's keywords)."""
    options: tuple[BackendOption, ...] = _backend_class(name).OPTIONS
    return options


def get_backend(name: str, **options: Any) -> ClusterBackend:
    """The backend called `name`; options go to its constructor (e.g. kubeconfig/context for existing)."""
    backend: ClusterBackend = _backend_class(name)(**options)
    return backend
