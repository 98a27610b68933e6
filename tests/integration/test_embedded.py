"""The embedded API server as the official client and kubectl see it: discovery, paged LISTs,
selectors, create/get/delete, CRDs under two versions, faults, and the `ksbench cluster` flow."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from harness.clusters import ClusterHandle, kubeclient
from harness.clusters.embedded import EmbeddedBackend, ServerProcess, embedded_cluster, set_faults
from harness.exit_codes import EnvironmentProblem, UsageError
from harness.scenarios.format import load_scenario
from harness.scenarios.kinds import GENERATED_KINDS, KIND_BY_NAME, WIDGET
from harness.scenarios.objects import generate
from tests.integration.cli_runner import Run, run_ksbench

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    with embedded_cluster(load_scenario("medium", compact=True), tmp_path_factory.mktemp("medium")) as handle:
        yield handle


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterHandle]:
    with embedded_cluster(
        load_scenario("adversarial", compact=True), tmp_path_factory.mktemp("adversarial")
    ) as handle:
        yield handle


@pytest.fixture
def api(medium: ClusterHandle) -> Iterator[client.ApiClient]:
    assert medium.kubeconfig is not None
    with kubeclient.api_client(medium.kubeconfig, medium.context) as api_client:
        yield api_client
    set_faults(str(medium.server_url), None)


def _expected(scenario: str) -> dict[str, list[tuple[str, str, str]]]:
    expected: dict[str, list[tuple[str, str, str]]] = {}
    for obj in generate(load_scenario(scenario, compact=True)):
        meta = obj["metadata"]
        expected.setdefault(obj["kind"], []).append((meta.get("namespace", ""), meta["name"], meta["uid"]))
    return expected


def _typed_list(
    api: client.ApiClient, kind: str, page: int, namespace: str | None = None
) -> list[dict[str, Any]]:
    info = KIND_BY_NAME[kind]
    typed = getattr(client, kubeclient._API_CLASSES[info.group])(api)
    snake = kubeclient._snake(kind)
    items: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"limit": page, "_preload_content": False}
        if token:
            kwargs["_continue"] = token
        if namespace is not None:
            response = getattr(typed, f"list_namespaced_{snake}")(namespace, **kwargs)
        elif info.namespaced:
            response = getattr(typed, f"list_{snake}_for_all_namespaces")(**kwargs)
        else:
            response = getattr(typed, f"list_{snake}")(**kwargs)
        body = json.loads(response.data)
        assert body["kind"] == f"{kind}List" and body["apiVersion"] == info.api_version
        remaining = body["metadata"].get("remainingItemCount")
        items += body["items"]
        token = body["metadata"].get("continue")
        if not token:
            assert remaining is None
            return items
        assert remaining > 0


def test_typed_paged_list_returns_every_object_exactly_once(api: client.ApiClient) -> None:
    expected = _expected("medium")
    for info in GENERATED_KINDS:
        items = _typed_list(api, info.kind, page=37)
        got = [
            (i["metadata"].get("namespace", ""), i["metadata"]["name"], i["metadata"]["uid"]) for i in items
        ]
        assert sorted(got) == sorted(expected.get(info.kind, [])), info.kind
        assert all(i["kind"] == info.kind and i["metadata"]["resourceVersion"] for i in items)


def test_typed_models_deserialize_and_namespaced_lists_partition(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    pods = core.list_pod_for_all_namespaces(limit=100)
    assert pods.items and pods.metadata.remaining_item_count == 292 - 100
    total = 0
    for namespace in core.list_namespace().items:
        total += len(_typed_list(api, "Pod", page=7, namespace=namespace.metadata.name))
    assert total == 292


def test_dynamic_client_pages_every_kind(api: client.ApiClient) -> None:
    dyn = dynamic.DynamicClient(api, discoverer=dynamic.discovery.EagerDiscoverer)
    expected = _expected("medium")
    for info in GENERATED_KINDS:
        resource = dyn.resources.get(api_version=info.api_version, kind=info.kind)
        names: list[str] = []
        token = None
        while True:
            page = resource.get(limit=50, _continue=token) if token else resource.get(limit=50)
            assert page.kind == f"{info.kind}List"
            names += [item.metadata.uid for item in page.items]
            token = page.metadata["continue"]
            if not token:
                break
        assert Counter(names) == Counter(uid for _, _, uid in expected.get(info.kind, [])), info.kind


def test_label_and_field_selectors(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    pod = core.list_pod_for_all_namespaces(limit=1).items[0]
    app = pod.metadata.labels["app"]
    selected = core.list_pod_for_all_namespaces(label_selector=f"app={app}").items
    assert selected and all(p.metadata.labels["app"] == app for p in selected)
    others = core.list_pod_for_all_namespaces(label_selector=f"app!={app},app.kubernetes.io/name").items
    assert len(selected) + len(others) == 292
    assert core.list_pod_for_all_namespaces(label_selector=f"app in ({app},nothing)").items == selected
    by_name = core.list_pod_for_all_namespaces(field_selector=f"metadata.name={pod.metadata.name}").items
    assert [p.metadata.uid for p in by_name] == [pod.metadata.uid]
    with pytest.raises(ApiException) as info:
        core.list_pod_for_all_namespaces(label_selector="a in b")
    assert info.value.status == 400


def test_create_get_delete_and_errors_are_kubernetes_shaped(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    body = {"metadata": {"name": "probe", "labels": {"t": "1"}}, "data": {"k": "v"}}
    created = core.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert core.read_namespaced_config_map("probe", "default").data == {"k": "v"}
    with pytest.raises(ApiException) as conflict:
        core.create_namespaced_config_map("default", body)
    status = json.loads(conflict.value.body)
    assert conflict.value.status == 409 and status["kind"] == "Status" and status["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as missing_ns:
        core.create_namespaced_config_map("no-such-namespace", {"metadata": {"name": "x"}})
    assert missing_ns.value.status == 404
    core.delete_namespaced_config_map("probe", "default")
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_config_map("probe", "default")
    assert gone.value.status == 404 and json.loads(gone.value.body)["reason"] == "NotFound"


def test_continue_tokens_are_consistent_while_objects_change(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    first = core.list_config_map_for_all_namespaces(limit=2)
    assert first.metadata._continue
    core.create_namespaced_config_map("default", {"metadata": {"name": "aaa-during-listing"}})
    try:
        rest = core.list_config_map_for_all_namespaces(limit=1000, _continue=first.metadata._continue)
        names = [(c.metadata.namespace, c.metadata.name) for c in first.items + rest.items]
        assert ("default", "aaa-during-listing") not in names
        assert len(names) == len(set(names))
    finally:
        core.delete_namespaced_config_map("aaa-during-listing", "default")


@pytest.mark.parametrize("code", [403, 404, 500])
def test_status_faults_reach_the_client_as_api_exceptions(
    api: client.ApiClient, medium: ClusterHandle, code: int
) -> None:
    set_faults(
        str(medium.server_url),
        [{"resource": "apps/v1/deployments", "action": "status", "status": code, "verbs": ["list"]}],
    )
    apps = client.AppsV1Api(api)
    with pytest.raises(ApiException) as info:
        apps.list_deployment_for_all_namespaces()
    body = json.loads(info.value.body)
    assert info.value.status == code and body["code"] == code and body["kind"] == "Status"
    assert body["reason"] == {403: "Forbidden", 404: "NotFound", 500: "InternalError"}[code]
    assert client.CoreV1Api(api).list_pod_for_all_namespaces(limit=1).items, "other resources are unaffected"
    assert apps.list_replica_set_for_all_namespaces(limit=1).items


def test_slow_fault_delays_the_response(api: client.ApiClient, medium: ClusterHandle) -> None:
    set_faults(str(medium.server_url), [{"resource": "pods", "action": "delay", "delay_seconds": 0.5}])
    started = time.monotonic()
    client.CoreV1Api(api).list_pod_for_all_namespaces(limit=5)
    assert time.monotonic() - started >= 0.5
    with pytest.raises(urllib3.exceptions.HTTPError, match="Read timed out"):
        client.CoreV1Api(api).list_pod_for_all_namespaces(limit=5, _request_timeout=0.1)


def test_expired_continue_token_is_410_expired_on_the_second_page(
    api: client.ApiClient, medium: ClusterHandle
) -> None:
    set_faults(str(medium.server_url), [{"resource": "pods", "action": "expire"}])
    core = client.CoreV1Api(api)
    first = core.list_pod_for_all_namespaces(limit=10)
    with pytest.raises(ApiException) as info:
        core.list_pod_for_all_namespaces(limit=10, _continue=first.metadata._continue)
    assert info.value.status == 410
    assert json.loads(info.value.body)["reason"] == "Expired"


def test_dropped_connection_is_a_urllib3_error(api: client.ApiClient, medium: ClusterHandle) -> None:
    set_faults(str(medium.server_url), [{"resource": "pods", "action": "drop", "times": 1}])
    with pytest.raises(urllib3.exceptions.HTTPError) as info:
        client.CoreV1Api(api).list_pod_for_all_namespaces(limit=5)
    assert "Connection aborted" in str(info.value) or "RemoteDisconnected" in str(info.value)
    assert client.CoreV1Api(api).list_pod_for_all_namespaces(limit=5).items, (
        "the next request is served again"
    )


def test_faults_are_listed_in_stats_and_cleared(medium: ClusterHandle) -> None:
    faults = set_faults(
        str(medium.server_url), [{"resource": "*", "action": "status", "status": 500, "times": 2}]
    )
    assert faults[0]["times"] == 2
    assert set_faults(str(medium.server_url), None) == []
    with pytest.raises(Exception, match="400"):
        set_faults(str(medium.server_url), [{"resource": "pods", "action": "explode"}])


def test_adversarial_widget_is_one_object_under_two_versions(adversarial: ClusterHandle) -> None:
    assert adversarial.kubeconfig is not None
    with kubeclient.api_client(adversarial.kubeconfig, adversarial.context) as api:
        custom = client.CustomObjectsApi(api)
        by_version = {}
        for version in ("v1", "v1beta1"):
            listed = custom.list_cluster_custom_object(WIDGET.group, version, WIDGET.plural)
            assert {item["apiVersion"] for item in listed["items"]} == {f"{WIDGET.group}/{version}"}
            by_version[version] = sorted(item["metadata"]["uid"] for item in listed["items"])
        assert by_version["v1"] == by_version["v1beta1"] and len(by_version["v1"]) == 6
        groups = client.ApisApi(api).get_api_versions().groups
        widget_group = next(g for g in groups if g.name == WIDGET.group)
        assert [v.version for v in widget_group.versions] == ["v1", "v1beta1"]


def test_adversarial_forbidden_list_is_403_and_survives_clearing_faults(adversarial: ClusterHandle) -> None:
    assert adversarial.kubeconfig is not None
    set_faults(str(adversarial.server_url), None)
    with kubeclient.api_client(adversarial.kubeconfig, adversarial.context) as api:
        with pytest.raises(ApiException) as info:
            client.NetworkingV1Api(api).list_ingress_for_all_namespaces()
        assert info.value.status == 403 and json.loads(info.value.body)["reason"] == "Forbidden"
        assert client.NetworkingV1Api(api).list_network_policy_for_all_namespaces().items


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_kubectl_get_works(medium: ClusterHandle, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(medium.kubeconfig)}
    run = subprocess.run(
        ["kubectl", "get", "pods", "-A", "--chunk-size=100", "-o", "name"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert len(run.stdout.split()) == 292
    table = subprocess.run(
        ["kubectl", "get", "deployments", "-A"], capture_output=True, text=True, env=env, check=True
    )
    assert table.stdout.startswith("NAMESPACE") and len(table.stdout.splitlines()) == 49 + 1
    one = subprocess.run(
        ["kubectl", "get", "ns", "default", "-o", "json"], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(one.stdout)["metadata"]["name"] == "default"


def test_client_populate_stores_what_bulk_load_stores(tmp_path: Path, medium: ClusterHandle) -> None:
    scenario = load_scenario("small", compact=True)
    with embedded_cluster(scenario, tmp_path / "client", populate="client") as handle:
        assert handle.kubeconfig is not None
        with kubeclient.api_client(handle.kubeconfig, handle.context) as api:
            served = [i for info in GENERATED_KINDS for i in _typed_list(api, info.kind, page=1000)]
    for item in served:
        item["metadata"].pop("resourceVersion")
    expected = generate(scenario)
    key = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    assert sorted(served, key=key) == sorted(expected, key=key)


def test_server_starts_fast_and_reports_a_port_in_use(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "a")
    started = time.monotonic()
    url = server.start(port=0, forbidden=())
    startup_seconds = time.monotonic() - started
    try:
        assert server.ready()
        assert startup_seconds < 3.0, f"started in {startup_seconds:.2f} s"
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(EnvironmentProblem, match=f"port {port} on 127.0.0.1 is in use"):
            ServerProcess(tmp_path / "b").start(port=port, forbidden=())
    finally:
        server.stop()
    assert not server.pid_alive()


def test_populate_resumes_and_writes_the_fingerprint_only_when_complete(tmp_path: Path) -> None:
    scenario = load_scenario("small", compact=True)
    backend = EmbeddedBackend(root=tmp_path)
    directory = backend.directory("small")
    server = ServerProcess(directory)
    server.start(port=0, forbidden=())
    try:
        half = generate(scenario)[:50]
        body = json.dumps({"items": half}).encode()
        assert server.request("POST", "/_ksbench/bulk", body)["created"] == 50
        assert not (directory / "fingerprint.json").exists()
        handle = backend.up(scenario)
        assert not handle.reused
        stats = server.request("GET", "/_ksbench/stats")
        assert stats["objects"] == 100
        assert json.loads((directory / "fingerprint.json").read_text())["digest"] == handle.fingerprint_digest
        assert backend.up(scenario).reused
        assert [s.state for s in backend.status()] == ["running"]
    finally:
        assert backend.down() == ["small"]
    assert not directory.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run `ksbench ARGS` in this process (the CLI imports every command module: slow to spawn)."""

    def run(*args: str, home: Path) -> Run:
        monkeypatch.setenv("KSBENCH_HOME", str(home))
        return run_ksbench(capsys, *args)

    return run


def test_cluster_command_flow(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    up = ksbench("cluster", "up", "small", home=tmp_path)
    assert up.returncode == 0, up.stderr
    kubeconfig = Path(up.stdout.strip().splitlines()[-1])
    assert kubeconfig.is_file() and "populated 100/100" in up.stderr
    again = ksbench("cluster", "up", "small", home=tmp_path)
    assert again.stdout.strip().splitlines()[-1] == str(kubeconfig) and "reused" in again.stderr
    status = ksbench("cluster", "status", home=tmp_path)
    assert "small" in status.stdout and "running" in status.stdout
    faults = ksbench(
        "cluster",
        "faults",
        "small",
        "--set",
        '{"resource": "pods", "action": "status", "status": 403}',
        home=tmp_path,
    )
    assert faults.returncode == 0 and '"status": 403' in faults.stdout
    down = ksbench("cluster", "down", home=tmp_path)
    assert "small is down" in down.stdout
    assert "no clusters" in ksbench("cluster", "status", home=tmp_path).stdout


def test_cluster_command_errors(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    unknown = ksbench("cluster", "up", "nope", home=tmp_path)
    assert unknown.returncode == UsageError.exit_code and "unknown scenario 'nope'" in unknown.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        in_use = ksbench("cluster", "up", "small", "--port", str(port), home=tmp_path)
    assert (
        in_use.returncode == EnvironmentProblem.exit_code
        and f"port {port} on 127.0.0.1 is in use" in in_use.stderr
    )
    no_context = ksbench(
        "cluster",
        "up",
        "small",
        "--backend",
        "existing",
        "--kubeconfig",
        str(_kubeconfig(tmp_path)),
        "--context",
        "prod",
        home=tmp_path,
    )
    assert no_context.returncode == UsageError.exit_code
    assert "has no context 'prod'; contexts there: dev" in no_context.stderr


def _kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "user-kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\n"
        "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\n"
        "current-context: dev\n"
    )
    return path


def test_existing_backend_is_read_only(
    medium: ClusterHandle, tmp_path: Path, ksbench: Callable[..., Run]
) -> None:
    before = ServerProcess(Path(str(medium.kubeconfig)).parent).request("GET", "/_ksbench/stats")
    up = ksbench(
        "cluster",
        "up",
        "medium",
        "--backend",
        "existing",
        "--kubeconfig",
        str(medium.kubeconfig),
        home=tmp_path,
    )
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip().splitlines()[-1] == str(medium.kubeconfig)
    after = ServerProcess(Path(str(medium.kubeconfig)).parent).request("GET", "/_ksbench/stats")
    assert after["requests"].get("create", 0) == before["requests"].get("create", 0)
    assert after["requests"].get("delete", 0) == before["requests"].get("delete", 0)
    assert after["objects"] == before["objects"]
    assert ksbench("cluster", "down", "--backend", "existing", home=tmp_path).returncode == 0


def test_files_backend_renders_manifests(tmp_path: Path, ksbench: Callable[..., Run]) -> None:
    up = ksbench("cluster", "up", "adversarial", "--backend", "files", home=tmp_path)
    assert up.returncode == 0, up.stderr
    manifests = Path(up.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in manifests.iterdir())[0] == "00-namespace.json"
    assert not (manifests / "fingerprint.json").exists()
    assert "up to date" in ksbench("cluster", "up", "adversarial", "--backend", "files", home=tmp_path).stderr
    assert "adversarial" in ksbench("cluster", "down", "--backend", "files", home=tmp_path).stdout
