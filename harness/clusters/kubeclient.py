"""The cluster backends' one door to the official `kubernetes` client: typed creates and lists.

Populates a cluster with parallel typed create calls (the client's real code path, bodies as
plain dicts, responses kept raw with `_preload_content=False`), lists kinds with paged LISTs,
and reads/writes the fingerprint ConfigMap that marks a populated kind cluster. Must not spawn
processes or know which backend it serves.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from harness.exit_codes import EnvironmentProblem, UsageError
from harness.scenarios.kinds import GENERATED_KINDS, KIND_BY_NAME, WIDGET

FINGERPRINT_CONFIGMAP = "ksbench-fingerprint"
FINGERPRINT_NAMESPACE = "kube-system"

_API_CLASSES: dict[str, str] = {
    "": "CoreV1Api",
    "apps": "AppsV1Api",
    "batch": "BatchV1Api",
    "networking.k8s.io": "NetworkingV1Api",
    "rbac.authorization.k8s.io": "RbacAuthorizationV1Api",
    "apiextensions.k8s.io": "ApiextensionsV1Api",
}


def _snake(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def check_context(kubeconfig: Path, context: str | None) -> str:
    """The context to use; UsageError naming the contexts there are when it is missing."""
    try:
        contexts, active = config.list_kube_config_contexts(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    except (ConfigException, OSError) as exc:
        raise UsageError(f"cannot read kubeconfig {kubeconfig}: {exc}") from exc
    names = [c["name"] for c in contexts]
    chosen = context or (active or {}).get("name")
    if chosen not in names:
        raise UsageError(
            f"kubeconfig {kubeconfig} has no context {chosen!r}; contexts there: {', '.join(names) or 'none'}"
        )
    return str(chosen)


def api_client(kubeconfig: Path, context: str | None, *, pool_size: int = 16) -> client.ApiClient:
    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig), context=context, client_configuration=configuration
        )
    except (ConfigException, OSError) as exc:
        raise UsageError(f"cannot load kubeconfig {kubeconfig} (context {context!r}): {exc}") from exc
    # Parallel creates need as many pooled connections as workers, else urllib3 discards them.
    configuration.connection_pool_maxsize = pool_size
    configuration.retries = 0
    return client.ApiClient(configuration)


def server_version(api: client.ApiClient) -> str:
    try:
        info = client.VersionApi(api).get_code(_request_timeout=10)
    except ApiException as exc:
        raise EnvironmentProblem(f"the cluster answered /version with {exc.status} {exc.reason}") from exc
    except Exception as exc:  # urllib3 connection errors have no common base worth naming
        raise EnvironmentProblem(f"cannot reach the cluster: {exc}") from exc
    return str(info.git_version)


@dataclass
class PopulateResult:
    created: int
    existing: int
    seconds: float
    # The client's one-time set-up before the first create (importing its API modules), not in `seconds`.
    setup_seconds: float = 0.0
    setup_cpu_seconds: float = 0.0

    @property
    def creates_per_second(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else 0.0

    @property
    def creates_per_second_with_setup(self) -> float:
        total = self.seconds + self.setup_seconds
        return self.created / total if total > 0 else 0.0


def _creator(api: client.ApiClient, obj: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], Any]:
    kind = str(obj["kind"])
    namespace = obj["metadata"].get("namespace")
    if kind == WIDGET.kind or kind not in KIND_BY_NAME:
        group, _, version = str(obj["apiVersion"]).rpartition("/")
        custom = client.CustomObjectsApi(api)
        plural = WIDGET.plural if kind == WIDGET.kind else kind.lower() + "s"
        if namespace:
            return lambda body: custom.create_namespaced_custom_object(
                group, version, namespace, plural, dict(body), _preload_content=False
            )
        return lambda body: custom.create_cluster_custom_object(
            group, version, plural, dict(body), _preload_content=False
        )
    info = KIND_BY_NAME[kind]
    typed = getattr(client, _API_CLASSES[info.group])(api)
    if info.namespaced:
        method = getattr(typed, f"create_namespaced_{_snake(kind)}")
        return lambda body: method(namespace, body, _preload_content=False)
    method = getattr(typed, f"create_{_snake(kind)}")
    return lambda body: method(body, _preload_content=False)


def _creator_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(obj["apiVersion"]), str(obj["kind"]), str(obj["metadata"].get("namespace", "")))


def _batches(objects: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Consecutive runs of one kind: each run may be created in parallel, runs in order."""
    batches: list[list[Mapping[str, Any]]] = []
    for obj in objects:
        if batches and batches[-1][0]["kind"] == obj["kind"]:
            batches[-1].append(obj)
        else:
            batches.append([obj])
    return batches


def _with_owner_uids(obj: Mapping[str, Any], uid_map: Mapping[str, str]) -> Mapping[str, Any]:
    """The object with its owner references pointing at the uids the server assigned (a copy when changed).

    The client validates the body into its own model and never changes the mapping it is given, so
    objects without owner references are sent as they are: copying 8 KB bodies cost as much CPU as
    the server's whole create.
    """
    refs = obj["metadata"].get("ownerReferences")
    if not refs:
        return obj
    metadata = dict(obj["metadata"])
    metadata["ownerReferences"] = [{**ref, "uid": uid_map.get(ref["uid"], ref["uid"])} for ref in refs]
    return {**obj, "metadata": metadata}


def create_objects(
    api: client.ApiClient,
    objects: Sequence[Mapping[str, Any]],
    *,
    workers: int = 8,
    progress: Callable[[str], None] | None = None,
    label: str = "",
) -> PopulateResult:
    """Create every object with typed create calls, skipping those that exist (resumable).

    Owner references are rewritten to the uids the server assigned to the owners, because a real
    API server ignores the uid in a create body (the embedded one keeps it). Only the answers to
    owners are parsed for their uid; the others are read and dropped.
    """
    uid_map: dict[str, str] = {}
    owner_uids = {
        str(ref["uid"])
        for obj in objects
        for ref in obj["metadata"].get("ownerReferences", ())
        if "uid" in ref
    }
    lock = threading.Lock()
    created = existing = done = 0
    total = len(objects)
    setup_started, setup_cpu = time.monotonic(), time.process_time()
    creators: dict[tuple[str, str, str], Callable[[Mapping[str, Any]], Any]] = {}
    for obj in objects:
        key = _creator_key(obj)
        if key not in creators:
            creators[key] = _creator(api, obj)
    started = last_report = time.monotonic()
    setup_cpu = time.process_time() - setup_cpu

    def create_one(obj: Mapping[str, Any]) -> None:
        nonlocal created, existing, done, last_report
        uid = str(obj["metadata"].get("uid", ""))
        try:
            data = creators[_creator_key(obj)](_with_owner_uids(obj, uid_map)).data
            assigned = json.loads(data)["metadata"]["uid"] if uid in owner_uids else None
            was_created = True
        except ApiException as exc:
            if exc.status != 409:
                raise EnvironmentProblem(
                    f"creating {obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']} "
                    f"failed: {exc.status} {exc.reason}: {exc.body!r}"
                ) from exc
            assigned, was_created = None, False
        with lock:
            if assigned:
                uid_map[uid] = str(assigned)
            created += was_created
            existing += not was_created
            done += 1
            now = time.monotonic()
            if progress is not None and (now - last_report >= 1.0 or done == total):
                last_report = now
                rate = done / (now - started) if now > started else 0.0
                progress(f"{label}populated {done}/{total} objects ({rate:.0f}/s)")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(objects):
            list(pool.map(create_one, batch))
    return PopulateResult(created, existing, time.monotonic() - started, started - setup_started, setup_cpu)


def _lister(api: client.ApiClient, kind: str) -> Callable[..., Any]:
    info = KIND_BY_NAME[kind]
    typed = getattr(client, _API_CLASSES[info.group])(api)
    name = f"list_{_snake(kind)}_for_all_namespaces" if info.namespaced else f"list_{_snake(kind)}"
    method: Callable[..., Any] = getattr(typed, name)
    return method


def list_all(api: client.ApiClient, kinds: Iterable[str], *, page_size: int = 500) -> dict[str, int]:
    """Full paged LIST of each kind across namespaces with the typed API; objects per kind."""
    counts: dict[str, int] = {}
    for kind in kinds:
        method = _lister(api, kind)
        token: str | None = None
        count = 0
        while True:
            kwargs: dict[str, Any] = {"limit": page_size, "_preload_content": False}
            if token:
                kwargs["_continue"] = token
            page = json.loads(method(**kwargs).data)
            count += len(page["items"])
            token = page["metadata"].get("continue")
            if not token:
                break
        counts[kind] = count
    return counts


ALL_GENERATED_KINDS: tuple[str, ...] = tuple(info.kind for info in GENERATED_KINDS)


def read_fingerprint_configmap(api: client.ApiClient) -> str | None:
    try:
        cm = client.CoreV1Api(api).read_namespaced_config_map(FINGERPRINT_CONFIGMAP, FINGERPRINT_NAMESPACE)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise EnvironmentProblem(
            f"reading the fingerprint ConfigMap failed: {exc.status} {exc.reason}"
        ) from exc
    data = cm.data or {}
    digest = data.get("digest")
    return str(digest) if digest else None


def write_fingerprint_configmap(api: client.ApiClient, fingerprint_json: Mapping[str, Any]) -> None:
    """One API call replaces the whole ConfigMap: it is complete or absent, never half-written."""
    core = client.CoreV1Api(api)
    body: Any = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": FINGERPRINT_CONFIGMAP, "namespace": FINGERPRINT_NAMESPACE},
        "data": {
            "digest": str(fingerprint_json["digest"]),
            "fingerprint.json": json.dumps(fingerprint_json, sort_keys=True),
        },
    }
    try:
        core.replace_namespaced_config_map(FINGERPRINT_CONFIGMAP, FINGERPRINT_NAMESPACE, body)
    except ApiException as exc:
        if exc.status != 404:
            raise EnvironmentProblem(
                f"writing the fingerprint ConfigMap failed: {exc.status} {exc.reason}"
            ) from exc
        core.create_namespaced_config_map(FINGERPRINT_NAMESPACE, body)
