"""A scenario's cluster as the scanner reaches it, and opening one per scenario for a bench.

Owns `Target` (what the runner needs of a cluster: the scanner's source arguments, the size and
fingerprint to record, and a liveness check) and `opener`, which stands each scenario's cluster
up through a backend (reused when already up) for the duration of its runs, holding its state
folder meanwhile and stopping what it started when the runs end.

Must not: run the scanner, measure or judge (harness.run consumes Targets).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.clusters import ClusterBackend, ClusterHandle, get_backend, ownership, state_dir
from harness.exit_codes import UsageError
from harness.scenarios.format import Scenario, load_scenario

GONE_STATES = ("stopped", "missing", "unready")  # backends name a healthy state differently (running, ready)


@dataclass(frozen=True)
class Target:
    """A scenario ready to be scanned, and how the scanner reaches it."""

    scenario: str
    resource_count: int | None
    source_args: tuple[str, ...]  # ("MANIFEST_DIR",) or ("--kubeconfig", F, "--context", C)
    fingerprint: str | None = None
    backend: str | None = None
    # None while the cluster answers; otherwise why not (the cluster disappeared).
    check_alive: Callable[[], str | None] | None = field(default=None, compare=False)
    server_url: str | None = None  # the embedded server's URL (its fault hooks), else None
    # A derived scenario: the fields its objects are served without (scanner.parity.STRIPPABLE).
    stripped: tuple[str, ...] = ()
    derived_from: str | None = None


# Stands a scenario's cluster up (or reuses it) for the duration of its runs.
TargetOpener = Callable[[str], contextlib.AbstractContextManager[Target]]


def source_args(handle: ClusterHandle) -> tuple[str, ...]:
    """How the scanner reaches the cluster: a kubeconfig (and context), or a manifest directory."""
    if handle.kubeconfig is not None:
        source: tuple[str, ...] = ("--kubeconfig", str(handle.kubeconfig))
        return source + (("--context", handle.context) if handle.context else ())
    if handle.manifest_dir is not None:
        return (str(handle.manifest_dir),)
    raise UsageError(
        f"the {handle.backend} backend gave no kubeconfig or manifest directory for {handle.scenario}"
    )


def _liveness(backend: ClusterBackend, backend_name: str, scenario: str) -> Callable[[], str | None]:
    def check_alive() -> str | None:
        try:
            states = [s for s in backend.status() if s.scenario == scenario]
        except Exception as exc:  # a backend that cannot even say: that is the answer
            return f"cluster status unavailable: {exc}"
        if states and states[0].state in GONE_STATES:
            return f"the {backend_name} cluster for {scenario} is {states[0].state}: {states[0].detail}"
        return None

    return check_alive


# Backends whose `up` can start something a bench then owns (files only renders; existing never starts).
STOPPABLE = ("embedded", "kind")


def opener(
    backend_name: str,
    options: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
    *,
    keep: bool = False,
    out: Path | None = None,
) -> TargetOpener:
    """Open each scenario's cluster on `backend_name` (options go to its constructor).

    For the time a scenario is open its state folder is held (harness.clusters.ownership): a
    second bench of the scenario is refused within a second. A cluster this bench started, or adopted
    from a bench that died, is stopped when the scenario closes, however it closes, unless
    `keep`; one that was up before (`cluster up`) is left up. Either way it is said.
    """
    say = progress or (lambda _message: None)

    @contextlib.contextmanager
    def open_target(name: str) -> Iterator[Target]:
        scenario = load_scenario(name)
        backend = get_backend(backend_name, **options)
        if backend_name not in (*STOPPABLE, "files"):
            yield _target(backend, backend_name, scenario, backend.up(scenario, progress=progress))
            return
        directory = state_dir(backend_name, scenario.name)
        holder = f"bench pid {os.getpid()}" + (f", --out {out}" if out else "")
        with ownership.hold(directory, holder), ownership.acting_as(ownership.BENCH, out):
            before = ownership.read_owner(directory)
            # Kept on purpose (`cluster up`, --keep-clusters) and up: still the user's after a reload.
            kept = before is not None and before.command in (ownership.CLUSTER_UP, ownership.KEPT)
            kept = kept and any(
                row.scenario == scenario.name and row.state not in GONE_STATES for row in backend.status()
            )
            handle = backend.up(scenario, progress=progress)
            adopted = (
                handle.reused
                and before is not None
                and before.command == ownership.BENCH
                and not before.alive()
            )
            ours = (handle.started and not kept) or adopted
            if kept and handle.started and before is not None:
                with ownership.acting_as(before.command, Path(before.out) if before.out else None):
                    ownership.record_owner(directory)
            if adopted:
                say(
                    f"adopted the {backend_name} cluster for {scenario.name} left by {before.describe() if before else 'a bench'}"
                )
                ownership.record_owner(directory)
            try:
                yield _target(backend, backend_name, scenario, handle)
            finally:
                _close(
                    backend,
                    backend_name,
                    scenario.name,
                    ours=ours and backend_name in STOPPABLE,
                    how="adopted" if adopted else "started",
                    keep=keep,
                    say=say,
                    before=before,
                )

    return open_target


def _target(backend: ClusterBackend, backend_name: str, scenario: Scenario, handle: ClusterHandle) -> Target:
    # The scenario's posture exceptions are part of what it tests: every scan of it uses them.
    exceptions = ("--exceptions", str(scenario.exceptions_file)) if scenario.exceptions_file else ()
    return Target(
        scenario.name,
        scenario.total_resources,
        source_args(handle) + exceptions,
        handle.fingerprint_digest,
        backend_name,
        _liveness(backend, backend_name, scenario.name),
        handle.server_url if backend_name == "embedded" else None,
        scenario.strip,
        scenario.derived_from,
    )


def _close(
    backend: ClusterBackend,
    backend_name: str,
    scenario: str,
    *,
    ours: bool,
    how: str,
    keep: bool,
    say: Callable[[str], None],
    before: ownership.Owner | None,
) -> None:
    """Stop what this bench started (unless kept) and say what became of the cluster."""
    if backend_name not in STOPPABLE:
        return
    if not ours:
        who = f"started by {before.command} pid {before.pid}" if before else "started before this bench"
        say(f"left the {backend_name} cluster for {scenario} up: it was up before this bench ({who})")
    elif keep:
        with ownership.acting_as(ownership.KEPT):
            ownership.record_owner(state_dir(backend_name, scenario))
        say(
            f"kept the {backend_name} cluster for {scenario} up (--keep-clusters): "
            f"`ksbench cluster down {scenario} --backend {backend_name}` stops it"
        )
    else:
        backend.down(scenario)
        say(f"stopped the {backend_name} cluster for {scenario} this bench {how} (--keep-clusters keeps it)")
