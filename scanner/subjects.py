"""X4, beyond the plan: an RBAC join's input split into groups keyed by subject.

A rule that declares `"joinKey": "subject"` in its metadata attributes joins only along RBAC
subjects: a workload to its ServiceAccount (`spec.serviceAccountName`, else `serviceAccount`, else
`default`, in the workload's namespace; the pod template's for controllers), that ServiceAccount
object, the RoleBindings and ClusterRoleBindings naming it, and the Roles and ClusterRoles those
bindings reference. Such a rule's result for one workload (or one subject, or one binding) depends
only on the objects of its subject's group, so it can be evaluated group by group and no single
evaluation holds the whole cluster (docs/findings.md, "X4").

A group, one per subject key (a ServiceAccount, a User, a Group, or any other subject kind):
- the workloads that run as that ServiceAccount and the ServiceAccount objects of that name;
- every binding naming the subject, and for a ServiceAccount also every binding whose subject
  covers it: the groups `system:serviceaccounts`, `system:serviceaccounts:<namespace>` and
  `system:authenticated`, and the user `system:serviceaccount:<namespace>:<name>` (the name a
  ServiceAccount's token authenticates as), wherever the binding lives (a RoleBinding in one
  namespace may grant to a ServiceAccount of another: per-namespace grouping is not safe);
- every role a binding of the group references, so a binding is never without its role.
Objects that join nothing (an unreferenced role, a binding without subjects) go to one more group,
so every selected object is still evaluated and reported. Groups are packed, in key order, into
evaluations of at most `budget` objects; a group larger than that is evaluated alone.

A binding or role named by several subjects is in several groups, so it may be evaluated, and a
response about it emitted, more than once: the evaluator merges the parts of one rule and keeps
each response once (scanner.evaluate). Input this module cannot key as the Rego would (a
non-string name or namespace, a pod spec that is not an object) raises Unsplittable, and the rule
is evaluated whole. Pure: reads the live objects, evaluates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.sources.objects import ResourceID

JOIN_KEY = "subject"  # attributes.joinKey of a rule X4 may split
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
# Where each workload kind keeps its pod spec (the `workloads` helper's pod_spec).
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    **{
        kind: ("spec", "template", "spec")
        for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job")
    },
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# Groups every ServiceAccount belongs to; `system:serviceaccounts:<namespace>` covers one namespace's.
GROUPS_OF_EVERY_SERVICE_ACCOUNT = frozenset({"system:serviceaccounts", "system:authenticated"})
NAMESPACE_GROUP_PREFIX = "system:serviceaccounts:"
SERVICE_ACCOUNT_USER_PREFIX = "system:serviceaccount:"
LEFTOVER: tuple[str, ...] = ("~leftover",)  # sorts after every subject key

SubjectKey = tuple[str, ...]  # ("ServiceAccount", namespace, name), ("User", name), ("Group", name), …


class Unsplittable(ValueError):
    """Input the grouping cannot key as the rule's Rego would: evaluate the rule whole."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Unsplittable(f"{what} is not a string")
    return value


def _pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec, or None where the Rego's reference is undefined (a missing or non-object step)."""
    value: Any = obj
    for step in POD_SPEC_PATHS[str(obj.get("kind"))]:
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    if not isinstance(value, Mapping):
        raise Unsplittable(f"{obj.get('kind')} pod spec is not an object")
    return value


def workload_subject(obj: Mapping[str, Any]) -> SubjectKey | None:
    """The ServiceAccount a workload's pods run as, as the rules compute it; None without a pod spec."""
    spec = _pod_spec(obj)
    if spec is None:
        return None
    name = spec.get("serviceAccountName", spec.get("serviceAccount", "default"))
    metadata = obj.get("metadata")
    namespace = metadata.get("namespace", "default") if isinstance(metadata, Mapping) else "default"
    return ("ServiceAccount", _text(namespace, "workload namespace"), _text(name, "serviceAccountName"))


def _metadata(obj: Mapping[str, Any], field: str) -> str | None:
    metadata = obj.get("metadata")
    value = metadata.get(field) if isinstance(metadata, Mapping) else None
    return None if value is None else _text(value, f"metadata.{field}")


def role_key(obj: Mapping[str, Any]) -> tuple[str, ...] | None:
    """["ClusterRole", name] or ["Role", namespace, name], as the rbac helper keys roles."""
    name = _metadata(obj, "name")
    if name is None:
        return None
    if obj.get("kind") == "ClusterRole":
        return ("ClusterRole", name)
    namespace = _metadata(obj, "namespace")
    return None if namespace is None else ("Role", namespace, name)


def referenced_role(binding: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The role key a binding's roleRef resolves to (a Role in the binding's namespace, or a ClusterRole)."""
    ref = binding.get("roleRef")
    if not isinstance(ref, Mapping) or ref.get("name") is None:
        return None
    name = _text(ref.get("name"), "roleRef.name")
    if ref.get("kind") == "ClusterRole":
        return ("ClusterRole", name)
    namespace = _metadata(binding, "namespace")
    if ref.get("kind") == "Role" and binding.get("kind") == "RoleBinding" and namespace is not None:
        return ("Role", namespace, name)
    return None


def binding_subjects(binding: Mapping[str, Any]) -> tuple[list[SubjectKey], list[str]]:
    """(the subject keys a binding names, the groups it names): every subject form a rule may read."""
    subjects = binding.get("subjects")
    if subjects is None:
        return [], []
    if not isinstance(subjects, list):
        raise Unsplittable("binding subjects are not a list")
    keys: list[SubjectKey] = []
    groups: list[str] = []
    for subject in subjects:
        if not isinstance(subject, Mapping) or subject.get("kind") is None or subject.get("name") is None:
            continue  # the Rego's reads of it are undefined: it joins nothing
        kind = _text(subject["kind"], "subject kind")
        name = _text(subject["name"], "subject name")
        if kind == "ServiceAccount":
            default = _metadata(binding, "namespace") or ""
            keys.append((kind, _text(subject.get("namespace", default), "subject namespace"), name))
            continue
        keys.append((kind, name))
        if kind == "User" and name.startswith(SERVICE_ACCOUNT_USER_PREFIX):
            namespace, _, account = name.removeprefix(SERVICE_ACCOUNT_USER_PREFIX).partition(":")
            keys.append(("ServiceAccount", namespace, account))
        elif kind == "Group":
            groups.append(name)
    return keys, groups


def covers(group: str, account: SubjectKey) -> bool:
    """Whether a group subject includes a ServiceAccount ("ServiceAccount", namespace, name)."""
    return group in GROUPS_OF_EVERY_SERVICE_ACCOUNT or group == NAMESPACE_GROUP_PREFIX + account[1]


def subject_groups(
    ids: Sequence[ResourceID], objects: Mapping[ResourceID, Mapping[str, Any]]
) -> dict[SubjectKey, list[ResourceID]]:
    """Each subject key's group (see the module docstring), and LEFTOVER for what joins nothing.

    Members keep the order of `ids`; every id is in at least one group.
    """
    members: dict[SubjectKey, dict[ResourceID, None]] = {}
    bindings: list[tuple[ResourceID, list[SubjectKey], list[str], tuple[str, ...] | None]] = []
    roles: dict[tuple[str, ...], list[ResourceID]] = {}
    for rid in ids:
        obj = objects[rid]
        kind = obj.get("kind")
        key: SubjectKey | None = None
        if not isinstance(kind, str):
            pass  # joins nothing: left over
        elif kind in POD_SPEC_PATHS:
            key = workload_subject(obj)
        elif kind == "ServiceAccount":
            namespace, name = _metadata(obj, "namespace"), _metadata(obj, "name")
            key = None if namespace is None or name is None else ("ServiceAccount", namespace, name)
        elif kind in BINDING_KINDS:
            keys, groups = binding_subjects(obj)
            bindings.append((rid, keys, groups, referenced_role(obj)))
        elif kind in ("Role", "ClusterRole") and (found := role_key(obj)) is not None:
            roles.setdefault(found, []).append(rid)
        if key is not None:
            members.setdefault(key, {})[rid] = None
    accounts = {k for k in members if k[0] == "ServiceAccount"} | {
        k for _, keys, _, _ in bindings for k in keys if k[0] == "ServiceAccount"
    }
    for rid, keys, groups, ref in bindings:
        named = list(dict.fromkeys(keys))
        named += [account for account in sorted(accounts) if any(covers(g, account) for g in groups)]
        for key in dict.fromkeys(named):
            group = members.setdefault(key, {})
            group[rid] = None
            group.update(dict.fromkeys(roles.get(ref, []) if ref is not None else []))
    placed = {rid for group in members.values() for rid in group}
    leftover = {rid: None for rid in ids if rid not in placed}
    for rid, _, _, ref in bindings:
        if rid in leftover and ref is not None:
            leftover.update(dict.fromkeys(roles.get(ref, [])))
    if leftover:
        members[LEFTOVER] = leftover
    position = {rid: i for i, rid in enumerate(ids)}
    return {key: sorted(group, key=position.__getitem__) for key, group in sorted(members.items())}


def pack(
    groups: Mapping[SubjectKey, Sequence[ResourceID]], ids: Sequence[ResourceID], budget: int
) -> list[list[ResourceID]]:
    """Groups packed in key order into evaluations of at most `budget` distinct objects (a larger
    group alone); each evaluation's objects in the order of `ids`."""
    packs: list[dict[ResourceID, None]] = []
    current: dict[ResourceID, None] = {}
    for key in sorted(groups):
        group = groups[key]
        added = sum(1 for rid in group if rid not in current)
        if current and len(current) + added > budget:
            packs.append(current)
            current = {}
        current.update(dict.fromkeys(group))
    if current:
        packs.append(current)
    position = {rid: i for i, rid in enumerate(ids)}
    return [sorted(p, key=position.__getitem__) for p in packs]


def split_by_subject(
    ids: Sequence[ResourceID], objects: Mapping[ResourceID, Mapping[str, Any]], budget: int
) -> tuple[int, list[list[ResourceID]]]:
    """(the number of groups, the evaluations): `ids` split by subject and packed; raises Unsplittable."""
    groups = subject_groups(ids, objects)
    return len(groups), pack(groups, ids, max(1, budget))
