"""The kind backend's command flow against fake `kind` and `docker` on PATH, and one real-cluster
test that runs only where a Docker daemon answers."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.clusters.embedded import ServerProcess
from harness.clusters.kind import DOCKER_MISSING, docker_problem
from harness.exit_codes import EnvironmentProblem
from tests.integration.cli_runner import Run, run_ksbench

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

# A fake kind: records its argv, keeps a cluster list in a file, and hands out a kubeconfig whose
# context kind-<name> points at an embedded server (which stands in for the kind node).
FAKE_KIND = """\
#!{python}
import json, os, sys
from pathlib import Path
state = Path(os.environ["FAKE_KIND_STATE"])
with (state / "argv.jsonl").open("a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
clusters_file = state / "clusters"
clusters = clusters_file.read_text().split() if clusters_file.exists() else []
def kubeconfig(name):
    ctx = "kind-" + name
    return (f"apiVersion: v1\\nkind: Config\\nclusters:\\n- name: {{ctx}}\\n  cluster:\\n    server: {{os.environ['FAKE_KIND_SERVER']}}\\n"
            f"users:\\n- name: {{ctx}}\\n  user:\\n    token: fake\\ncontexts:\\n- name: {{ctx}}\\n  context:\\n    cluster: {{ctx}}\\n    user: {{ctx}}\\n"
            f"current-context: {{ctx}}\\n")
args = sys.argv[1:]
opt = lambda flag: args[args.index(flag) + 1]
if args[:2] == ["get", "clusters"]:
    print("\\n".join(clusters))
elif args[:2] == ["get", "kubeconfig"]:
    print(kubeconfig(opt("--name")))
elif args[:2] == ["create", "cluster"]:
    name = opt("--name")
    (state / "config.yaml").write_text(Path(opt("--config")).read_text())
    Path(opt("--kubeconfig")).write_text(kubeconfig(name))
    clusters_file.write_text("\\n".join(clusters + [name]))
elif args[:2] == ["delete", "cluster"]:
    clusters_file.write_text("\\n".join(c for c in clusters if c != opt("--name")))
else:
    sys.exit("fake kind: unexpected " + " ".join(args))
"""

FAKE_DOCKER = """\
#!/bin/sh
if [ "$1" = info ]; then
  if [ -n "$FAKE_DOCKER_DOWN" ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1; fi
  echo "Server Version: 28.0.0"; exit 0
fi
exit 1
"""


@pytest.fixture
def fake_tools(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kind").write_text(FAKE_KIND.format(python=sys.executable))
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    for tool in ("kind", "docker"):
        (bin_dir / tool).chmod(0o755)
    state = tmp_path / "kind-state"
    state.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_KIND_STATE": str(state),
        "FAKE_KIND_SERVER": _fresh_server(tmp_path / "kind-node"),
        "KSBENCH_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(REPO),
    }
    try:
        yield state, env
    finally:
        ServerProcess(tmp_path / "kind-node").stop()


def _fresh_server(directory: Path) -> str:
    """An empty embedded server with kube-system and default, like a new kind cluster."""
    server = ServerProcess(directory)
    url = server.start(port=0, forbidden=())
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("default", "kube-system")
    ]
    server.request("POST", "/_ksbench/bulk", json.dumps({"items": namespaces}).encode())
    return url


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run `ksbench ARGS` in this process with the given environment (PATH holds the fakes)."""

    def run(env: dict[str, str], *args: str) -> Run:
        for key in ("PATH", "FAKE_KIND_STATE", "FAKE_KIND_SERVER", "KSBENCH_HOME", "FAKE_DOCKER_DOWN"):
            if key in env:
                monkeypatch.setenv(key, env[key])
            else:
                monkeypatch.delenv(key, raising=False)
        return run_ksbench(capsys, *args)

    return run


def _calls(state: Path) -> list[list[str]]:
    return [json.loads(line) for line in (state / "argv.jsonl").read_text().splitlines()]


def test_kind_up_creates_populates_fingerprints_then_reuses_and_deletes(
    fake_tools: tuple[Path, dict[str, str]], tmp_path: Path, ksbench: Callable[..., Run]
) -> None:
    state, env = fake_tools
    up = ksbench(env, "cluster", "up", "small", "--backend", "kind")
    assert up.returncode == 0, up.stderr
    kubeconfig = Path(up.stdout.strip().splitlines()[-1])
    assert kubeconfig == tmp_path / "home" / "clusters" / "kind" / "small" / "kubeconfig"
    calls = _calls(state)
    create = next(c for c in calls if c[:2] == ["create", "cluster"])
    assert create[create.index("--name") + 1] == "ksbench-small"
    assert "dataDir: /tmp/etcd" in (state / "config.yaml").read_text()
    assert "created 98 objects (2 existed)" in up.stderr
    node = ServerProcess(tmp_path / "kind-node")
    stats = node.request("GET", "/_ksbench/stats")
    assert stats["objects"] == 100 + 1  # the scenario plus the fingerprint ConfigMap
    again = ksbench(env, "cluster", "up", "small", "--backend", "kind")
    assert again.returncode == 0 and "already holds small" in again.stderr
    assert not any(c[:2] == ["create", "cluster"] for c in _calls(state)[len(calls) :])
    assert node.request("GET", "/_ksbench/stats")["requests"]["create"] == stats["requests"]["create"]
    status = ksbench(env, "cluster", "status", "--backend", "kind")
    assert "small" in status.stdout and "ksbench-small" in status.stdout
    down = ksbench(env, "cluster", "down", "small", "--backend", "kind")
    assert down.returncode == 0 and "kind cluster small is down" in down.stdout
    assert ["delete", "cluster", "--name", "ksbench-small"] in _calls(state)


def test_kind_up_without_docker_says_so(
    fake_tools: tuple[Path, dict[str, str]], ksbench: Callable[..., Run]
) -> None:
    state, env = fake_tools
    up = ksbench({**env, "FAKE_DOCKER_DOWN": "1"}, "cluster", "up", "small", "--backend", "kind")
    assert up.returncode == EnvironmentProblem.exit_code
    assert DOCKER_MISSING in up.stderr and "Cannot connect to the Docker daemon" in up.stderr
    assert not (state / "argv.jsonl").exists(), "kind is never called without Docker"


def test_kind_missing_from_path(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    env = {
        **os.environ,
        "PATH": str(tmp_path),
        "KSBENCH_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(REPO),
    }
    up = ksbench(env, "cluster", "up", "small", "--backend", "kind")
    assert up.returncode == EnvironmentProblem.exit_code and "kind not found on PATH" in up.stderr


@pytest.mark.docker
@pytest.mark.slow
def test_real_kind_cluster(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    problem = docker_problem()
    if problem:
        pytest.skip(problem)
    if shutil.which("kind") is None:
        pytest.skip("kind is not on PATH")
    env = {**os.environ, "KSBENCH_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    try:
        up = ksbench(env, "cluster", "up", "small", "--backend", "kind")
        assert up.returncode == 0, up.stderr
        again = ksbench(env, "cluster", "up", "small", "--backend", "kind")
        assert "already holds small" in again.stderr
    finally:
        ksbench(env, "cluster", "down", "small", "--backend", "kind")


def test_docker_problem_names_the_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert docker_problem() == f"{DOCKER_MISSING} (no `docker` on PATH)"
    script = tmp_path / "docker"
    script.write_text(textwrap.dedent(FAKE_DOCKER))
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_DOCKER_DOWN", "1")
    assert "Cannot connect to the Docker daemon" in str(docker_problem())
