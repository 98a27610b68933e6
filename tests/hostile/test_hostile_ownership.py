"""Shared cluster state has an owner: two benches of one scenario at once, an orphaned server, what a
bench leaves running when it ends, and SIGTERM to a running bench or scan.

Each test has its own KSBENCH_HOME: nothing here can see, stop or signal another home's servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.cli_runner import Run, run_ksbench

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's own KSBENCH_HOME; every server still recorded there is stopped afterwards."""
    home = tmp_path / "home"
    monkeypatch.setenv("KSBENCH_HOME", str(home))
    yield home
    from harness.clusters.embedded import EmbeddedBackend

    EmbeddedBackend().down()


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str], home: Path) -> Callable[..., Run]:
    def run(*args: str) -> Run:
        return run_ksbench(capsys, *args)

    return run


def _state(home: Path, scenario: str = "small") -> Path:
    return home / "clusters" / "embedded" / scenario


def _server_pid(home: Path) -> int:
    pid: int = json.loads((_state(home) / "server.json").read_text())["pid"]
    return pid


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _sleeping_variant(folder: Path, marker: str) -> list[str]:
    # A scanner under test that only waits: the bench is in a run for as long as the test needs.
    script = folder / "sleeper.py"
    script.write_text("import time\ntime.sleep(60)\n")
    command = f"{sys.executable} {script} {marker} {{kubeconfig}} {{report}}"
    return ["--variant", f"baseline={command}", "--variant", f"candidate={command}"]


def _processes_with(marker: str, but: int) -> list[int]:
    """Processes with `marker` in their command line, except `but` (the bench that was given it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != but:
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_second_bench_of_a_scenario_in_use_is_refused_and_sigterm_ends_the_first(
    tmp_path: Path, home: Path, ksbench: Callable[..., Run]
) -> None:
    marker = f"ksbench-test-marker-{os.getpid()}-{time.monotonic_ns()}"
    first_err = tmp_path / "first.stderr"
    with first_err.open("w") as err:
        first = subprocess.Popen(
            [sys.executable, "-m", "ksbench", "bench", "--scenarios", "small", "--repeat", "1",
             "--instruments", "clean", "--no-html", "--timeout", "120", "--out", str(tmp_path / "out1"),
             *_sleeping_variant(tmp_path, marker)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=err,
            env={**os.environ, "KSBENCH_HOME": str(home), "PYTHONPATH": str(REPO)},
        )  # fmt: skip
    try:
        _wait(lambda: bool(_processes_with(marker, first.pid)), 60, "the first bench's first run")
        server = _server_pid(home)

        second = ksbench("bench", "--scenarios", "small", "--repeat", "1", "--instruments", "clean",
                         "--no-html", "--out", str(tmp_path / "out2"), *_sleeping_variant(tmp_path, marker + "-2"))  # fmt: skip
        assert second.returncode == 4, second.stderr
        assert f"in use by bench pid {first.pid}, --out {tmp_path / 'out1'}" in second.stderr
        assert _server_pid(home) == server and _alive(server)  # its server record is not overwritten
        assert not (tmp_path / "out2" / "results.json").exists()
        status = ksbench("cluster", "status")
        assert f"in use by bench pid {first.pid}" in status.stdout, status.stdout

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 143
        said = first_err.read_text()
        assert "interrupted: finished runs are kept in" in said and "--resume" in said, said
        assert "ksbench: interrupted (SIGTERM)" in said
        assert "stopped the embedded cluster for small this bench started" in said
        _wait(lambda: not _processes_with(marker, first.pid), 10, "the run's process to be gone")
        assert not _alive(server)
        assert "no clusters" in ksbench("cluster", "status").stdout
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_an_orphaned_server_is_seen_by_status_and_stopped_by_down(
    home: Path, ksbench: Callable[..., Run]
) -> None:
    up = ksbench("cluster", "up", "small")
    assert up.returncode == 0, up.stderr
    orphan = _server_pid(home)
    (_state(home) / "server.json").unlink()  # as when another command overwrote or removed its record

    status = ksbench("cluster", "status")
    assert f"orphaned    server pid {orphan} is running but no state records it" in status.stdout, (
        status.stdout
    )
    down = ksbench("cluster", "down")
    assert down.returncode == 0 and "embedded cluster small is down" in down.stdout, down.stdout
    _wait(lambda: not _alive(orphan), 10, "the orphaned server to stop")
    assert "no clusters" in ksbench("cluster", "status").stdout


def test_a_bench_stops_what_it_started_adopts_a_dead_benchs_and_leaves_cluster_up_s(
    home: Path, ksbench: Callable[..., Run]
) -> None:
    from harness.clusters import ownership
    from harness.clusters.target import opener

    said: list[str] = []
    assert ksbench("cluster", "up", "small").returncode == 0
    server = _server_pid(home)
    with opener("embedded", {}, said.append)("small"):
        assert ksbench("cluster", "down", "small").returncode == 4  # in use: left running
    assert _alive(server) and "left the embedded cluster for small up" in said[-1], said

    # Changed behind `cluster up`'s back, the bench reloads it (a new server): still the user's.
    url = json.loads((_state(home) / "server.json").read_text())["url"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "intruder", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "x"}]}}  # fmt: skip
    request = urllib.request.Request(f"{url}/api/v1/namespaces/default/pods", data=json.dumps(pod).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()
    with opener("embedded", {}, said.append)("small"):
        assert _server_pid(home) != server
    server = _server_pid(home)
    assert _alive(server) and "left the embedded cluster for small up" in said[-1], said
    assert json.loads((_state(home) / ownership.OWNER_FILE).read_text())["command"] == ownership.CLUSTER_UP

    # A bench that died (kill -9) left its server: the next bench (a --resume) adopts and stops it.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    owner = ownership.Owner(ownership.BENCH, int(dead.stdout), "out", "then")
    (_state(home) / ownership.OWNER_FILE).write_text(json.dumps(owner.__dict__))
    assert "no longer running" in ksbench("cluster", "status").stdout
    with opener("embedded", {}, said.append, keep=True)("small"):
        pass
    assert _alive(server) and "kept the embedded cluster for small up (--keep-clusters)" in said[-1], said
    with opener("embedded", {}, said.append)("small"):
        pass
    assert "left the embedded cluster for small up" in said[-1], said  # kept: like `cluster up`'s
    (_state(home) / ownership.OWNER_FILE).write_text(json.dumps(owner.__dict__))
    with opener("embedded", {}, said.append)("small"):
        assert any("adopted the embedded cluster for small" in line for line in said), said
    assert "stopped the embedded cluster for small this bench adopted" in said[-1], said
    _wait(lambda: not _alive(server), 10, "the adopted server to stop")
