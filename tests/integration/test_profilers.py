"""py-spy attached by PID and memray on a real Python process; skipped with a reason when a tool is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.run import instruments, process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROGRAM = Path(__file__).parent.parent / "data" / "busy_program.py"
PYSPY = instruments.find_pyspy()


@pytest.mark.skipif(PYSPY is None, reason="py-spy is not installed (pip install 'ksbench[profile]')")
def test_pyspy_attached_by_pid_finds_the_hot_function(tmp_path: Path) -> None:
    assert PYSPY is not None
    raw, stats_path = tmp_path / "pyspy.txt", tmp_path / "stats"
    result = process.run(
        instruments.clean_argv([str(PROGRAM), "1.5", "5"], stats_path),
        timeout_seconds=60,
        stats_path=stats_path,
        attach=lambda pid: instruments.pyspy_attach_argv(PYSPY, pid, raw),
    )
    assert result.ok, result.describe()
    attached = result.attached
    assert attached is not None
    if not raw.exists() and "ptrace" in (attached.stderr_tail + attached.stdout_tail).lower():
        pytest.skip(f"py-spy may not ptrace here: {attached.stderr_tail.strip()[-200:]}")
    assert raw.exists(), attached.describe() + attached.stderr_tail
    stacks = instruments.parse_collapsed(raw.read_text())
    profile = instruments.function_times(stacks, instruments.PYSPY_RATE_HZ)
    hot = next(f for f in profile.functions if f.function.startswith("hot_loop "))
    assert profile.samples > 100
    # py-spy samples wall time: on a loaded machine the 1.5 s CPU spin takes longer than 1.5 s.
    assert 1.0 < hot.inclusive_seconds <= result.wall_seconds + 0.5, (hot, result.wall_seconds)
    assert profile.functions[0].self_seconds > 0.5
    svg = instruments.flamegraph_svg(stacks, "busy")
    assert svg.startswith("<svg") and "hot_loop" in svg


@pytest.mark.skipif(
    not instruments.memray_available(), reason="memray is not installed (pip install 'ksbench[profile]')"
)
def test_memray_peak_and_top_stack(tmp_path: Path) -> None:
    capture = tmp_path / "memray.bin"
    result = process.run(instruments.memray_argv([str(PROGRAM), "0.1", "40"], capture), timeout_seconds=120)
    assert result.ok, result.describe()
    summary = instruments.summarise_memray(capture)
    assert isinstance(summary, instruments.MemraySummary), summary
    mib = 1024 * 1024
    assert 40 * mib <= summary.heap_peak_bytes < 48 * mib
    assert summary.python_bytes_at_peak >= 40 * mib
    assert any("hold_memory" in frame for frame in summary.top_stacks[0].stack)
    for name, argv in (
        ("stats.json", instruments.memray_stats_argv),
        ("flame.html", instruments.memray_flamegraph_argv),
    ):
        made = process.run(argv(capture, tmp_path / name), timeout_seconds=120)
        assert made.ok and (tmp_path / name).stat().st_size > 0, made.describe()


def test_mmap_is_kept_apart_from_the_python_heap(tmp_path: Path) -> None:
    if not instruments.memray_available():
        pytest.skip("memray is not installed")
    script = tmp_path / "mapper.py"
    script.write_text("import mmap\nm = mmap.mmap(-1, 64 * 1024 * 1024)\nheld = bytearray(8 * 1024 * 1024)\n")
    capture = tmp_path / "memray.bin"
    assert process.run(instruments.memray_argv([str(script)], capture), timeout_seconds=60).ok
    summary = instruments.summarise_memray(capture)
    assert isinstance(summary, instruments.MemraySummary)
    assert summary.mmap_bytes_at_peak >= 64 * 1024 * 1024
    assert 8 * 1024 * 1024 <= summary.python_bytes_at_peak < 16 * 1024 * 1024


def test_damaged_capture_is_a_value(tmp_path: Path) -> None:
    if not instruments.memray_available():
        pytest.skip("memray is not installed")
    bad = tmp_path / "memray.bin"
    bad.write_bytes(b"not a capture")
    problem = instruments.summarise_memray(bad)
    assert isinstance(problem, instruments.ToolProblem) and problem.status == "tool-failed"


def test_python_used_is_this_interpreter() -> None:
    assert instruments.clean_argv(["x.py"], Path("s"))[0] == sys.executable


@pytest.mark.skipif(
    PYSPY is None or not instruments.memray_available(),
    reason="memray and py-spy are needed (pip install 'ksbench[profile]')",
)
def test_bench_profiled_runs_leave_summaries_read_at_measure_time(tmp_path: Path) -> None:
    """Through the runner: memray's capture and py-spy's stacks are summarised as the run ends."""
    import importlib.util
    import io

    from harness.report import artefacts
    from harness.run.runner import Bench, Progress

    spec = importlib.util.spec_from_file_location(
        "runner_fakes", Path(__file__).parent.parent / "unit" / "runner_fakes.py"
    )
    assert spec is not None and spec.loader is not None
    fakes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fakes)
    p = fakes.plan(
        repeat=1, combinations=("baseline",), instruments=("clean", "memray", "pyspy"), race_seeds=()
    )
    out = tmp_path / "out"
    suite = Bench(p, out, fakes.FakeParity(), progress=Progress(io.StringIO())).run(
        fakes.opener(fakes.fake_cluster(tmp_path, cpu_seconds=0.3))
    )
    by_instrument = {r.instrument: r for r in suite.runs() if r.role == "baseline"}
    memray, pyspy = by_instrument["memray"], by_instrument["pyspy"]
    assert memray.ok and pyspy.ok, (memray.reason, pyspy.reason)
    assert {"memray_summary", "memray_stats", "memray_flamegraph", "memory_timeline"} <= set(memray.artefacts)
    assert memray.metrics["heap_peak_bytes"] > 0
    assert {"pyspy_raw", "pyspy_functions", "pyspy_flamegraph"} <= set(pyspy.artefacts)
    assert pyspy.metrics["samples"] > 0
    for profiled in (memray, pyspy):  # every run has a /proc timeline, profiled ones too
        assert "timeline" in profiled.artefacts and profiled.metrics["peak_cpu_cores"] > 0
    (out / memray.artefacts["memray_capture"]).unlink()  # reports never need the binary capture
    loaded = artefacts.load(out, suite)
    assert ("small", "baseline") in loaded.timelines and ("small", "baseline") in loaded.stacks
    assert loaded.problems == ()
    assert suite.machine.memray_version and suite.machine.pyspy_version
