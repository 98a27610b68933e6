"""The /proc sampler on a real process: RSS and CPU readings while it runs, on the events' clock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness import timelines as timeline
from harness.run import process
from harness.run.instruments.sampler import ProcSampler

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the sampler reads Linux /proc"),
]

DATA = Path(__file__).parent.parent / "data"
MIB = 1024 * 1024


def test_sampler_sees_the_memory_and_the_busy_core() -> None:
    sampler = ProcSampler()
    result = process.run(
        [sys.executable, str(DATA / "busy_program.py"), "1.0", "120"],
        timeout_seconds=120,
        on_start=sampler.start,
    )
    sampled = sampler.stop()
    assert result.ok, result.describe()
    assert sampled.problem is None
    assert len(sampled.samples) >= 10
    times = [t for t, _, _ in sampled.samples]
    # t counts from the process's own start, like the scanner's stage events.
    assert 0.0 <= times[0] < 2.0 and times == sorted(times)
    cpu = [c for _, c, _ in sampled.samples]
    assert cpu == sorted(cpu) and cpu[-1] > 0.5
    peaks = timeline.analyse(sampled.samples, ())
    assert peaks is not None
    assert peaks.sampled_peak_rss_bytes >= 120 * MIB
    # The 120 MiB it touches are anonymous memory; the interpreter's own mapped files are not.
    assert sampled.peak_rss_anon_bytes is not None
    assert 120 * MIB <= sampled.peak_rss_anon_bytes < peaks.sampled_peak_rss_bytes
    assert 0.0 < peaks.peak_cpu_cores <= 1.2  # one busy thread cannot use more than one core


def test_sampler_of_a_process_that_never_ran_says_why() -> None:
    sampler = ProcSampler()
    result = process.run(["/nonexistent/program"], timeout_seconds=5, on_start=sampler.start)
    assert result.error is not None
    sampled = sampler.stop()
    assert sampled.samples == () and sampled.problem == "the sampler never started"
