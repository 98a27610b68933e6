"""The generator: a Scenario → plain-dict Kubernetes objects, deterministically.

Every random choice comes from `random.Random` instances seeded with strings derived from the
scenario's seed (string seeds go through sha512, not `hash()`, so they are the same in every
process). No clock, no set or dict iteration over unordered data. Pure: no I/O.
"""

from __future__ import annotations

import base64
import copy
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.scenarios.format import MISCONFIGURATIONS, Scenario, kind_counts, misconfigured_count
from harness.scenarios.kinds import (
    KIND_BY_NAME,
    POD_SPEC_OWNERS,
    SERVED_VERSIONS_ANNOTATION,
    WIDGET,
    WIDGET_VERSIONS,
)
from harness.scenarios.realistic import make_realistic

Obj = dict[str, Any]

_EPOCH = datetime(2025, 6, 1, tzinfo=UTC)
_TEAMS = (
    "payments", "checkout", "search", "billing", "identity", "catalog", "orders", "shipping",
    "analytics", "platform", "media", "ledger", "inventory", "pricing", "support", "growth",
)  # fmt: skip
_ENVS = ("prod", "staging", "dev", "qa")
_APPS = (
    "api", "web", "worker", "gateway", "cache", "db", "queue", "scheduler", "auth", "frontend",
    "backend", "indexer", "exporter", "proxy", "notifier", "reporter",
)  # fmt: skip
_CAPABILITIES = ("SYS_ADMIN", "NET_ADMIN")
_STANDALONE_POD_SHARE = 0.1
ADMIN_ROLE = "cluster-admin"


@dataclass
class _Workload:
    obj: Obj
    namespace: str
    app: str
    pods: int = 0
    template: Obj = field(default_factory=dict)


class _Generator:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.counts = kind_counts(scenario)
        self.misconfigurations = MISCONFIGURATIONS
        self.names_used: set[tuple[str, str, str]] = set()
        self.objects: list[Obj] = []

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"ksbench:{self.scenario.seed}:{purpose}")

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    def chosen(self, misconfiguration: str, eligible: int) -> set[int]:
        """Indices of the eligible objects that carry a misconfiguration: exactly round(share × n)."""
        share = self.scenario.misconfiguration_share(misconfiguration)
        k = misconfigured_count(share, eligible)
        return set(self.rng(f"misconfig:{misconfiguration}").sample(range(eligible), k))

    # -- metadata -------------------------------------------------------------------------------

    def uid(self, rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def timestamp(self, rng: random.Random, after: str | None = None) -> str:
        if after is not None:
            base = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            moment = base + timedelta(seconds=rng.randrange(1, 3600))
        else:
            moment = _EPOCH - timedelta(seconds=rng.randrange(0, 180 * 86400))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def unique_name(self, kind: str, namespace: str, base: str) -> str:
        name, suffix = base, 1
        while (kind, namespace, name) in self.names_used:
            suffix += 1
            name = f"{base}-{suffix}"
        self.names_used.add((kind, namespace, name))
        return name

    def new(
        self,
        kind: str,
        name: str,
        rng: random.Random,
        *,
        namespace: str | None = None,
        labels: dict[str, str] | None = None,
        owner: Obj | None = None,
    ) -> Obj:
        info = WIDGET if kind == WIDGET.kind else KIND_BY_NAME[kind]
        name = self.unique_name(kind, namespace or "", name)
        meta: Obj = {"name": name, "uid": self.uid(rng)}
        if namespace is not None:
            meta["namespace"] = namespace
        meta["creationTimestamp"] = self.timestamp(
            rng, owner["metadata"]["creationTimestamp"] if owner is not None else None
        )
        if labels:
            meta["labels"] = dict(labels)
        if owner is not None:
            meta["ownerReferences"] = [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        obj: Obj = {"apiVersion": info.api_version, "kind": kind, "metadata": meta}
        self.objects.append(obj)
        return obj

    # -- the generation ---------------------------------------------------------------------------

    def run(self) -> list[Obj]:
        self.gen_namespaces()
        self.gen_nodes()
        self.gen_widgets()
        self.gen_service_accounts()
        self.gen_secrets()
        self.gen_config_maps()
        self.gen_roles()
        self.gen_bindings()
        self.gen_workloads()
        self.gen_services()
        self.gen_ingresses()
        self.gen_network_policies()
        return self.objects

    def pick_namespace(self, rng: random.Random) -> str:
        return rng.choices(self.namespace_names, weights=self.namespace_weights)[0]

    def gen_namespaces(self) -> None:
        rng = self.rng("namespaces")
        n = self.scenario.namespaces
        names = ["default", "kube-system"][:n]
        combos = [f"{team}-{env}" for env in _ENVS for team in _TEAMS]
        index = 0
        while len(names) < n:
            base = combos[index % len(combos)]
            names.append(base if index < len(combos) else f"{base}-{index // len(combos)}")
            index += 1
        self.namespace_names = names
        # Skewed sizes: a few big namespaces and a long tail, as in real clusters.
        self.namespace_weights = [rng.uniform(0.3, 1.7) ** 2 for _ in names]
        unprotected = self.chosen("unprotected_namespaces", n)
        self.protected_namespaces = [name for i, name in enumerate(names) if i not in unprotected]
        for name in names:
            team = name.split("-")[0]
            obj = self.new("Namespace", name, rng, labels={"kubernetes.io/metadata.name": name, "team": team})
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}

    def gen_nodes(self) -> None:
        rng = self.rng("nodes")
        outdated = self.chosen("outdated_kubelet", self.scenario.nodes)
        cordoned = self.chosen("cordoned_nodes", self.scenario.nodes)
        self.node_names: list[str] = []
        for i in range(self.scenario.nodes):
            name = f"node-{i:03d}"
            labels = {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": f"zone-{'abc'[i % 3]}",
            }
            if i == 0:
                labels["node-role.kubernetes.io/control-plane"] = ""
            obj = self.new("Node", name, rng, labels=labels)
            self.node_names.append(obj["metadata"]["name"])
            kubelet = "v1.19.16" if i in outdated else "v1.32.2"
            obj["spec"] = {"podCIDR": f"10.244.{i % 256}.0/24"}
            if i in cordoned:
                obj["spec"]["unschedulable"] = True
            obj["status"] = {
                "addresses": [{"type": "InternalIP", "address": f"172.18.{i // 250}.{i % 250 + 2}"}],
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": self.uid(rng),
                    "machineID": f"{rng.getrandbits(128):032x}",
                    "systemUUID": self.uid(rng),
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "kernelVersion": "6.8.0",
                    "kubeletVersion": kubelet,
                    "kubeProxyVersion": kubelet,
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04 LTS",
                },
            }

    def gen_widgets(self) -> None:
        if not self.scenario.widgets:
            return
        rng = self.rng("widgets")
        crd = self.new("CustomResourceDefinition", f"{WIDGET.plural}.{WIDGET.group}", rng)
        crd["spec"] = {
            "group": WIDGET.group,
            "names": {
                "kind": WIDGET.kind,
                "listKind": f"{WIDGET.kind}List",
                "plural": WIDGET.plural,
                "singular": WIDGET.singular,
                "shortNames": list(WIDGET.short_names),
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": version == WIDGET.version,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
                for version in WIDGET_VERSIONS
            ],
        }
        for i in range(self.scenario.widgets):
            namespace = self.pick_namespace(rng)
            obj = self.new(WIDGET.kind, f"widget-{i:03d}", rng, namespace=namespace, labels={"app": "widget"})
            obj["metadata"]["annotations"] = {SERVED_VERSIONS_ANNOTATION: ",".join(WIDGET_VERSIONS)}
            # A widget that runs privileged: a rule reading it fails, under either version.
            obj["spec"] = {"replicas": rng.randint(1, 3), "privileged": i % 2 == 0, "image": f"widget:{i}.0"}

    def gen_service_accounts(self) -> None:
        rng = self.rng("serviceaccounts")
        self.service_accounts: dict[str, list[str]] = {}
        # A "default" account in each namespace first, as the real control plane creates.
        for i in range(self.count("ServiceAccount")):
            if i < len(self.namespace_names):
                namespace, base = self.namespace_names[i], "default"
            else:
                namespace, base = self.pick_namespace(rng), f"{rng.choice(_APPS)}-sa"
            obj = self.new("ServiceAccount", base, rng, namespace=namespace)
            obj["automountServiceAccountToken"] = False
            self.service_accounts.setdefault(namespace, []).append(obj["metadata"]["name"])
        self.all_service_accounts = [
            (ns, name) for ns in self.namespace_names for name in self.service_accounts.get(ns, [])
        ]

    def gen_secrets(self) -> None:
        rng = self.rng("secrets")
        self.secrets: dict[str, list[str]] = {}
        for i in range(self.count("Secret")):
            namespace = self.pick_namespace(rng)
            app = rng.choice(_APPS)
            tls = rng.random() < 0.2
            obj = self.new(
                "Secret",
                f"{app}-{'tls' if tls else 'credentials'}",
                rng,
                namespace=namespace,
                labels={"app": app},
            )
            if tls:
                obj["type"] = "kubernetes.io/tls"
                obj["data"] = {
                    "tls.crt": _b64(
                        f"-----BEGIN CERTIFICATE-----\n{rng.getrandbits(256):064x}\n-----END CERTIFICATE-----"
                    ),
                    "tls.key": _b64(
                        f"-----BEGIN PRIVATE KEY-----\n{rng.getrandbits(256):064x}\n-----END PRIVATE KEY-----"
                    ),
                }
            else:
                obj["type"] = "Opaque"
                obj["data"] = {
                    "username": _b64(f"{app}-user-{i}"),
                    "password": _b64(f"{rng.getrandbits(96):024x}"),
                }
            self.secrets.setdefault(namespace, []).append(obj["metadata"]["name"])

    def gen_config_maps(self) -> None:
        rng = self.rng("configmaps")
        self.config_maps: dict[str, list[str]] = {}
        for _ in range(self.count("ConfigMap")):
            namespace = self.pick_namespace(rng)
            app = rng.choice(_APPS)
            obj = self.new("ConfigMap", f"{app}-config", rng, namespace=namespace, labels={"app": app})
            obj["data"] = {
                "LOG_LEVEL": rng.choice(["debug", "info", "warn"]),
                "FEATURE_FLAGS": ",".join(sorted(rng.sample(["a", "b", "c", "d", "e"], 2))),
                "app.properties": f"threads={rng.randint(1, 64)}\ntimeout={rng.randint(1, 60)}s\n",
            }
            self.config_maps.setdefault(namespace, []).append(obj["metadata"]["name"])

    def gen_roles(self) -> None:
        rng = self.rng("roles")
        n_roles, n_cluster = self.count("Role"), self.count("ClusterRole")
        # cluster-admin is the built-in wildcard role; it is not among the eligible objects.
        wildcard = self.chosen("wildcard_rbac", n_roles + max(0, n_cluster - 1))
        self.roles: dict[str, list[str]] = {}
        self.cluster_roles: list[str] = []
        for i in range(n_roles):
            namespace = self.pick_namespace(rng)
            obj = self.new("Role", f"{rng.choice(_APPS)}-role", rng, namespace=namespace)
            obj["rules"] = _wildcard_rules() if i in wildcard else _narrow_rules(rng)
            self.roles.setdefault(namespace, []).append(obj["metadata"]["name"])
        for i in range(n_cluster):
            if i == 0:
                obj = self.new(
                    "ClusterRole", ADMIN_ROLE, rng, labels={"kubernetes.io/bootstrapping": "rbac-defaults"}
                )
                obj["rules"] = [*_wildcard_rules(), {"nonResourceURLs": ["*"], "verbs": ["*"]}]
                continue
            obj = self.new("ClusterRole", f"ksbench:{rng.choice(_APPS)}-reader", rng)
            obj["rules"] = _wildcard_rules() if n_roles + i - 1 in wildcard else _narrow_rules(rng)
            self.cluster_roles.append(obj["metadata"]["name"])

    def subjects(self, rng: random.Random, namespace: str | None, *, foreign: bool) -> list[Obj]:
        local = [(namespace, name) for name in self.service_accounts.get(namespace or "", [])]
        pool = local if local and not foreign else self.all_service_accounts
        if foreign:
            pool = [sa for sa in self.all_service_accounts if sa[0] != namespace] or pool
        subjects: list[Obj] = []
        if pool:
            for ns, name in rng.sample(pool, min(len(pool), rng.randint(1, 2))):
                subjects.append({"kind": "ServiceAccount", "name": name, "namespace": ns})
        if not subjects or rng.random() < 0.2:
            subjects.append(
                {
                    "kind": "User",
                    "name": f"{rng.choice(_TEAMS)}-oncall@example.com",
                    "apiGroup": "rbac.authorization.k8s.io",
                }
            )
        return subjects

    def gen_bindings(self) -> None:
        rng = self.rng("bindings")
        n_rb, n_crb = self.count("RoleBinding"), self.count("ClusterRoleBinding")
        admin = self.chosen("cluster_admin_bindings", n_rb + n_crb)
        hub = self.namespace_names[min(2, len(self.namespace_names) - 1)]
        for i in range(n_rb):
            is_hub = i < self.scenario.hub_role_bindings
            namespace = hub if is_hub else self.pick_namespace(rng)
            obj = self.new("RoleBinding", f"{rng.choice(_APPS)}-binding", rng, namespace=namespace)
            local_roles = self.roles.get(namespace, [])
            if i in admin:
                role_ref = {"kind": "ClusterRole", "name": ADMIN_ROLE}
            elif local_roles and not is_hub and rng.random() < 0.7:
                role_ref = {"kind": "Role", "name": rng.choice(local_roles)}
            else:
                role_ref = {"kind": "ClusterRole", "name": rng.choice(self.cluster_roles or [ADMIN_ROLE])}
            obj["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", **role_ref}
            # Hub bindings grant to other namespaces' accounts: a join that crosses namespaces.
            obj["subjects"] = self.subjects(rng, namespace, foreign=is_hub or rng.random() < 0.15)
        for i in range(n_crb):
            obj = self.new("ClusterRoleBinding", f"ksbench:{rng.choice(_APPS)}-binding", rng)
            name = ADMIN_ROLE if n_rb + i in admin else rng.choice(self.cluster_roles or [ADMIN_ROLE])
            obj["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
            obj["subjects"] = self.subjects(rng, None, foreign=True)

    # -- workloads ------------------------------------------------------------------------------

    def gen_workloads(self) -> None:
        rng = self.rng("workloads")
        owners: list[_Workload] = []
        kinds = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
        for kind in kinds:
            for _ in range(self.count(kind)):
                namespace = self.pick_namespace(rng)
                app = f"{namespace.split('-')[0]}-{rng.choice(_APPS)}"
                obj = self.new(
                    kind, app, rng, namespace=namespace, labels={"app": app, "app.kubernetes.io/name": app}
                )
                obj["metadata"]["labels"] = _app_labels(obj["metadata"]["name"])
                owners.append(_Workload(obj, namespace, obj["metadata"]["name"]))
        n_pods = self.count("Pod")
        pod_owners = [w for w in owners if w.obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]
        standalone = n_pods if not pod_owners else round(n_pods * _STANDALONE_POD_SHARE)
        for i, owner in enumerate(_spread(rng, n_pods - standalone, len(pod_owners))):
            pod_owners[i].pods = owner
        standalone_pods: list[_Workload] = []
        for _ in range(standalone):
            namespace = self.pick_namespace(rng)
            app = f"{namespace.split('-')[0]}-{rng.choice(_APPS)}"
            obj = self.new(
                "Pod",
                f"{app}-debug",
                rng,
                namespace=namespace,
                labels={"app": app, "app.kubernetes.io/name": app},
            )
            obj["metadata"]["labels"] = _app_labels(obj["metadata"]["name"])
            standalone_pods.append(_Workload(obj, namespace, obj["metadata"]["name"]))
        authored = owners + standalone_pods
        flags = {
            name: self.chosen(name, len(authored))
            for name, eligible_kinds in self.misconfigurations.items()
            if eligible_kinds == POD_SPEC_OWNERS
        }
        spec_rng = self.rng("podspecs")
        for i, workload in enumerate(authored):
            on = {name for name, chosen in flags.items() if i in chosen}
            workload.template = self.pod_spec(spec_rng, workload, on)
        self.workloads_with_pods: dict[str, list[str]] = {}
        replica_sets = self.count("ReplicaSet")
        deployments = [w for w in owners if w.obj["kind"] == "Deployment"]
        extra_rs = replica_sets - len(deployments)
        old_revisions = _spread(rng, extra_rs, len(deployments)) if deployments else []
        pod_rng = self.rng("pods")
        for workload in owners:
            self.fill_workload(
                pod_rng, workload, old_revisions.pop(0) if workload.obj["kind"] == "Deployment" else 0
            )
        # ReplicaSets beyond one current + old revisions per Deployment exist only with no Deployments.
        for _ in range(extra_rs if not deployments else 0):
            namespace = self.pick_namespace(rng)
            app = f"{namespace.split('-')[0]}-{rng.choice(_APPS)}"
            rs = self.new("ReplicaSet", f"{app}-{_hash(rng)}", rng, namespace=namespace, labels={"app": app})
            rs["spec"] = {
                "replicas": 0,
                "selector": {"matchLabels": {"app": app}},
                "template": self.pod_template(
                    self.pod_spec(spec_rng, _Workload(rs, namespace, app), set()), {"app": app}
                ),
            }
            rs["status"] = {"replicas": 0}
        for workload in standalone_pods:
            workload.obj["spec"] = copy.deepcopy(workload.template)
            workload.obj["status"] = _pod_status(pod_rng, workload.template, self.node_names)
            _place(workload.obj)
            self.workloads_with_pods.setdefault(workload.namespace, []).append(workload.app)

    def pod_template(self, spec: Obj, labels: dict[str, str]) -> Obj:
        return {"metadata": {"labels": dict(labels)}, "spec": copy.deepcopy(spec)}

    def make_pods(
        self, rng: random.Random, owner: Obj, count: int, labels: dict[str, str], spec: Obj, names: list[str]
    ) -> None:
        for name in names[:count]:
            pod = self.new(
                "Pod", name, rng, namespace=owner["metadata"]["namespace"], labels=labels, owner=owner
            )
            pod["spec"] = copy.deepcopy(spec)
            pod["status"] = _pod_status(rng, spec, self.node_names)
            _place(pod)

    def fill_workload(self, rng: random.Random, workload: _Workload, old_revisions: int) -> None:
        """The workload's spec and status, and the ReplicaSets and Pods its controller would own."""
        labels = {"app": workload.app, "app.kubernetes.io/name": workload.app}
        if workload.pods:
            self.workloads_with_pods.setdefault(workload.namespace, []).append(workload.app)
        kind = workload.obj["kind"]
        if kind == "Deployment":
            self._fill_deployment(rng, workload, labels, old_revisions)
        elif kind == "StatefulSet":
            self._fill_statefulset(rng, workload, labels)
        elif kind == "DaemonSet":
            self._fill_daemonset(rng, workload, labels)
        elif kind == "Job":
            self._fill_job(rng, workload, labels)
        elif kind == "CronJob":
            self._fill_cronjob(rng, workload, labels)

    def _fill_deployment(
        self, rng: random.Random, workload: _Workload, labels: dict[str, str], old_revisions: int
    ) -> None:
        obj, app = workload.obj, workload.app
        obj["spec"] = {
            "replicas": workload.pods,
            "selector": {"matchLabels": {"app": app}},
            "strategy": {"type": "RollingUpdate"},
            "template": self.pod_template(workload.template, labels),
        }
        obj["status"] = {
            "replicas": workload.pods,
            "readyReplicas": workload.pods,
            "observedGeneration": 1,
        }
        for revision in range(old_revisions + 1):
            current = revision == old_revisions
            pod_hash = _hash(rng)
            rs_labels = {**labels, "pod-template-hash": pod_hash}
            rs = self.new(
                "ReplicaSet",
                f"{app}-{pod_hash}",
                rng,
                namespace=workload.namespace,
                labels=rs_labels,
                owner=obj,
            )
            rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": str(revision + 1)}
            replicas = workload.pods if current else 0
            rs["spec"] = {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": app, "pod-template-hash": pod_hash}},
                "template": self.pod_template(workload.template, rs_labels),
            }
            rs["status"] = {"replicas": replicas, "readyReplicas": replicas}
            if current:
                names = [f"{rs['metadata']['name']}-{_suffix(rng)}" for _ in range(replicas)]
                self.make_pods(rng, rs, replicas, rs_labels, workload.template, names)

    def _fill_statefulset(self, rng: random.Random, workload: _Workload, labels: dict[str, str]) -> None:
        obj, app = workload.obj, workload.app
        obj["spec"] = {
            "replicas": workload.pods,
            "serviceName": app,
            "selector": {"matchLabels": {"app": app}},
            "template": self.pod_template(workload.template, labels),
        }
        obj["status"] = {"replicas": workload.pods, "readyReplicas": workload.pods}
        names = [f"{app}-{i}" for i in range(workload.pods)]
        self.make_pods(rng, obj, workload.pods, labels, workload.template, names)

    def _fill_daemonset(self, rng: random.Random, workload: _Workload, labels: dict[str, str]) -> None:
        obj, app = workload.obj, workload.app
        obj["spec"] = {
            "selector": {"matchLabels": {"app": app}},
            "template": self.pod_template(workload.template, labels),
        }
        obj["status"] = {
            "desiredNumberScheduled": workload.pods,
            "numberReady": workload.pods,
            "numberMisscheduled": 0,
            "currentNumberScheduled": workload.pods,
        }
        names = [f"{app}-{_suffix(rng)}" for _ in range(workload.pods)]
        self.make_pods(rng, obj, workload.pods, labels, workload.template, names)

    def _fill_job(self, rng: random.Random, workload: _Workload, labels: dict[str, str]) -> None:
        obj, app = workload.obj, workload.app
        template = self.pod_template(workload.template, labels)
        template["spec"]["restartPolicy"] = "Never"
        obj["spec"] = {
            "backoffLimit": 3,
            "completions": max(1, workload.pods),
            "parallelism": max(1, workload.pods),
            "template": template,
        }
        obj["status"] = {"active": workload.pods}
        names = [f"{app}-{_suffix(rng)}" for _ in range(workload.pods)]
        self.make_pods(rng, obj, workload.pods, labels, template["spec"], names)

    def _fill_cronjob(self, rng: random.Random, workload: _Workload, labels: dict[str, str]) -> None:
        template = self.pod_template(workload.template, labels)
        template["spec"]["restartPolicy"] = "OnFailure"
        workload.obj["spec"] = {
            "schedule": f"{rng.randrange(60)} {rng.randrange(24)} * * *",
            "jobTemplate": {"spec": {"template": template}},
        }

    def pod_spec(self, rng: random.Random, workload: _Workload, on: set[str]) -> Obj:
        namespace, app = workload.namespace, workload.app
        containers: list[Obj] = []
        for c in range(rng.choice((1, 1, 1, 2))):
            first = c == 0
            name = "main" if first else "sidecar"
            tag = (
                "latest"
                if first and "latest_image_tag" in on
                else f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
            )
            image = f"registry.example.com/{app if first else 'envoy'}:{tag}"
            security: Obj = {
                "allowPrivilegeEscalation": first and "privileged" in on,
                "readOnlyRootFilesystem": not (first and "writable_root_fs" in on),
                "runAsNonRoot": not (first and "run_as_root" in on),
                "runAsUser": 0 if first and "run_as_root" in on else 10001,
                "capabilities": {"drop": ["ALL"]},
            }
            if first and "privileged" in on:
                security["privileged"] = True
            if first and "dangerous_capabilities" in on:
                security["capabilities"]["add"] = [rng.choice(_CAPABILITIES)]
            requests = {
                "cpu": f"{rng.choice((50, 100, 250, 500))}m",
                "memory": f"{rng.choice((64, 128, 256, 512))}Mi",
            }
            resources: Obj = {"requests": requests}
            if not (first and "no_resource_limits" in on):
                resources["limits"] = {"cpu": "1", "memory": "1Gi"}
            container: Obj = {
                "name": name,
                "image": image,
                "imagePullPolicy": "Always" if tag == "latest" else "IfNotPresent",
                "ports": [{"containerPort": 8080 if first else 15001, "protocol": "TCP"}],
                "resources": resources,
                "securityContext": security,
                "env": [{"name": "LOG_FORMAT", "value": "json"}],
            }
            if first:
                if "secrets_in_env" in on:
                    secrets = self.secrets.get(namespace, [])
                    if secrets and rng.random() < 0.5:
                        ref = {"name": rng.choice(secrets), "key": "password"}
                        container["env"].append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": ref}})
                    else:
                        container["env"].append(
                            {"name": "API_PASSWORD", "value": f"s3cr3t-{rng.getrandbits(48):012x}"}
                        )
                config_maps = self.config_maps.get(namespace, [])
                if config_maps and rng.random() < 0.5:
                    container["envFrom"] = [{"configMapRef": {"name": rng.choice(config_maps)}}]
                if "host_path_mount" in on:
                    container["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]
            containers.append(container)
        accounts = self.service_accounts.get(namespace, [])
        spec: Obj = {
            "containers": containers,
            "serviceAccountName": rng.choice(accounts) if accounts else "default",
            "automountServiceAccountToken": "automount_service_account_token" in on,
            "restartPolicy": "Always",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        }
        for flag, key in (("host_network", "hostNetwork"), ("host_pid", "hostPID"), ("host_ipc", "hostIPC")):
            if flag in on:
                spec[key] = True
        if "host_path_mount" in on:
            spec["volumes"] = [
                {"name": "host", "hostPath": {"path": rng.choice(("/", "/etc", "/var/run/docker.sock"))}}
            ]
        return spec

    # -- networking -----------------------------------------------------------------------------

    def gen_services(self) -> None:
        rng = self.rng("services")
        n = self.count("Service")
        exposed = self.chosen("exposed_services", n)
        targets = [(ns, app) for ns in self.namespace_names for app in self.workloads_with_pods.get(ns, [])]
        self.services: dict[str, list[str]] = {}
        for i in range(n):
            namespace, app = rng.choice(targets) if targets else (self.pick_namespace(rng), "nothing")
            obj = self.new("Service", app, rng, namespace=namespace, labels={"app": app})
            port: Obj = {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}
            cluster_ip = f"10.96.{i // 250 % 256}.{i % 250 + 2}"
            spec: Obj = {
                "selector": {"app": app},
                "ports": [port],
                "clusterIP": cluster_ip,
                "type": "ClusterIP",
            }
            if i in exposed:
                spec["type"] = rng.choice(("NodePort", "LoadBalancer"))
                port["nodePort"] = 30000 + i % 2768
                if spec["type"] == "LoadBalancer":
                    obj["status"] = {"loadBalancer": {"ingress": [{"ip": f"203.0.113.{i % 254 + 1}"}]}}
            obj["spec"] = spec
            self.services.setdefault(namespace, []).append(obj["metadata"]["name"])

    def gen_ingresses(self) -> None:
        rng = self.rng("ingresses")
        targets = [(ns, svc) for ns in self.namespace_names for svc in self.services.get(ns, [])]
        for _ in range(self.count("Ingress")):
            namespace, service = rng.choice(targets) if targets else (self.pick_namespace(rng), "nothing")
            obj = self.new("Ingress", service, rng, namespace=namespace, labels={"app": service})
            host = f"{service}.{namespace}.example.com"
            backend = {"service": {"name": service, "port": {"number": 80}}}
            spec: Obj = {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": host,
                        "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                    }
                ],
            }
            if rng.random() < 0.5:
                spec["tls"] = [{"hosts": [host], "secretName": f"{service}-tls"}]
            obj["spec"] = spec

    def gen_network_policies(self) -> None:
        rng = self.rng("networkpolicies")
        protected = self.protected_namespaces
        for i in range(self.count("NetworkPolicy")):
            # One default-deny per protected namespace first, so "protected" means what it says.
            if i < len(protected):
                obj = self.new("NetworkPolicy", "default-deny", rng, namespace=protected[i])
                obj["spec"] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
                continue
            namespace = rng.choice(protected)
            apps = self.workloads_with_pods.get(namespace, []) or ["nothing"]
            app = rng.choice(apps)
            obj = self.new("NetworkPolicy", f"allow-{app}", rng, namespace=namespace)
            obj["spec"] = {
                "podSelector": {"matchLabels": {"app": app}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": rng.choice(apps)}}}],
                        "ports": [{"port": 8080, "protocol": "TCP"}],
                    }
                ],
            }


def _app_labels(app: str) -> dict[str, str]:
    return {"app": app, "app.kubernetes.io/name": app}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _hash(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(10))


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))


def _spread(rng: random.Random, items: int, buckets: int) -> list[int]:
    """`items` split over `buckets` as evenly as possible, the larger shares at random positions."""
    if buckets <= 0:
        return []
    base, extra = divmod(items, buckets)
    lucky = set(rng.sample(range(buckets), extra))
    return [base + (1 if i in lucky else 0) for i in range(buckets)]


def _wildcard_rules() -> list[Obj]:
    return [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]


def _narrow_rules(rng: random.Random) -> list[Obj]:
    resources = sorted(rng.sample(["pods", "configmaps", "services", "endpoints", "events"], 2))
    return [{"apiGroups": [""], "resources": resources, "verbs": ["get", "list", "watch"]}]


def _pod_status(rng: random.Random, spec: Obj, nodes: list[str]) -> Obj:
    phase = rng.choices(("Running", "Pending", "Failed", "Succeeded"), weights=(90, 5, 3, 2))[0]
    running = phase == "Running"
    statuses = [
        {
            "name": c["name"],
            "image": c["image"],
            "imageID": f"{c['image'].rsplit(':', 1)[0]}@sha256:{rng.getrandbits(256):064x}",
            "ready": running,
            "restartCount": rng.choice((0, 0, 0, 1, 2, 7)),
            "started": running,
            "state": {"running": {"startedAt": "2025-06-01T00:00:00Z"}}
            if running
            else {"waiting": {"reason": "ContainerCreating"}},
        }
        for c in spec["containers"]
    ]
    return {
        "_node": rng.choice(nodes) if nodes else "",
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if running else "False"}],
        "containerStatuses": statuses,
        "podIP": f"10.244.{rng.randrange(256)}.{rng.randrange(2, 254)}",
        "qosClass": "Burstable",
    }


def _place(pod: Obj) -> None:
    node = pod["status"].pop("_node")
    if node:
        pod["spec"]["nodeName"] = node


_KIND_RANK = {kind: rank for rank, kind in enumerate([*KIND_BY_NAME, WIDGET.kind])}


def _creation_order(o: Obj) -> tuple[int, str, str, str]:
    # Custom resources after every built-in kind (their CRDs come early), by kind name.
    rank = _KIND_RANK.get(o["kind"], len(_KIND_RANK))
    return (
        rank,
        o["kind"] if rank == len(_KIND_RANK) else "",
        o["metadata"].get("namespace", ""),
        o["metadata"]["name"],
    )


def generate(scenario: Scenario) -> list[Obj]:
    """The scenario's objects, plain dicts; same scenario → same objects. Sorted by kind in creation order (owners first), then namespace and name.

    Compact scenarios stop at the generator's objects; the others are completed as a real API
    server returns them (realistic.py), which never changes a field the misconfigurations set.
    """
    objects = _Generator(scenario).run()
    if scenario.widgets:  # the adversarial scenario
        _non_ascii(objects)
    objects = sorted(objects, key=_creation_order)
    if scenario.compact:
        return objects
    return sorted(make_realistic(scenario, objects), key=_creation_order)


def _non_ascii(objects: list[Obj]) -> None:
    """Parity fixture: non-ASCII names, labels, annotations and data on a few objects of each kind
    (a byte-vs-character slip in keys, digests, redaction or paging then changes a finding)."""
    seen: dict[str, int] = {}
    for obj in objects:
        kind = obj["kind"]
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] > 2 or kind in ("Namespace", "Node", "CustomResourceDefinition"):
            continue
        meta = obj["metadata"]
        meta.setdefault("labels", {})["équipe"] = "données-ß"
        meta.setdefault("annotations", {})["ksbench.example.com/описание"] = "検査 — Überprüfung ✓ 🚀"
        if kind in ("ConfigMap", "Secret") and seen[kind] == 1:
            meta["name"] = f"{meta['name']}-größe-設定"
            if kind == "ConfigMap":
                obj.setdefault("data", {})["grüße.txt"] = "こんにちは, naïve café"
            else:
                obj.setdefault("data", {})["clé"] = _b64("mot de passe: ñandú-密码")
