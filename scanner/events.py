"""Stage events: when the scan entered and left each stage, as JSON lines in a file.

Owns the events file (`ksbench-stage-events/1`): a header line, then one line per begin or end
of a stage — collect, match, evaluate (one rule over one scope), aggregate, report — with `t`,
seconds since this process started, and `cpu`, the process's CPU seconds so far (every thread:
the Go runtime's of the OPA binding too), so a single-worker scan's CPU can be split by rule. `t = 0` is the process's start time from /proc/self/stat on
CLOCK_BOOTTIME, the same zero a sampler outside the process gets from /proc/<pid>/stat, so the
two timelines align without a handshake. Where /proc is missing, `t = 0` is when this module was
first imported and the header says so.

The recorder is process-wide (`install` once from the command line; `span` anywhere) so that
the pipeline's signatures stay as they are; when nothing is installed a span costs one check.

Must not: change what the scan does or reports, or raise into the scan (a failed write turns
recording off with one line on standard error).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

FORMAT_VERSION = "ksbench-stage-events/1"
ENV_VAR = "KSBENCH_EVENTS"
STAGES = ("collect", "match", "evaluate", "aggregate", "report")

_IMPORTED_AT = time.clock_gettime(time.CLOCK_BOOTTIME)


def process_start_boottime(pid: int | str = "self") -> float | None:
    """The process's start on CLOCK_BOOTTIME, in seconds; None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            text = stat.read()
        # Field 22 (starttime, clock ticks since boot); the command name in field 2 may hold spaces.
        ticks = int(text.rpartition(")")[2].split()[19])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Recorder:
    """Writes events to one open file; thread-safe (evaluation may run on several workers)."""

    def __init__(self, out: IO[str]) -> None:
        self._out: IO[str] | None = out
        self._name = str(getattr(out, "name", "the events file"))
        self._lock = threading.Lock()
        start = process_start_boottime()
        self._zero = _IMPORTED_AT if start is None else start
        self._write(
            {
                "format_version": FORMAT_VERSION,
                "pid": os.getpid(),
                "clock": "CLOCK_BOOTTIME",
                "zero": "module import" if start is None else "process start",
            }
        )

    def now(self) -> float:
        return time.clock_gettime(time.CLOCK_BOOTTIME) - self._zero

    def event(self, stage: str, edge: str, **where: str) -> None:
        cpu = round(time.process_time(), 6)
        self._write({"t": round(self.now(), 6), "cpu": cpu, "stage": stage, "edge": edge, **where})

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            if self._out is None:
                return
            try:
                self._out.write(line)
            except OSError as exc:
                self._off(exc)

    def _off(self, exc: OSError) -> None:
        """Stop recording after a failed write (a full disk): say so, naming the file."""
        out, self._out = self._out, None
        if out is not None:
            with contextlib.suppress(OSError):
                out.close()
        print(
            f"ksbench scan: stage events off: cannot write {self._name}: {exc.strerror or exc}",
            file=sys.stderr,
        )

    def close(self) -> None:
        with self._lock:
            if self._out is not None:
                try:
                    self._out.close()  # the buffered events are written here
                except OSError as exc:
                    self._off(exc)
                self._out = None


_recorder: Recorder | None = None


def install(path: str) -> Recorder:
    """Record this process's stage events into path (truncated); closed at exit by `uninstall`."""
    global _recorder
    # Buffered: events are read after the scan, and a write per line would cost a syscall each.
    _recorder = Recorder(open(path, "w", encoding="utf-8"))  # noqa: SIM115
    return _recorder


def uninstall() -> None:
    global _recorder
    if _recorder is not None:
        _recorder.close()
        _recorder = None


@contextlib.contextmanager
def span(stage: str, **where: str) -> Iterator[None]:
    """A begin event now and an end event when the block leaves (also on an exception)."""
    recorder = _recorder
    if recorder is None:
        yield
        return
    recorder.event(stage, "begin", **where)
    try:
        yield
    finally:
        recorder.event(stage, "end", **where)


def mark(stage: str, edge: str, **where: str) -> None:
    """One edge of a stage whose begin and end are in different places (collect while streaming)."""
    if _recorder is not None:
        _recorder.event(stage, edge, **where)
