"""Object identity: kubescape-style resource IDs, identity and content of copies, controller-owned objects.

Pure functions over plain dicts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NewType

ResourceID = NewType("ResourceID", str)
# Objects owned by one of these are scanned through their owner, like kubescape does.
WORKLOAD_CONTROLLERS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"})
# API groups of the host-sensor and cloud objects kubescape's rules read through `dynamicMatch`.
# They are not API-server objects and often carry no metadata.name (a cluster has one
# ClusterDescribe): such an object's identity is its group, version and kind with an empty name.
HOST_AND_CLOUD_API_GROUPS = frozenset(
    {
        "hostdata.kubescape.cloud",
        "apiserverinfo.kubescape.cloud",
        "container.googleapis.com",
        "eks.amazonaws.com",
        "management.azure.com",
        "armo.vuln.images",
        "image.vulnscan.com",
    }
)


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` → ("apps", "v1"); `v1` → ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def resource_id(obj: dict[str, Any]) -> ResourceID:
    """`group/version/namespace/kind/name`, as kubescape writes it (empty parts stay empty)."""
    group, version = split_api_version(str(obj.get("apiVersion", "")))
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return ResourceID(f"{group}/{version}/{namespace}/{obj.get('kind', '')}/{meta.get('name', '')}")


def external_id(subject: dict[str, Any]) -> ResourceID:
    """ID of an object a rule reports under externalObjects.

    A subject (User, Group, ServiceAccount) carries `name` and `namespace` at the top; a
    host-sensor or cloud object carries them under `metadata`: either is read.
    """
    raw_meta = subject.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    group, version = split_api_version(str(subject.get("apiVersion", "") or "v1"))
    namespace = subject.get("namespace") or meta.get("namespace") or ""
    name = subject.get("name") or meta.get("name") or ""
    return ResourceID(f"{group}/{version}/{namespace}/{subject.get('kind', '')}/{name}")


def with_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """A host-sensor or cloud object without metadata gets `metadata: {name: ""}`, as kubescape's
    object envelope gives it, so rules that copy `obj.metadata` into their alert still match."""
    if "metadata" in obj or not may_be_nameless(obj):
        return obj
    return {**obj, "metadata": {"name": ""}}


def may_be_nameless(obj: dict[str, Any]) -> bool:
    """Host-sensor and cloud objects are accepted without metadata.name."""
    return split_api_version(str(obj.get("apiVersion", "")))[0] in HOST_AND_CLOUD_API_GROUPS


def identity_key(obj: dict[str, Any]) -> str:
    """What makes two collected objects the same object: group/namespace/kind/name.

    The API version is left out on purpose: one object served under two versions is one object.
    The uid is left out too: kubescape keeps objects by name, and copied manifests (its own rule
    tests have them) give one uid to distinct objects, which stay distinct.
    """
    meta = obj.get("metadata") or {}
    group, _ = split_api_version(str(obj.get("apiVersion", "")))
    return f"{group}/{meta.get('namespace') or ''}/{obj.get('kind', '')}/{meta.get('name', '')}"


def content_digest(obj: dict[str, Any]) -> bytes:
    """What two copies of one identity must share to be one object: everything but the API version.

    Key order does not count (the same manifest written by hand or by a tool is one object).
    """
    content = {key: value for key, value in obj.items() if key != "apiVersion"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def owned_by_controller(obj: dict[str, Any]) -> bool:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") in WORKLOAD_CONTROLLERS:
            return True
    return False


def namespace_of(obj: dict[str, Any]) -> str:
    """The namespace an object lives in; "" for cluster-scoped objects."""
    return str((obj.get("metadata") or {}).get("namespace") or "")


def is_valid_object(obj: Any) -> str | None:
    """Why `obj` is not a Kubernetes object, or None when it is one."""
    if not isinstance(obj, dict):
        return f"expected a mapping, got {type(obj).__name__}"
    if not obj.get("apiVersion") or not isinstance(obj.get("apiVersion"), str):
        return "missing apiVersion"
    if not obj.get("kind") or not isinstance(obj.get("kind"), str):
        return "missing kind"
    meta = obj.get("metadata")
    if meta is None and may_be_nameless(obj):
        return None
    if not isinstance(meta, dict):
        return "missing metadata.name"
    if not meta.get("name") and not may_be_nameless(obj):
        return "missing metadata.name"
    return None
