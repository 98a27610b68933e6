"""Who owns a scenario's cluster state: one holder at a time, and a record of who started it.

A scenario's state folder ($KSBENCH_HOME/clusters/<backend>/<scenario>/) holds one server
record and one kubeconfig, so two commands using it at once would overwrite each other's
server and scan the wrong one. `hold` takes an exclusive lock for the time a command uses it
(`fcntl.flock` on `.<scenario>.lock` beside the folder: the kernel releases it however the
holder ends, and `cluster down` removing the folder cannot remove the lock); a second holder
is refused within PROBE_SECONDS, with the first one's pid and what it is. `owner.json` in the
folder says which command started the cluster (a bench, with its pid and --out, or `cluster up`), so a
bench stops only what it started and an orphan of a crashed bench is known as one.

Must not: start or stop servers (the backends do), nor know any backend's details.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.exit_codes import EnvironmentProblem

OWNER_FILE = "owner.json"
PROBE_SECONDS = 1.0  # a holder found busy is asked again this long (a status probe holds it an instant)
BENCH = "bench"  # started for the time of one bench, stopped when it ends (unless kept)
CLUSTER_UP = "cluster up"  # started by `ksbench cluster up`: kept until `cluster down`
KEPT = "bench --keep-clusters"  # a bench's cluster it was told to keep: left up like CLUSTER_UP's


# Who this process starts clusters as: `cluster up` and a bench say so before they stand one up.
_ACTING_AS: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar(
    "ksbench_cluster_starter", default=("ksbench", None)
)


@dataclass(frozen=True)
class Owner:
    """Who started a cluster: a command (BENCH or CLUSTER_UP), its pid, and a bench's --out."""

    command: str
    pid: int
    out: str | None = None
    started: str = ""

    def alive(self) -> bool:
        return pid_alive(self.pid)

    def describe(self) -> str:
        where = f", --out {self.out}" if self.out else ""
        if self.command != BENCH:  # `cluster up` and kept clusters outlive the command by design
            return f"{self.command} pid {self.pid}{where} at {self.started}"
        state = "running" if self.alive() else "no longer running: an orphan a new bench adopts"
        return f"{self.command} pid {self.pid}{where} ({state})"


def pid_alive(pid: int) -> bool:
    """True while `pid` is a live process (a zombie counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return "State:\tZ" not in status


def lock_path(directory: Path) -> Path:
    return directory.parent / f".{directory.name}.lock"


@contextlib.contextmanager
def hold(directory: Path, holder: str) -> Iterator[None]:
    """The exclusive use of a cluster's state folder; EnvironmentProblem when someone else keeps it for 1 s.

    `holder` says who takes it (e.g. "bench pid 12, --out reports/x"); a refused caller reads it.
    """
    path = lock_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        if not _lock(handle):
            handle.seek(0)
            other = " ".join(handle.read().split()) or "another ksbench command"
            raise EnvironmentProblem(
                f"the cluster state in {directory} is in use by {other}: one command at a time uses "
                "a scenario's cluster; wait for it, or give each bench its own KSBENCH_HOME"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock(handle: Any) -> bool:
    """Take the lock, retrying for PROBE_SECONDS: `in_use_by` holds it for an instant to look."""
    deadline = time.monotonic() + PROBE_SECONDS
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def in_use_by(directory: Path) -> str | None:
    """Who holds `directory`'s lock now, or None when nobody does (checked by taking it for a moment)."""
    path = lock_path(directory)
    if not path.exists():
        return None
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            return " ".join(handle.read().split()) or "another ksbench command"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def acting_as(command: str, out: Path | None = None) -> Iterator[None]:
    """Clusters started inside the block are recorded as started by `command` (and its --out)."""
    token = _ACTING_AS.set((command, str(out) if out else None))
    try:
        yield
    finally:
        _ACTING_AS.reset(token)


def record_owner(directory: Path) -> Owner:
    """Write who started the cluster in `directory` (this process, as `acting_as` says), atomically."""
    command, out = _ACTING_AS.get()
    owner = Owner(command, os.getpid(), out, datetime.now(UTC).isoformat(timespec="seconds"))
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{OWNER_FILE}.tmp"
    tmp.write_text(json.dumps(owner.__dict__, sort_keys=True), encoding="utf-8")
    tmp.replace(directory / OWNER_FILE)
    return owner


def read_owner(directory: Path) -> Owner | None:
    try:
        data: Any = json.loads((directory / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pid"), int) or isinstance(data["pid"], bool):
        return None
    out = data.get("out")
    return Owner(
        str(data.get("command", "")),
        data["pid"],
        out if isinstance(out, str) else None,
        str(data.get("started", "")),
    )
