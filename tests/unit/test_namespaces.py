"""X5's grouping (scanner.namespaces): the namespace each object joins in, and how groups are packed."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.namespaces import namespace_groups, namespace_key, split_by_namespace_key
from scanner.sources.objects import ResourceID, resource_id
from scanner.subjects import Unsplittable


def _obj(kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    api = "networking.k8s.io/v1" if kind == "NetworkPolicy" else "v1"
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


def _index(objects: list[dict[str, Any]]) -> tuple[list[ResourceID], dict[ResourceID, dict[str, Any]]]:
    ids = [resource_id(o) for o in objects]
    return ids, dict(zip(ids, objects, strict=True))


def _names(ids: list[ResourceID], objects: dict[ResourceID, dict[str, Any]]) -> list[str]:
    return [f"{objects[i]['kind']}/{objects[i]['metadata']['name']}" for i in ids]


def test_a_namespace_joins_by_its_name_and_everything_else_by_its_namespace() -> None:
    assert namespace_key(_obj("Namespace", "shop")) == ("shop",)
    assert namespace_key(_obj("Namespace", "shop", "elsewhere")) == ("shop",)  # the name is what rules read
    assert namespace_key(_obj("Pod", "web", "shop")) == ("shop",)
    assert namespace_key(_obj("NetworkPolicy", "deny", "shop")) == ("shop",)


def test_an_object_without_a_namespace_joins_in_default_as_the_rules_read_it() -> None:
    assert namespace_key(_obj("Pod", "bare")) == ("default",)
    assert namespace_key({"kind": "Service"}) == ("default",)  # no metadata: the rules read nothing of it


@pytest.mark.parametrize(
    "odd",
    [
        {"kind": "Pod", "metadata": "not an object"},
        {"kind": "Pod", "metadata": {"name": "p", "namespace": 7}},
        {"kind": "Service", "metadata": {"name": "s", "namespace": None}},
        {"kind": "Namespace", "metadata": {"name": ["a"]}},
    ],
    ids=["metadata", "namespace-number", "namespace-null", "namespace-name-list"],
)
def test_input_the_rego_would_key_differently_is_refused(odd: dict[str, Any]) -> None:
    with pytest.raises(Unsplittable):
        namespace_key(odd)


def test_each_namespace_is_one_group_with_its_namespace_object_in_input_order() -> None:
    objects = [
        _obj("Pod", "web", "b"),
        _obj("Namespace", "a"),
        _obj("Service", "svc", "b"),
        _obj("Namespace", "empty"),
        _obj("NetworkPolicy", "deny", "a"),
        _obj("Namespace", "b"),
    ]
    ids, by_id = _index(objects)
    groups = namespace_groups(ids, by_id)
    assert list(groups) == [("a",), ("b",), ("empty",)]
    assert _names(groups[("a",)], by_id) == ["Namespace/a", "NetworkPolicy/deny"]
    assert _names(groups[("b",)], by_id) == ["Pod/web", "Service/svc", "Namespace/b"]
    assert _names(groups[("empty",)], by_id) == ["Namespace/empty"]  # an empty namespace still judged
    assert sorted(i for g in groups.values() for i in g) == sorted(ids)  # each object exactly once


def test_namespaces_are_packed_up_to_the_budget_and_a_larger_one_is_evaluated_alone() -> None:
    objects = [
        *(_obj("Pod", f"p{i}", "big") for i in range(5)),
        _obj("Pod", "x", "a"),
        _obj("Service", "s", "a"),
        _obj("Pod", "y", "c"),
    ]
    ids, by_id = _index(objects)
    groups, packs = split_by_namespace_key(ids, by_id, 3)
    assert groups == 3
    assert [_names(p, by_id) for p in packs] == [
        ["Pod/x", "Service/s"],  # a (2); big would overflow 3
        ["Pod/p0", "Pod/p1", "Pod/p2", "Pod/p3", "Pod/p4"],  # big, larger than the budget, alone
        ["Pod/y"],  # c
    ]
    assert split_by_namespace_key(ids, by_id, 0)[1] == split_by_namespace_key(ids, by_id, 1)[1]
    assert len(split_by_namespace_key(ids, by_id, 100)[1]) == 1
