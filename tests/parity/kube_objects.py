"""Small hand-made Kubernetes objects for the parity tests: each builder returns a plain dict.

Every object gets a stable uid derived from its identity, so "the same object" twice is
recognisable the way a cluster makes it recognisable.
"""

from __future__ import annotations

import uuid
from typing import Any

RBAC = "rbac.authorization.k8s.io/v1"


def _meta(
    kind: str, name: str, namespace: str | None, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{namespace or ''}/{name}")),
    }
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    return meta


def namespace(name: str, *, pod_security: bool = False) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": "restricted"} if pod_security else None
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("Namespace", name, None, labels)}


def node(name: str, *, kubelet: str = "v1.30.2", ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta("Node", name, None),
        "status": {
            "nodeInfo": {"kubeletVersion": kubelet},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def container(
    *, privileged: bool = False, image: str = "registry.example.com/app:1.0", limits: bool = True
) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": "app",
        "image": image,
        "securityContext": {
            "privileged": privileged,
            "allowPrivilegeEscalation": privileged,
            "readOnlyRootFilesystem": not privileged,
            "runAsNonRoot": not privileged,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
    }
    if limits:
        c["resources"]["limits"] = {"cpu": "200m", "memory": "128Mi"}
    return c


def pod_spec(
    *, privileged: bool = False, service_account: str = "default", host_network: bool = False
) -> dict[str, Any]:
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": privileged,
        "hostNetwork": host_network,
        "containers": [container(privileged=privileged, limits=not privileged)],
    }


def pod(
    name: str,
    ns: str,
    *,
    app: str = "web",
    privileged: bool = False,
    service_account: str = "default",
    restarts: int = 0,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta("Pod", name, ns, {"app": app}),
        "spec": pod_spec(privileged=privileged, service_account=service_account),
        "status": {
            "phase": "Running",
            "containerStatuses": [{"name": "app", "restartCount": restarts, "ready": True}],
        },
    }


def deployment(
    name: str, ns: str, *, app: str = "web", privileged: bool = False, service_account: str = "default"
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("Deployment", name, ns, {"app": app}),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": pod_spec(privileged=privileged, service_account=service_account),
            },
        },
    }


def job(name: str, ns: str, *, api_version: str = "batch/v1", privileged: bool = False) -> dict[str, Any]:
    obj = {
        "apiVersion": api_version,
        "kind": "Job",
        "metadata": _meta("Job", name, ns, {"app": name}),
        "spec": {
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(privileged=privileged)}
        },
    }
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    return obj


def service(name: str, ns: str, *, app: str = "web", exposed: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("Service", name, ns),
        "spec": {
            "type": "NodePort" if exposed else "ClusterIP",
            "selector": {"app": app},
            "ports": [{"port": 80}],
        },
    }


def network_policy(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("NetworkPolicy", name, ns),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def ingress(name: str, ns: str, *, tls: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": f"{name}.example.com"}]}
    if tls:
        spec["tls"] = [{"hosts": [f"{name}.example.com"], "secretName": f"{name}-tls"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta("Ingress", name, ns),
        "spec": spec,
    }


def service_account(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("ServiceAccount", name, ns)}


def config_map(name: str, ns: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta("ConfigMap", name, ns),
        "data": data or {"mode": "fast"},
    }


WILDCARD_RULES = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
READ_PODS_RULES = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]
EXEC_RULES = [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["create", "get"]}]


def cluster_role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": _meta("ClusterRole", name, None),
        "rules": rules,
    }


def role(name: str, ns: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": RBAC, "kind": "Role", "metadata": _meta("Role", name, ns), "rules": rules}


def sa_subject(name: str, ns: str) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "name": name, "namespace": ns}


def role_binding(
    name: str, ns: str, role_kind: str, role_name: str, subjects: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": _meta("RoleBinding", name, ns),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": subjects,
    }


def cluster_role_binding(name: str, role_name: str, subjects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": _meta("ClusterRoleBinding", name, None),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
        "subjects": subjects,
    }


def rid(obj: dict[str, Any]) -> str:
    from scanner.sources.objects import resource_id

    return str(resource_id(obj))
