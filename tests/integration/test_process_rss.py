"""Peak RSS of a child measured while its parent is much larger (docs/measuring.md: ru_maxrss is wrong here)."""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import pytest

from harness.run import process

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
MIB = 1024 * 1024
CHILD_MIB = 200
PARENT_MIB = 600


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM needs Linux /proc")
def test_child_peak_rss_ignores_large_parent(tmp_path: Path) -> None:
    ballast = bytearray(PARENT_MIB * MIB)
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1
    stats_path = tmp_path / "stats"
    argv = [
        sys.executable,
        "-m",
        "harness.run.child",
        "--stats",
        str(stats_path),
        "--",
        str(DATA / "touch_memory.py"),
        str(CHILD_MIB),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result = process.run(argv, timeout_seconds=60, stats_path=stats_path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert result.ok, result.describe()
    assert result.stats is not None and result.stats.peak_rss_source == "VmHWM"
    # The interpreter itself adds ~10-20 MiB on top of the touched block.
    measured = result.stats.peak_rss_bytes
    assert abs(measured - CHILD_MIB * MIB) <= 0.15 * CHILD_MIB * MIB, measured / MIB
    # What the naive figure says: the parent's high-water mark leaks into its children's.
    assert max(before, after) >= PARENT_MIB * MIB * 0.9, (before / MIB, after / MIB)
    print(f"child VmHWM {measured / MIB:.1f} MiB; RUSAGE_CHILDREN ru_maxrss {after / MIB:.1f} MiB")
    del ballast


def test_timeout_kills_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = tmp_path / "hang.py"
    # The grandchild would outlive a kill of the child alone.
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    result = process.run([sys.executable, str(script)], timeout_seconds=2.0)
    assert result.timed_out and result.returncode is None and not result.ok
    assert "timed out" in result.describe()
    grandchild = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the grandchild survived the time-out")


def test_missing_program_is_a_value() -> None:
    result = process.run(["/nonexistent/ksbench-tool"], timeout_seconds=5)
    assert result.error is not None and not result.ok
    assert "could not start" in result.describe()


def test_crash_is_reported_with_exit_code() -> None:
    result = process.run([sys.executable, "-c", "import sys; sys.exit(7)"], timeout_seconds=30)
    assert result.returncode == 7 and "exit code 7" in result.describe()
