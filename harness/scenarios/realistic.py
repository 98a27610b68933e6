"""Objects as a real API server returns them: the layer the realistic scenarios add to the compact objects.

The compact generator (objects.py) decides everything the rules' misconfigurations depend on;
this pass only adds what a real cluster carries beside it: API-server defaults, full status,
Helm labels, the kubectl last-applied annotation, `metadata.managedFields` per manager, pod
specs sized to the scenario's Pod sizes, Helm release Secrets, ConfigMaps and Secrets of
heavy-tailed sizes, and CRDs with their custom resources (helm.py and crds.py build those).
Deterministic: every choice comes from an RNG seeded by the scenario's seed and a purpose, or
from a hash of the object's own content, so a template and the Pods stamped from it agree.
Pure: no I/O.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.scenarios import managed_fields as mf
from harness.scenarios.crds import custom_resource_definitions, custom_resources
from harness.scenarios.format import Scenario, custom_kind_counts
from harness.scenarios.helm import (
    HELM_MANAGER,
    helm_labels,
    release_secret,
    size_config_map,
    size_secret,
)
from harness.scenarios.server_defaults import (
    default_pod_spec,
    node_defaults,
    service_defaults,
    shift,
    workload_defaults,
)

Obj = dict[str, Any]

KUBECTL = "kubectl-client-side-apply"
CONTROLLER = "kube-controller-manager"
APISERVER = "kube-apiserver"
KUBELET = "kubelet"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
# Where the user-owned content of each kind lives (what kubectl applies, what managedFields mirror).
_USER_KEYS = (
    "spec",
    "data",
    "stringData",
    "binaryData",
    "type",
    "rules",
    "roleRef",
    "subjects",
    "automountServiceAccountToken",
    "aggregationRule",
    "secrets",
    "imagePullSecrets",
)
_ENV_WORDS = (
    "CACHE",
    "QUEUE",
    "REGION",
    "TIMEOUT",
    "POOL",
    "RETRY",
    "BATCH",
    "FEATURE",
    "LIMIT",
    "WORKERS",
    "THREADS",
    "LOCALE",
    "TRACE",
    "METRICS",
    "UPSTREAM",
    "SHARD",
)


def _size(obj: Obj) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))


@dataclass
class _Meta:
    """How an object came to be: who created it (and how) and who writes its status."""

    creator: str  # kubectl | helm | kube-controller-manager | kube-apiserver | kubelet
    status_manager: str | None


class _Realism:
    def __init__(self, scenario: Scenario, objects: list[Obj]) -> None:
        self.scenario = scenario
        self.objects = objects
        self.by_uid = {o["metadata"]["uid"]: o for o in objects}
        self.meta: dict[str, _Meta] = {}
        self.node_ips = {
            o["metadata"]["name"]: o["status"]["addresses"][0]["address"]
            for o in objects
            if o["kind"] == "Node"
        }

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"ksbench:{self.scenario.seed}:realistic:{purpose}")

    def kinds(self, *kinds: str) -> Iterator[Obj]:
        return (o for o in self.objects if o["kind"] in kinds)

    def run(self) -> list[Obj]:
        self.assign_creators()
        self.add_helm_labels()
        self.add_defaults_and_status()
        self.size_pods()
        self.convert_helm_release_secrets()
        self.size_data()
        self.add_custom_resources()
        for obj in self.objects:
            self.finish(obj)
        return self.objects

    # -- who made what ----------------------------------------------------------------------------

    def assign_creators(self) -> None:
        rng = self.rng("creators")
        for obj in self.objects:
            kind, meta = obj["kind"], obj["metadata"]
            name, owned = meta["name"], bool(meta.get("ownerReferences"))
            status = {
                "Pod": KUBELET,
                "Node": KUBELET,
                "Service": CONTROLLER if "status" in obj else None,
            }.get(kind, CONTROLLER if kind in (*_WORKLOAD_KINDS, "ReplicaSet") else None)
            if kind == "Node":
                creator = KUBELET
            elif owned:
                creator = CONTROLLER
            elif (kind == "Namespace" and name in ("default", "kube-system")) or (
                kind == "ClusterRole" and name == "cluster-admin"
            ):
                creator = APISERVER
            elif kind == "ServiceAccount" and name == "default":
                creator = CONTROLLER
            elif kind == "Namespace":
                creator = "kubectl"
            elif kind == "Pod":
                creator = "kubectl"  # a standalone Pod: `kubectl apply` of a debug pod
            else:
                # Most application objects come from Helm charts, the rest from `kubectl apply`.
                creator = HELM_MANAGER if rng.random() < 0.6 else "kubectl"
            self.meta[meta["uid"]] = _Meta(creator, status)

    def authors(self) -> list[list[Obj]]:
        owned: dict[str, list[Obj]] = {}
        for obj in self.kinds("ReplicaSet", "Pod"):
            refs = obj["metadata"].get("ownerReferences") or []
            if refs:
                owned.setdefault(refs[0]["uid"], []).append(obj)
        groups = []
        for obj in self.objects:
            if obj["kind"] in _WORKLOAD_KINDS or (
                obj["kind"] == "Pod" and not obj["metadata"].get("ownerReferences")
            ):
                group, queue = [obj], [obj["metadata"]["uid"]]
                while queue:
                    children = owned.get(queue.pop(), [])
                    group += children
                    queue += [c["metadata"]["uid"] for c in children]
                groups.append(group)
        return groups

    def add_helm_labels(self) -> None:
        self.releases: list[tuple[str, str]] = []
        groups = {g[0]["metadata"]["uid"]: g for g in self.authors()}
        seen: set[tuple[str, str]] = set()
        for obj in self.objects:
            meta = obj["metadata"]
            if self.meta[meta["uid"]].creator != HELM_MANAGER:
                continue
            namespace = meta.get("namespace", "")
            release = (meta.get("labels") or {}).get("app") or meta["name"].split(".")[0].replace(":", "-")
            labels, annotations = helm_labels(release, namespace)
            meta["labels"] = {**meta.get("labels", {}), **labels}
            meta["annotations"] = {**meta.get("annotations", {}), **annotations}
            if namespace and (namespace, release) not in seen:
                seen.add((namespace, release))
                self.releases.append((namespace, release))
            pod_labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/managed-by": "Helm"}
            for member in groups.get(meta["uid"], [obj])[1:]:
                member["metadata"]["labels"] = {**member["metadata"].get("labels", {}), **pod_labels}
            for member in groups.get(meta["uid"], []):
                for template in _templates(member):
                    template["metadata"]["labels"] = {**template["metadata"].get("labels", {}), **pod_labels}

    # -- defaults and status --------------------------------------------------------------------

    def add_defaults_and_status(self) -> None:
        rng = self.rng("status")
        for obj in self.objects:
            kind, meta = obj["kind"], obj["metadata"]
            created = meta["creationTimestamp"]
            for template in _templates(obj):
                template["metadata"]["creationTimestamp"] = None
                default_pod_spec(template["spec"], template["metadata"].get("labels", {}), pod=False)
            if kind == "Pod":
                default_pod_spec(obj["spec"], meta.get("labels", {}), pod=True)
                self.pod_status(obj, rng)
            elif kind == "Node":
                node_defaults(obj, rng)
            elif kind in (*_WORKLOAD_KINDS, "ReplicaSet"):
                meta["generation"] = rng.choice((1, 1, 1, 2, 3, 5))
                workload_defaults(obj, created, meta["generation"], rng)
            elif kind == "Service":
                service_defaults(obj)
            elif kind == "Ingress":
                obj["status"] = {"loadBalancer": {"ingress": [{"ip": f"198.51.100.{rng.randrange(1, 254)}"}]}}
                self.meta[meta["uid"]].status_manager = "ingress-nginx-controller"
            elif kind == "ClusterRole" and meta["name"] == "cluster-admin":
                meta["annotations"] = {"rbac.authorization.kubernetes.io/autoupdate": "true"}

    def pod_status(self, pod: Obj, rng: random.Random) -> None:
        status, spec = pod["status"], pod["spec"]
        created = pod["metadata"]["creationTimestamp"]
        started = shift(created, rng.randrange(2, 40))
        running = status["phase"] == "Running"
        ready = "True" if running else "False"
        status["conditions"] = [
            {
                "type": "PodReadyToStartContainers",
                "status": ready,
                "lastProbeTime": None,
                "lastTransitionTime": started,
            },
            {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": started},
            {**status["conditions"][0], "lastProbeTime": None, "lastTransitionTime": started},
            {
                "type": "ContainersReady",
                "status": ready,
                "lastProbeTime": None,
                "lastTransitionTime": started,
            },
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
        ]
        host_ip = self.node_ips.get(spec.get("nodeName", ""), "172.18.0.2")
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
        status["podIPs"] = [{"ip": status["podIP"]}]
        status["startTime"] = started
        for container in status["containerStatuses"]:
            container["containerID"] = f"containerd://{rng.getrandbits(256):064x}"
            container["lastState"] = (
                {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "startedAt": created,
                        "finishedAt": started,
                        "containerID": f"containerd://{rng.getrandbits(256):064x}",
                    }
                }
                if container["restartCount"]
                else {}
            )
            if running:
                container["state"] = {"running": {"startedAt": started}}
            container["volumeMounts"] = [
                {
                    "name": m["name"],
                    "mountPath": m["mountPath"],
                    **({"readOnly": True} if m.get("readOnly") else {}),
                    **({"recursiveReadOnly": "Disabled"} if m.get("readOnly") else {}),
                }
                for c in spec["containers"]
                if c["name"] == container["name"]
                for m in c.get("volumeMounts", [])
            ]

    # -- sizes ------------------------------------------------------------------------------------

    def size_pods(self) -> None:
        """Pods to the scenario's Pod sizes: config env vars in the authoring template, so every Pod stamped from it carries them."""
        rng = self.rng("pod-sizes")
        target = self.scenario.size("Pod")
        for group in self.authors():
            pods = [o for o in group if o["kind"] == "Pod"]
            wanted = target.draw(rng)
            if not pods:
                continue
            sample = json.loads(json.dumps(pods[0]))
            self.finish(sample)
            deficit = wanted - _size(sample)
            env = _config_env(
                rng, deficit, len(sample["metadata"].get("annotations", {}).get(LAST_APPLIED, "")) > 0
            )
            if not env:
                continue
            for obj in group:
                for spec in [t["spec"] for t in _templates(obj)] + (
                    [obj["spec"]] if obj["kind"] == "Pod" else []
                ):
                    spec["containers"][0].setdefault("env", []).extend(dict(e) for e in env)

    def convert_helm_release_secrets(self) -> None:
        """A share of the Secrets no Pod or Ingress refers to become Helm release Secrets (their revisions)."""
        share = self.scenario.helm_release_share
        if not share or not self.releases:
            return
        referenced: set[tuple[str, str]] = set()
        for obj in self.objects:
            namespace = obj["metadata"].get("namespace", "")
            for spec in [t["spec"] for t in _templates(obj)] + (
                [obj["spec"]] if obj["kind"] == "Pod" else []
            ):
                for container in spec["containers"]:
                    for env in container.get("env", []):
                        ref = env.get("valueFrom", {}).get("secretKeyRef")
                        if ref:
                            referenced.add((namespace, ref["name"]))
            if obj["kind"] == "Ingress":
                referenced |= {(namespace, tls["secretName"]) for tls in obj["spec"].get("tls", [])}
        secrets = [
            s
            for s in self.kinds("Secret")
            if (s["metadata"]["namespace"], s["metadata"]["name"]) not in referenced
        ]
        total = sum(1 for _ in self.kinds("Secret"))
        rng = self.rng("helm-releases")
        chosen = sorted(rng.sample(range(len(secrets)), min(len(secrets), round(share * total))))
        revisions: dict[tuple[str, str], int] = {}
        plan = []
        for i in chosen:
            # Releases get revisions unevenly: most a few, some many (Helm keeps ten by default).
            chosen_release = self.releases[
                min(len(self.releases) - 1, int(rng.paretovariate(1.2)) - 1)
                if rng.random() < 0.3
                else rng.randrange(len(self.releases))
            ]
            revisions[chosen_release] = revisions.get(chosen_release, 0) + 1
            plan.append((secrets[i], chosen_release, revisions[chosen_release]))
        size = self.scenario.size("HelmReleaseSecret")
        for secret, (namespace, release), revision in plan:
            latest = revision == revisions[(namespace, release)]
            release_secret(secret, namespace, release, revision, latest, size.draw(rng), rng)
            self.meta[secret["metadata"]["uid"]].creator = HELM_MANAGER

    def size_data(self) -> None:
        """ConfigMaps and Secrets to heavy-tailed sizes; a kubectl-applied one carries its data twice."""
        rng = self.rng("data-sizes")
        for obj in self.objects:
            fill: Callable[[Obj, int, random.Random], None]
            if obj["kind"] == "ConfigMap":
                fill = size_config_map
            elif obj["kind"] == "Secret" and obj.get("type") != "helm.sh/release.v1":
                fill = size_secret
            else:
                continue
            info = self.meta[obj["metadata"]["uid"]]
            wanted = self.scenario.size("Secret" if obj["kind"] == "Secret" else "ConfigMap").draw(rng)
            sample = json.loads(json.dumps(obj))
            self.finish(sample)
            deficit = wanted - _size(sample)
            if info.creator == "kubectl":
                # The last-applied annotation holds at most 256 KiB: big configs come from charts.
                if deficit > 240_000:
                    info.creator = HELM_MANAGER
                else:
                    deficit //= 2
            fill(obj, deficit, rng)

    def add_custom_resources(self) -> None:
        if not self.scenario.crds:
            return
        rng = self.rng("crds")
        namespaces = [o["metadata"]["name"] for o in self.kinds("Namespace")]
        created = next(o for o in self.objects if o["kind"] == "Namespace")["metadata"]["creationTimestamp"]
        crds = custom_resource_definitions(
            self.scenario.crds, self.scenario.size("CustomResourceDefinition"), rng, created
        )
        resources = custom_resources(custom_kind_counts(self.scenario), namespaces, rng, created)
        for obj in crds:
            self.meta[obj["metadata"]["uid"]] = _Meta(HELM_MANAGER, APISERVER)
        for obj in resources:
            creator = HELM_MANAGER if rng.random() < 0.5 else "kubectl"
            self.meta[obj["metadata"]["uid"]] = _Meta(creator, obj["kind"].lower() + "-operator")
        self.objects += crds + resources

    # -- the creator's record: last-applied and managedFields -------------------------------------

    def finish(self, obj: Obj) -> None:
        meta = obj["metadata"]
        info = self.meta[meta["uid"]]
        created = meta["creationTimestamp"]
        user = {key: obj[key] for key in _USER_KEYS if key in obj}
        manager = KUBECTL if info.creator == "kubectl" else info.creator
        if info.creator == "kubectl":
            annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
            applied: Obj = {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "metadata": {
                    **({"annotations": annotations} if annotations else {}),
                    **({"labels": meta["labels"]} if meta.get("labels") else {}),
                    "name": meta["name"],
                    **({"namespace": meta["namespace"]} if "namespace" in meta else {}),
                },
            }
            applied.update(_without_defaults(user))
            meta["annotations"] = {
                **annotations,
                LAST_APPLIED: json.dumps(applied, sort_keys=True, separators=(",", ":")) + "\n",
            }
        owned_meta = {
            key: meta[key]
            for key in ("labels", "annotations", "ownerReferences", "finalizers")
            if meta.get(key)
        }
        entries = [
            mf.entry(
                manager, obj["apiVersion"], {"metadata": owned_meta, **user} if owned_meta else user, created
            )
        ]
        if info.status_manager and obj.get("status"):
            entries.append(
                mf.entry(
                    info.status_manager,
                    obj["apiVersion"],
                    {"status": obj["status"]},
                    shift(created, 60),
                    subresource="status",
                )
            )
        if obj["kind"] == "Node":
            entries.append(mf.entry(CONTROLLER, obj["apiVersion"], {"spec": obj.get("spec", {})}, created))
        meta["managedFields"] = entries


def _without_defaults(user: Obj) -> Obj:
    """What the user applied: the content minus the API server's defaults (status was never applied)."""
    spec = user.get("spec")
    if not isinstance(spec, dict):
        return user
    trimmed = dict(spec)
    for key in (
        "progressDeadlineSeconds",
        "revisionHistoryLimit",
        "podManagementPolicy",
        "sessionAffinity",
        "internalTrafficPolicy",
        "ipFamilies",
        "ipFamilyPolicy",
        "clusterIP",
        "clusterIPs",
    ):
        trimmed.pop(key, None)
    return {**user, "spec": trimmed}


def _templates(obj: Obj) -> list[Obj]:
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]]
    if "template" in spec and obj["kind"] != "Pod":
        return [spec["template"]]
    return []


def _config_env(rng: random.Random, deficit: int, applied: bool) -> list[Obj]:
    """Config env vars worth about `deficit` bytes of the Pod (its spec and managedFields entries)."""
    env: list[Obj] = []
    spent = 0
    while spent < deficit:
        name = f"{rng.choice(_ENV_WORDS)}_{rng.choice(_ENV_WORDS)}_{len(env):02d}"
        value = rng.randbytes(rng.randrange(4, 40)).hex()
        env.append({"name": name, "value": value})
        spent += 2 * len(name) + len(value) + 90 + (len(name) + len(value) + 30 if applied else 0)
    return env


def make_realistic(scenario: Scenario, objects: list[Obj]) -> list[Obj]:
    """The compact objects, completed in place as a real API server would return them (plus the extra objects)."""
    return _Realism(scenario, objects).run()
