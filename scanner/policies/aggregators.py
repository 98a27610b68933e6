"""Resource aggregators: how a rule marked `resourcesAggregator` sees its input.

kubescape evaluates such rules over derived objects rather than the collected ones. Implemented:
`subject-role-rolebinding`, one object per RBAC subject (its fields as the binding names it, plus
`relatedObjects`: each binding that names it followed by the role that binding refers to), and
`apiserver-pod`, only the API server's pods (label component=kube-apiserver, or a name starting
kube-apiserver).
Pure functions over plain dicts; an unknown aggregator is reported by name, never guessed.
"""

from __future__ import annotations

from typing import Any

SUBJECT_ROLE_ROLEBINDING = "subject-role-rolebinding"
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
ROLE_KINDS = frozenset({"Role", "ClusterRole"})
APISERVER_POD = "apiserver-pod"
KNOWN = frozenset({SUBJECT_ROLE_ROLEBINDING, APISERVER_POD})


class UnknownAggregator(ValueError):
    """The rule names an aggregator this scanner does not implement."""


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _namespace(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _role_of(
    binding: dict[str, Any], roles: dict[tuple[str, str, str], dict[str, Any]]
) -> dict[str, Any] | None:
    ref = binding.get("roleRef") or {}
    if not isinstance(ref, dict):
        return None
    kind = str(ref.get("kind") or "")
    # A RoleBinding may grant a ClusterRole; a Role is always in the binding's namespace.
    namespace = _namespace(binding) if kind == "Role" else ""
    name = str(ref.get("name") or "")
    # A manifest Role written without a namespace lands in the binding's namespace when applied.
    return roles.get((kind, namespace, name)) or roles.get((kind, "", name))


def subject_role_rolebinding(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One object per subject a binding names, with each (binding, role) pair that grants it."""
    roles = {
        (str(o.get("kind")), _namespace(o) if o.get("kind") == "Role" else "", _name(o)): o
        for o in objects
        if o.get("kind") in ROLE_KINDS
    }
    subjects: dict[str, dict[str, Any]] = {}
    for binding in objects:
        if binding.get("kind") not in BINDING_KINDS:
            continue
        role = _role_of(binding, roles)
        if role is None:
            continue
        for subject in binding.get("subjects") or []:
            if not isinstance(subject, dict):
                continue
            key = repr(sorted((k, str(v)) for k, v in subject.items()))
            vector = subjects.get(key)
            if vector is None:
                vector = subjects[key] = {**subject, "relatedObjects": []}
            vector["relatedObjects"].extend([binding, role])
    return list(subjects.values())


def apiserver_pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pods that run the API server."""
    found = []
    for obj in objects:
        if obj.get("kind") != "Pod":
            continue
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if (isinstance(labels, dict) and labels.get("component") == "kube-apiserver") or _name(
            obj
        ).startswith("kube-apiserver"):
            found.append(obj)
    return found


def aggregate(name: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input a rule with aggregator `name` is evaluated on; raises UnknownAggregator."""
    if name == SUBJECT_ROLE_ROLEBINDING:
        return subject_role_rolebinding(objects)
    if name == APISERVER_POD:
        return apiserver_pods(objects)
    raise UnknownAggregator(f"resourcesAggregator {name!r} is not implemented")
