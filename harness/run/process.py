"""The one place that spawns processes for measurement: scanner runs, profilers, profile readers.

Callers build argv as a plain list; `run()` spawns it in its own process group, enforces a
time-out, kills the whole group on a time-out or on any error (KeyboardInterrupt included),
measures wall time itself and returns a frozen `ProcessResult`. A program that cannot be
started is a value (`error`), never an exception. Peak RSS and CPU come from the child
trampoline (harness.run.child) through its stats file, never from ru_maxrss in this (large)
parent. An optional second process can be attached to the first one's PID (py-spy), and an
`on_start` callback gets that PID too (the /proc sampler, which runs in this process).

Must not: interpret what a program printed, decide what a run means, or import the scanner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TAIL_CHARS = 4000
# After a kill, how long to wait for the group to be reaped before giving up on it.
REAP_SECONDS = 5.0


@dataclass(frozen=True)
class ChildStats:
    """What the child trampoline recorded about itself at exit."""

    peak_rss_bytes: int
    peak_rss_source: str  # "VmHWM" (Linux) or "ru_maxrss" (elsewhere)
    cpu_user_seconds: float
    cpu_system_seconds: float
    children_cpu_seconds: float

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_user_seconds + self.cpu_system_seconds


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int | None  # None: never started, or killed by us after a time-out
    wall_seconds: float
    timed_out: bool
    error: str | None  # could not start (missing program, permissions): why
    stdout_tail: str
    stderr_tail: str
    stats: ChildStats | None  # None when the program ran without the trampoline or died early
    attached: ProcessResult | None = None  # the process attached by PID (py-spy), if any

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and self.returncode == 0

    def describe(self) -> str:
        """One line: what happened, for a progress line or a missing-figure reason."""
        if self.error is not None:
            return f"could not start {self.argv[0]}: {self.error}"
        if self.timed_out:
            return f"timed out after {self.wall_seconds:.0f} s (process group killed)"
        if self.returncode is not None and self.returncode < 0:
            name = (
                signal.Signals(-self.returncode).name if -self.returncode in signal.valid_signals() else "?"
            )
            return f"killed by signal {-self.returncode} ({name})"
        if self.returncode != 0:
            last = self.stderr_tail.strip().splitlines()[-1:] or [""]
            return f"exit code {self.returncode}: {last[0][:200]}"
        return "ok"


def read_child_stats(path: Path) -> ChildStats | None:
    """Parse the trampoline's `key=value` stats file; None when absent or incomplete."""
    try:
        text = path.read_text(encoding="ascii")
    except OSError:
        return None
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    try:
        return ChildStats(
            peak_rss_bytes=int(fields["peak_rss_bytes"]),
            peak_rss_source=fields["peak_rss_source"],
            cpu_user_seconds=float(fields["cpu_user_seconds"]),
            cpu_system_seconds=float(fields["cpu_system_seconds"]),
            children_cpu_seconds=float(fields["children_cpu_seconds"]),
        )
    except (KeyError, ValueError):
        return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # start_new_session made the child a group leader, so its pgid is its pid; kill everything
    # it started too (a scanner's helpers, a profiler's target).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=REAP_SECONDS)


def _tail(handle: tempfile._TemporaryFileWrapper[bytes] | None, path: Path | None) -> str:
    try:
        if handle is not None:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_CHARS))
            return handle.read().decode("utf-8", "replace")
        if path is not None:
            with path.open("rb") as saved:
                saved.seek(0, os.SEEK_END)
                saved.seek(max(0, saved.tell() - TAIL_CHARS))
                return saved.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return ""


class _Output:
    """stdout/stderr go to files (a pipe could fill and stall the child); keep only the tails."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.temp: tempfile._TemporaryFileWrapper[bytes] | None = None
        if path is None:
            self.temp = tempfile.NamedTemporaryFile(prefix="ksbench-out-")  # noqa: SIM115
            self.handle = self.temp.file
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = path.open("wb")

    def tail(self) -> str:
        self.handle.flush()
        return _tail(self.temp, self.path)

    def close(self) -> None:
        self.handle.close()
        if self.temp is not None:
            self.temp.close()


class _Attached:
    """The second process started against the first one's PID (py-spy record --pid)."""

    def __init__(self, argv: Sequence[str], stdout_path: Path | None, stderr_path: Path | None) -> None:
        self.argv = tuple(argv)
        self.out, self.err = _Output(stdout_path), _Output(stderr_path)
        self.start = time.perf_counter()
        self.error: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self.out.handle,
                stderr=self.err.handle,
                start_new_session=True,
            )
        except OSError as exc:
            self.error = exc.strerror or str(exc)

    def finish(self, grace_seconds: float) -> ProcessResult:
        """Wait for it to write its output (it outlives its target), at most grace_seconds."""
        if self.proc is None:
            return ProcessResult(self.argv, None, 0.0, False, self.error, "", "", None)
        timed_out = False
        try:
            code: int | None = self.proc.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            timed_out, code = True, None
            _kill_group(self.proc)
        seconds = time.perf_counter() - self.start
        return ProcessResult(
            self.argv, code, seconds, timed_out, None, self.out.tail(), self.err.tail(), None
        )

    def kill(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc)

    def close(self) -> None:
        self.out.close()
        self.err.close()


def run(
    argv: Sequence[str],
    *,
    timeout_seconds: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout_path: Path | None = None,
    stderr_path: Path | None = None,
    stats_path: Path | None = None,
    attach: Callable[[int], Sequence[str]] | None = None,
    attach_stdout_path: Path | None = None,
    attach_stderr_path: Path | None = None,
    on_start: Callable[[int], object] | None = None,
) -> ProcessResult:
    """Spawn argv, wait at most timeout_seconds, return what happened.

    stats_path: where the trampoline writes its stats (argv must run harness.run.child with it).
    attach: builds a second argv from the first process's PID (py-spy record --pid); it gets the
    same deadline plus a grace period to write its output after the target exits.
    on_start: called with the PID as soon as the process runs (a /proc sampler's start); it must
    return at once.
    """
    argv = tuple(argv)
    if stats_path is not None:
        stats_path.unlink(missing_ok=True)
    out, err = _Output(stdout_path), _Output(stderr_path)
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out.handle,
            stderr=err.handle,
            start_new_session=True,
        )
    except OSError as exc:
        out.close()
        err.close()
        return ProcessResult(argv, None, 0.0, False, exc.strerror or str(exc), "", "", None)
    attached: _Attached | None = None
    try:
        if on_start is not None:
            on_start(proc.pid)
        if attach is not None:
            attached = _Attached(attach(proc.pid), attach_stdout_path, attach_stderr_path)
        timed_out = False
        try:
            returncode: int | None = proc.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            timed_out, returncode = True, None
            _kill_group(proc)
        wall_seconds = time.perf_counter() - start
        # The profiler still has to write its file once the target is gone.
        grace = max(10.0, timeout_seconds - (time.perf_counter() - start))
        attached_result = attached.finish(grace) if attached is not None else None
        stats = None if timed_out or stats_path is None else read_child_stats(stats_path)
        return ProcessResult(
            argv, returncode, wall_seconds, timed_out, None, out.tail(), err.tail(), stats, attached_result
        )
    except BaseException:
        # Whatever went wrong here (Ctrl-C included), leave no process behind.
        _kill_group(proc)
        if attached is not None:
            attached.kill()
        raise
    finally:
        out.close()
        err.close()
        if attached is not None:
            attached.close()


def tool_version(argv: Sequence[str], *, timeout_seconds: float = 20.0) -> str | None:
    """First line a tool prints for its version (py-spy --version); None when it cannot run."""
    result = run(argv, timeout_seconds=timeout_seconds)
    if not result.ok:
        return None
    text = (result.stdout_tail or result.stderr_tail).strip()
    return text.splitlines()[0] if text else None


def git_state(repo: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the checkout at repo; (None, None) when git or the repo is missing."""
    head = run(["git", "-C", str(repo), "rev-parse", "HEAD"], timeout_seconds=20.0)
    if not head.ok:
        return None, None
    status = run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"], timeout_seconds=20.0
    )
    return head.stdout_tail.strip(), (bool(status.stdout_tail.strip()) if status.ok else None)
