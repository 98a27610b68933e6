"""X4's grouping (scanner.subjects): which objects each subject's group holds, and how groups are packed."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.sources.objects import ResourceID, resource_id
from scanner.subjects import LEFTOVER, Unsplittable, pack, split_by_subject, subject_groups


def _meta(name: str, namespace: str | None) -> dict[str, Any]:
    return {"name": name} if namespace is None else {"name": name, "namespace": namespace}


def deployment(name: str, namespace: str, account: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i"}]}
    if account is not None:
        spec["serviceAccountName"] = account
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace),
        "spec": {"template": {"spec": spec}},
    }


def account(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, namespace)}


def binding(
    name: str, namespace: str | None, role: tuple[str, str], *subjects: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": _meta(name, namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role[0], "name": role[1]},
        "subjects": list(subjects),
    }


def role(name: str, namespace: str | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role" if namespace is not None else "ClusterRole",
        "metadata": _meta(name, namespace),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }


def sa_subject(name: str, namespace: str | None = None) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "name": name} | ({} if namespace is None else {"namespace": namespace})


def named(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def _index(*objects: dict[str, Any]) -> tuple[list[ResourceID], dict[ResourceID, dict[str, Any]]]:
    ids = [resource_id(o) for o in objects]
    return ids, dict(zip(ids, objects, strict=True))


def _names(group: list[ResourceID]) -> list[str]:
    return [rid.rsplit("/", 1)[1] for rid in group]


def test_a_rolebinding_in_another_namespace_joins_the_service_account_it_grants() -> None:
    ids, objects = _index(
        deployment("web", "a", "app"),
        account("app", "a"),
        binding("grant", "b", ("Role", "reader"), sa_subject("app", "a")),
        role("reader", "b"),
        role("reader", "a"),  # same name, the binding's namespace is b: not this one
    )
    groups = subject_groups(ids, objects)
    assert _names(groups[("ServiceAccount", "a", "app")]) == ["web", "app", "grant", "reader"]
    assert groups[("ServiceAccount", "a", "app")][3].startswith("rbac.authorization.k8s.io/v1/b/")
    assert _names(groups[LEFTOVER]) == ["reader"]  # the unreferenced Role a/reader is still evaluated


def test_a_service_account_subject_without_a_namespace_is_the_bindings_own() -> None:
    ids, objects = _index(
        deployment("web", "b"), binding("grant", "b", ("ClusterRole", "edit"), sa_subject("default"))
    )
    assert _names(subject_groups(ids, objects)[("ServiceAccount", "b", "default")]) == ["web", "grant"]


@pytest.mark.parametrize(
    ("subject", "covered"),
    [
        (named("Group", "system:serviceaccounts"), {"a", "b"}),
        (named("Group", "system:authenticated"), {"a", "b"}),
        (named("Group", "system:serviceaccounts:a"), {"a"}),
        (named("Group", "system:serviceaccounts:c"), set()),
        (named("User", "system:serviceaccount:b:app"), {"b"}),
        (named("Group", "developers"), set()),
    ],
)
def test_group_and_user_subjects_join_every_service_account_they_cover(
    subject: dict[str, Any], covered: set[str]
) -> None:
    ids, objects = _index(
        deployment("web", "a", "app"),
        deployment("api", "b", "app"),
        binding("wide", None, ("ClusterRole", "admin"), subject),
        role("admin"),
    )
    groups = subject_groups(ids, objects)
    for namespace in ("a", "b"):
        group = _names(groups[("ServiceAccount", namespace, "app")])
        assert ("wide" in group and "admin" in group) is (namespace in covered), namespace
    key = (subject["kind"], subject["name"])
    assert _names(groups[key]) == ["wide", "admin"]  # the subject's own group, as rules on it read it


def test_a_cluster_role_binding_joins_every_subject_it_names_with_its_cluster_role() -> None:
    ids, objects = _index(
        account("lonely", "b"),  # no workload runs as it
        binding("crb", None, ("ClusterRole", "admin"), sa_subject("lonely", "b"), named("User", "alice")),
        role("admin"),
        role("unused"),
    )
    groups = subject_groups(ids, objects)
    assert _names(groups[("ServiceAccount", "b", "lonely")]) == ["lonely", "crb", "admin"]
    assert _names(groups[("User", "alice")]) == ["crb", "admin"]
    assert _names(groups[LEFTOVER]) == ["unused"]
    assert set(ids) == {rid for group in groups.values() for rid in group}  # nothing dropped


def test_workloads_join_by_their_pod_templates_service_account_or_default() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta("nightly", "a"),
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccount": "legacy"}}}}},
    }
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta("p", "a"), "spec": {}}
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": _meta("no-spec", "a")}
    ids, objects = _index(cron, pod, bare)
    groups = subject_groups(ids, objects)
    assert _names(groups[("ServiceAccount", "a", "legacy")]) == ["nightly"]
    assert _names(groups[("ServiceAccount", "a", "default")]) == ["p"]
    assert _names(groups[LEFTOVER]) == ["no-spec"]  # no pod spec: joins nothing, still evaluated


@pytest.mark.parametrize(
    "odd",
    [
        deployment("web", "a", 7),  # type: ignore[arg-type]
        {**binding("b", "a", ("Role", "r")), "subjects": {"kind": "User"}},
        binding("b", "a", ("Role", "r"), {"kind": "User", "name": ["alice"]}),
        {"apiVersion": "v1", "kind": "Pod", "metadata": _meta("p", "a"), "spec": ["not", "an", "object"]},
    ],
    ids=["non-string account", "subjects not a list", "non-string subject name", "pod spec not an object"],
)
def test_input_the_rego_would_key_differently_is_refused(odd: dict[str, Any]) -> None:
    ids, objects = _index(odd)
    with pytest.raises(Unsplittable):
        subject_groups(ids, objects)


def test_groups_are_packed_in_key_order_up_to_the_budget_and_keep_the_input_order() -> None:
    ids = [ResourceID(f"/v1/ns/X/{n}") for n in "abcdef"]
    groups = {("k1",): [ids[4], ids[0]], ("k2",): [ids[0], ids[1]], ("k3",): ids[2:4], ("k4",): [ids[5]]}
    assert pack(groups, ids, 3) == [[ids[0], ids[1], ids[4]], [ids[2], ids[3], ids[5]]]
    assert pack(groups, ids, 1) == [[ids[0], ids[4]], [ids[0], ids[1]], ids[2:4], [ids[5]]]
    assert pack(groups, ids, 100) == [ids]


def test_split_by_subject_counts_groups_and_never_packs_below_one() -> None:
    ids, objects = _index(deployment("web", "a"), deployment("api", "b"))
    assert split_by_subject(ids, objects, 0) == (2, [[ids[0]], [ids[1]]])
