"""The inventory's own units (identity, counters, the kind index, the raw stores P5/P6 read after a
release), fast enough for mutation testing."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.inventory import Inventory, MemoryRawStore, ResourceMeta, SpillRawStore, meta_of


def _obj(api_version: str, kind: str, name: str, namespace: str | None = None, **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **meta}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


SECRET_POD = _obj("v1", "Pod", "p", "ns", annotations={"note": "token-123"})
SECRET_POD["spec"] = {"containers": [{"name": "c", "env": [{"name": "PASS", "value": "hunter2"}]}]}


def test_meta_of_reads_group_kind_name_namespace_and_sorted_labels() -> None:
    deploy = _obj("apps/v1", "Deployment", "web", "prod", labels={"tier": "front", "app": "web", "n": 3})
    assert meta_of(deploy) == ResourceMeta(
        "apps", "Deployment", "web", "prod", (("app", "web"), ("n", "3"), ("tier", "front"))
    )
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1", "namespace": None, "labels": ["odd"]},
    }
    assert meta_of(node) == ResourceMeta("", "Node", "n1", "", ())
    assert meta_of(
        {"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "OsReleaseFile"}
    ) == ResourceMeta("hostdata.kubescape.cloud", "OsReleaseFile", "", "", ())


@pytest.mark.parametrize("store_type", [MemoryRawStore, SpillRawStore])
def test_raw_stores_give_back_each_object_redacted(store_type: type[MemoryRawStore | SpillRawStore]) -> None:
    store = store_type()
    other = _obj("v1", "ConfigMap", "c", "ns")
    store.put("/v1/ns/Pod/p", SECRET_POD)
    store.put("/v1/ns/ConfigMap/c", other)
    first = store.get("/v1/ns/Pod/p")
    assert first["metadata"]["annotations"] == {"note": "***"}
    assert first["spec"]["containers"][0]["env"][0] == {"name": "PASS", "value": "***"}
    assert store.get("/v1/ns/ConfigMap/c") == other
    assert store.get("/v1/ns/Pod/p") == first  # read again, in any order
    assert SECRET_POD["metadata"]["annotations"] == {"note": "token-123"}  # the delivered object is untouched
    store.close()


def test_add_counts_invalid_owned_and_duplicate_objects_and_keeps_the_rest_in_order() -> None:
    inventory = Inventory(MemoryRawStore())
    owned = _obj("v1", "Pod", "owned", "ns", ownerReferences=[{"kind": "ReplicaSet", "controller": True}])
    long_text = "x" * 100
    first = inventory.add(_obj("v1", "Pod", "b", "ns"))
    for _ in range(2):
        assert inventory.add(owned) is None
        assert inventory.add(_obj("v1", "Pod", "b", "ns")) is None  # same identity
    assert inventory.add(["not", "an", "object"]) is None
    assert inventory.add(long_text) is None
    second = inventory.add(_obj("v1", "Namespace", "a"))
    assert (first, second) == ("/v1/ns/Pod/b", "/v1//Namespace/a")
    assert inventory.order == [first, second]
    assert inventory.invalid == [
        ("['not', 'an', 'object']", "expected a mapping, got list"),
        ("x" * 80, "expected a mapping, got str"),  # an invalid object is quoted, cut to 80 characters
    ]
    c = inventory.counters
    assert (c.objects_collected, c.invalid_objects, c.owned_by_controller, c.duplicates_dropped) == (
        2,
        2,
        2,
        2,
    )
    assert (c.objects_held, c.peak_objects_held) == (2, 2)
    assert inventory.namespace_of == {first: "ns", second: ""}
    assert inventory.meta[first] == ResourceMeta("", "Pod", "b", "ns", ())


def test_a_second_copy_with_other_content_is_a_conflict_naming_both_places() -> None:
    inventory = Inventory(MemoryRawStore())
    first = inventory.add(_obj("v1", "Pod", "p", "ns", uid="u-1"), "LIST /api/v1/pods page 1")
    assert first is not None
    assert inventory.add(_obj("v1", "Pod", "p", "ns", uid="u-2"), "LIST /api/v1/pods page 2") is None
    assert inventory.counters.duplicates_dropped == 0 and list(inventory.objects) == [first]
    assert [(c.where, c.reason, c.kind, c.api_group) for c in inventory.conflicts] == [
        (
            "LIST /api/v1/pods page 2",
            "conflicting duplicate: /v1/ns/Pod/p is also at LIST /api/v1/pods page 1 with other content; "
            "controls that read Pod are skipped",
            "Pod",
            "",
        )
    ]


def test_an_identical_copy_is_dropped_quietly_under_any_api_version() -> None:
    inventory = Inventory(MemoryRawStore())
    assert inventory.add(_obj("apps/v1", "Deployment", "d", "ns", uid="u-1"), "page 1") is not None
    assert inventory.add(_obj("apps/v1beta2", "Deployment", "d", "ns", uid="u-1"), "page 2") is None
    assert inventory.counters.duplicates_dropped == 1 and inventory.conflicts == []


def test_objects_that_share_only_a_uid_stay_distinct() -> None:
    inventory = Inventory(MemoryRawStore())
    a = inventory.add(_obj("v1", "Pod", "a", "ns", uid="copied"))
    b = inventory.add(_obj("v1", "Pod", "b", "ns", uid="copied"))
    assert a is not None and b is not None and a != b
    assert inventory.conflicts == [] and inventory.counters.duplicates_dropped == 0


def test_a_nameless_host_object_gets_empty_metadata() -> None:
    inventory = Inventory(MemoryRawStore())
    rid = inventory.add({"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "OsReleaseFile"})
    assert rid == "hostdata.kubescape.cloud/v1beta0//OsReleaseFile/"
    assert inventory.objects[rid]["metadata"] == {"name": ""}


def test_the_live_form_is_what_evaluation_sees_and_the_raw_store_keeps_the_delivered_object() -> None:
    inventory = Inventory(MemoryRawStore(), live_form=lambda o: {**o, "pruned": True})
    rid = inventory.add(_obj("v1", "ConfigMap", "c", "ns"))
    assert rid is not None
    assert inventory.objects[rid]["pruned"] is True
    assert "pruned" not in dict(inventory.raw_objects([rid]))[rid]


def test_the_index_groups_ids_by_group_version_and_kind_in_order() -> None:
    inventory = Inventory(MemoryRawStore())
    ids = [
        inventory.add(_obj("apps/v1", "Deployment", "d1", "a")),
        inventory.add(_obj("v1", "Pod", "p1", "a")),
        inventory.add(_obj("apps/v1", "Deployment", "d2", "b")),
    ]
    assert inventory.index(ids) == {
        ("apps", "v1", "Deployment"): [ids[0], ids[2]],
        ("", "v1", "Pod"): [ids[1]],
    }
    assert inventory.index(ids[1:2]) == {("", "v1", "Pod"): [ids[1]]}
    assert inventory.namespaces() == ["a", "b"]


def test_release_forgets_live_objects_once_and_keeps_meta_and_raw_form() -> None:
    inventory = Inventory(SpillRawStore())
    a = inventory.add(_obj("v1", "Pod", "a", "ns"))
    b = inventory.add(_obj("v1", "Pod", "b", "ns"))
    c = inventory.add(_obj("v1", "Pod", "c", "ns"))
    inventory.release([a, b, a, "/v1/ns/Pod/unknown"])
    counters = inventory.counters
    assert (counters.objects_released, counters.objects_held, counters.peak_objects_held) == (2, 1, 3)
    assert list(inventory.objects) == [c]
    assert set(inventory.meta) == {a, b, c}
    assert [rid for rid, _ in inventory.raw_objects([b, a])] == [b, a]
    assert dict(inventory.raw_objects([a]))[a]["metadata"]["name"] == "a"
    d = inventory.add(_obj("v1", "Pod", "d", "ns"))
    assert d is not None and (counters.objects_held, counters.peak_objects_held) == (2, 3)
    inventory.raw.close()


def test_a_name_with_slashes_from_a_manifest_is_indexed_under_its_kind() -> None:
    inventory = Inventory(MemoryRawStore())
    rid = inventory.add(_obj("apps/v1", "Deployment", "team/web/v2", "ns"))
    assert rid == "apps/v1/ns/Deployment/team/web/v2"
    assert inventory.index([rid]) == {("apps", "v1", "Deployment"): [rid]}
