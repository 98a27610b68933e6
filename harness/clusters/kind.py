"""The `kind` backend: a real Kubernetes cluster in Docker, driven through the `kind` CLI on PATH.

Creates `ksbench-<scenario>` with etcd on the node's tmpfs (/tmp) for fast writes, populates it
with parallel typed creates through the official client (resumable: existing objects are
skipped), then records the scenario's fingerprint in the ConfigMap kube-system/ksbench-fingerprint
(one API call, only after populating completed) so a later `up` reuses a matching cluster.
Owns the kind/docker command lines; API calls go through harness.clusters.kubeclient.

A real cluster runs controllers: Deployments, Jobs and DaemonSets reconcile their own pods, so
its object counts are the scenario's plus what the controllers add.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import ClassVar

from harness.clusters import (
    BackendOption,
    ClusterHandle,
    ClusterStatus,
    ownership,
    state_dir,
    write_fingerprint,
)
from harness.exit_codes import EnvironmentProblem
from harness.scenarios.fingerprint import fingerprint
from harness.scenarios.format import Scenario
from harness.scenarios.source import scenario_objects
from scanner.numbers import number

BACKEND = "kind"
CLUSTER_PREFIX = "ksbench-"
_CREATE_TIMEOUT_SECONDS = 600
DOCKER_MISSING = "Docker is not available: kind needs a running Docker daemon"

# etcd's data directory on the node container's tmpfs: populating is bound by etcd fsyncs otherwise.
KIND_CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: {name}
nodes:
- role: control-plane
  kubeadmConfigPatches:
  - |
    kind: ClusterConfiguration
    etcd:
      local:
        dataDir: /tmp/etcd
"""


def _run(argv: Sequence[str], *, timeout: float = 60, what: str = "") -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise EnvironmentProblem(f"{argv[0]} not found on PATH{what}") from exc
    except subprocess.TimeoutExpired as exc:
        raise EnvironmentProblem(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from exc


def docker_problem() -> str | None:
    """None when a Docker daemon answers `docker info`, else the reason why not."""
    if shutil.which("docker") is None:
        return f"{DOCKER_MISSING} (no `docker` on PATH)"
    result = _run(["docker", "info"], timeout=30)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return f"{DOCKER_MISSING} (`docker info` failed: {detail[-1] if detail else result.returncode})"
    return None


def cluster_name(scenario_name: str) -> str:
    return f"{CLUSTER_PREFIX}{scenario_name}"


class KindBackend:
    name = BACKEND
    OPTIONS: ClassVar[tuple[BackendOption, ...]] = (
        BackendOption(
            "--workers",
            "parallel creates when loading objects (default 16)",
            number(1, 256, integer=int),
            only_up=True,
        ),
    )

    def __init__(self, *, workers: int = 16) -> None:
        self.workers = workers

    def _kind(self, *args: str, timeout: float = 120) -> str:
        if shutil.which("kind") is None:
            raise EnvironmentProblem("kind not found on PATH; install it from https://kind.sigs.k8s.io")
        result = _run(["kind", *args], timeout=timeout)
        if result.returncode != 0:
            raise EnvironmentProblem(
                f"`kind {' '.join(args)}` failed: {result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout

    def clusters(self) -> list[str]:
        return [
            line.strip()
            for line in self._kind("get", "clusters").splitlines()
            if line.strip().startswith(CLUSTER_PREFIX)
        ]

    def up(self, scenario: Scenario, progress: Callable[[str], None] | None = None) -> ClusterHandle:
        from harness.clusters import kubeclient

        say = progress or (lambda _message: None)
        if shutil.which("kind") is None:
            raise EnvironmentProblem("kind not found on PATH; install it from https://kind.sigs.k8s.io")
        problem = docker_problem()
        if problem:
            raise EnvironmentProblem(problem)
        name = cluster_name(scenario.name)
        directory = state_dir(BACKEND, scenario.name)
        directory.mkdir(parents=True, exist_ok=True)
        kubeconfig = directory / "kubeconfig"
        started = name not in self.clusters()
        if not started:
            say(f"kind cluster {name} exists")
            kubeconfig.write_text(self._kind("get", "kubeconfig", "--name", name))
        else:
            ownership.record_owner(directory)
            config_path = directory / "kind-config.yaml"
            config_path.write_text(KIND_CONFIG.format(name=name))
            say(f"creating kind cluster {name} (etcd on tmpfs)")
            self._kind(
                "create", "cluster", "--name", name, "--config", str(config_path),
                "--kubeconfig", str(kubeconfig), "--wait", "180s",
                timeout=_CREATE_TIMEOUT_SECONDS,
            )  # fmt: skip
        context = f"kind-{name}"
        kubeclient.check_context(kubeconfig, context)
        api = kubeclient.api_client(kubeconfig, context, pool_size=self.workers)
        url = str(api.configuration.host)
        objects = scenario_objects(scenario)
        expected = fingerprint(scenario.name, objects)
        if kubeclient.read_fingerprint_configmap(api) == expected.digest:
            say(f"kind cluster {name} already holds {scenario.name} (fingerprint {expected.digest[:12]})")
            return ClusterHandle(
                BACKEND, scenario.name, kubeconfig, context, url, None, expected.digest, True, started
            )
        result = kubeclient.create_objects(api, objects, workers=self.workers, progress=say)
        say(
            f"created {result.created} objects ({result.existing} existed) at {result.creates_per_second:.0f}/s"
        )
        kubeclient.write_fingerprint_configmap(api, expected.to_json())
        write_fingerprint(directory, expected)
        return ClusterHandle(
            BACKEND, scenario.name, kubeconfig, context, url, None, expected.digest, False, started
        )

    def status(self) -> list[ClusterStatus]:
        if shutil.which("kind") is None:
            return []
        rows = []
        for name in self.clusters():
            scenario = name[len(CLUSTER_PREFIX) :]
            owner = ownership.read_owner(state_dir(BACKEND, scenario))
            started = f"; started by {owner.describe()}" if owner else ""
            rows.append(ClusterStatus(BACKEND, scenario, "running", f"kind cluster {name}{started}"))
        return rows

    def down(self, scenario_name: str | None = None) -> list[str]:
        names = [cluster_name(scenario_name)] if scenario_name else self.clusters()
        existing = set(self.clusters())
        removed = []
        for name in names:
            if name in existing:
                self._kind("delete", "cluster", "--name", name, timeout=300)
                removed.append(name[len(CLUSTER_PREFIX) :])
            shutil.rmtree(state_dir(BACKEND, name[len(CLUSTER_PREFIX) :]), ignore_errors=True)
        return removed
