"""The /proc sampler: a thread in the harness that reads a running scanner's CPU and RSS.

Owns sampling one process by PID at SAMPLE_RATE_HZ from /proc/<pid>/stat (utime + stime of all
its threads, in clock ticks) and /proc/<pid>/status (VmRSS), and the timeline artefact
(`ksbench-timeline/1`: {"samples": [[t, cpu_seconds, rss_bytes], …]}). `t` is seconds since
the process started, on CLOCK_BOOTTIME, from the process's own start time in /proc/<pid>/stat:
the zero the scanner's stage events use (scanner --events), so both align without a handshake.

Why not a profiler: reading two small /proc files 20 times a second costs the scanner nothing
(the reads run in this process, on the kernel's counters), so clean runs keep their figures.
Where /proc is missing (not Linux) the sampler records nothing and says why.

Not an instrument of its own: the clean instrument (harness.run.instruments.clean) runs it beside
every clean run, so the timeline costs no extra run.

Must not: spawn processes (harness.run.process does and calls `start` with the PID), or decide
what a timeline means (harness.timelines does).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness import results, timelines

# 20 Hz: a 1 s window holds 20 CPU readings, each good to a 10 ms clock tick.
SAMPLE_RATE_HZ = 20.0


@dataclass(frozen=True)
class Sampled:
    """What one sampler saw: (t, cpu_seconds, rss_bytes) per reading, or why there is none."""

    samples: tuple[tuple[float, float, int], ...]
    rate_hz: float
    problem: str | None = None
    # The largest RssAnon read: the memory the program allocated, without the pages of its own
    # executable and other files it has mapped (a Go binary's are ~150 MB, and vary by build).
    peak_rss_anon_bytes: int | None = None


def _read(pid: int, ticks_per_second: int) -> tuple[float, float, int, int]:
    """(process start on CLOCK_BOOTTIME, cpu seconds, rss bytes, anonymous rss bytes) read now;
    OSError when it is gone."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # Fields after the command name (which may hold spaces or parentheses): state is index 0.
        fields = stat.read().rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):
        raise OSError("the process has exited")  # a zombie's counters are final and its RSS is gone
    rss_kib = anon_kib = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon_kib = int(line.split()[1])
                break  # RssAnon follows VmRSS in the file
    utime, stime, starttime = int(fields[11]), int(fields[12]), int(fields[19])
    return starttime / ticks_per_second, (utime + stime) / ticks_per_second, rss_kib * 1024, anon_kib * 1024


def exec_child(pid: int, wait_seconds: float = 5.0) -> int:
    """The first child of `pid` once it has forked one (the trampoline's program); else `pid`."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()
        except OSError:
            return pid
        if children:
            return int(children[0])
        time.sleep(0.002)
    return pid


class ProcSampler:
    """Samples one PID on a daemon thread from `start` until `stop` (or until the process is gone)."""

    def __init__(self, rate_hz: float = SAMPLE_RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._samples: list[tuple[float, float, int]] = []
        self._problem: str | None = None
        self._peak_anon: int | None = None

    def start(self, pid: int) -> None:
        self._thread = threading.Thread(
            target=self._loop, args=(pid,), name=f"ksbench-sampler-{pid}", daemon=True
        )
        self._thread.start()

    def start_exec_child(self, pid: int) -> None:
        """Sample the program the trampoline forks in --exec mode, not the trampoline that waits."""
        self._thread = threading.Thread(
            target=lambda: self._loop(exec_child(pid)), name=f"ksbench-sampler-{pid}", daemon=True
        )
        self._thread.start()

    def _loop(self, pid: int) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        interval = 1.0 / self.rate_hz
        started: float | None = None
        while True:
            try:
                start, cpu, rss, anon = _read(pid, ticks)
            except (OSError, ValueError, IndexError) as exc:
                if not self._samples:
                    self._problem = f"cannot read /proc/{pid}: {exc}"
                return  # the process has exited (and was reaped): the timeline ends here
            if started is None:
                started = start
            elif start != started:
                return  # the PID now belongs to another process
            self._samples.append((time.clock_gettime(time.CLOCK_BOOTTIME) - start, cpu, rss))
            self._peak_anon = max(anon, self._peak_anon or 0)
            if self._stop.wait(interval):
                return

    def stop(self) -> Sampled:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if self._thread is None:
            return Sampled((), self.rate_hz, "the sampler never started")
        return Sampled(tuple(self._samples), self.rate_hz, self._problem, self._peak_anon)


def write(path: Path, sampled: Sampled) -> None:
    results.write_json_atomic(
        path,
        {
            "format_version": timelines.TIMELINE_FORMAT,
            "rate_hz": sampled.rate_hz,
            "clock": "seconds since the process started (CLOCK_BOOTTIME)",
            "columns": ["t_seconds", "cpu_seconds", "rss_bytes"],
            "samples": [[round(t, 4), round(cpu, 3), rss] for t, cpu, rss in sampled.samples],
        },
    )
