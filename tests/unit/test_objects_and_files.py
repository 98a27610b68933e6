"""Object identity and the manifest reader: IDs, duplicates, owned objects, malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.inventory import Inventory, MemoryRawStore
from scanner.sources import SourceUnavailable
from scanner.sources.files import FileSource
from scanner.sources.objects import (
    external_id,
    identity_key,
    is_valid_object,
    owned_by_controller,
    resource_id,
    with_metadata,
)


def _obj(
    api_version: str, kind: str, name: str, namespace: str | None = None, uid: str | None = None
) -> dict:
    meta: dict = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if uid:
        meta["uid"] = uid
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def test_resource_ids_follow_kubescape() -> None:
    assert resource_id(_obj("apps/v1", "Deployment", "web", "shop")) == "apps/v1/shop/Deployment/web"
    assert resource_id(_obj("v1", "Pod", "p", "d")) == "/v1/d/Pod/p"
    assert (
        resource_id(_obj("rbac.authorization.k8s.io/v1", "ClusterRole", "admin"))
        == "rbac.authorization.k8s.io/v1//ClusterRole/admin"
    )


def test_external_objects_are_named_from_the_top_or_from_metadata() -> None:
    assert external_id({"kind": "User", "name": "alice"}) == "/v1//User/alice"
    subject = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ServiceAccount",
        "name": "sa",
        "namespace": "x",
    }
    assert external_id(subject) == "rbac.authorization.k8s.io/v1/x/ServiceAccount/sa"
    host = {
        "apiVersion": "hostdata.kubescape.cloud/v1beta0",
        "kind": "KubeletInfo",
        "metadata": {"name": "node-1"},
    }
    assert external_id(host) == "hostdata.kubescape.cloud/v1beta0//KubeletInfo/node-1"
    assert external_id({"kind": "Odd", "metadata": "not a mapping", "name": "n"}) == "/v1//Odd/n"
    cloud = {"apiVersion": "c.io/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": "ns"}}
    assert external_id(cloud) == "c.io/v1/ns/Thing/t"
    assert external_id({"name": "no-kind"}) == "/v1///no-kind"
    assert external_id({"kind": "Group"}) == "/v1//Group/"


def test_ids_of_partial_objects_keep_empty_parts_empty() -> None:
    """Rules may alert on any mapping; a nameless host object has no metadata.name."""
    assert resource_id({"metadata": {"name": "x"}}) == "////x"
    nameless = {"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "KubeletInfo", "metadata": {}}
    assert resource_id(nameless) == "hostdata.kubescape.cloud/v1beta0//KubeletInfo/"


def test_identity_is_group_namespace_kind_and_name_whatever_the_uid() -> None:
    assert identity_key(_obj("apps/v1", "Deployment", "a", "ns", uid="u-1")) == "apps/ns/Deployment/a"
    assert identity_key(_obj("apps/v1", "Deployment", "a", "ns")) == "apps/ns/Deployment/a"
    # Copied manifests share a uid between distinct objects: their names keep them apart.
    assert identity_key(_obj("v1", "Pod", "a", "ns", uid="u-1")) != identity_key(
        _obj("v1", "Pod", "b", "ns", uid="u-1")
    )
    assert identity_key({"kind": "Pod", "metadata": {"name": "p"}}) == "//Pod/p"
    assert identity_key({"metadata": {}}) == "///"  # a missing kind or name is an empty part
    nameless = {"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "KubeletInfo"}
    assert identity_key(nameless) == "hostdata.kubescape.cloud//KubeletInfo/"


def test_an_api_version_or_kind_that_is_not_text_is_missing() -> None:
    assert (
        is_valid_object({"apiVersion": 5, "kind": "Pod", "metadata": {"name": "x"}}) == "missing apiVersion"
    )
    assert is_valid_object({"apiVersion": "v1", "kind": ["Pod"], "metadata": {"name": "x"}}) == "missing kind"
    assert is_valid_object({"apiVersion": "v1", "kind": "Pod", "metadata": "x"}) == "missing metadata.name"
    host = {"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "KubeletInfo"}
    assert is_valid_object(host) is None  # host objects may come without metadata
    assert is_valid_object({**host, "metadata": "x"}) == "missing metadata.name"  # but not with a broken one
    assert (
        is_valid_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "a"}})
        == "missing metadata.name"
    )
    assert is_valid_object({**host, "metadata": {}}) is None  # a host object's name may be missing


def test_only_nameless_host_objects_get_an_empty_metadata() -> None:
    host = {"apiVersion": "hostdata.kubescape.cloud/v1beta0", "kind": "KubeletInfo"}
    assert with_metadata(host) == {**host, "metadata": {"name": ""}}
    named = {**host, "metadata": {"name": "node-1"}}
    assert with_metadata(named) is named
    pod = {"apiVersion": "v1", "kind": "Pod"}
    assert with_metadata(pod) is pod


def test_one_object_under_two_versions_is_one_object() -> None:
    a = _obj("ksbench.example.com/v1", "Widget", "w", "ns", uid="u-1")
    b = _obj("ksbench.example.com/v1beta1", "Widget", "w", "ns", uid="u-1")
    assert identity_key(a) == identity_key(b)
    inventory = Inventory(MemoryRawStore())
    assert inventory.add(a) is not None
    assert inventory.add(b) is None
    assert inventory.counters.duplicates_dropped == 1


def test_controller_owned_objects_are_not_scanned_alone() -> None:
    pod = _obj("v1", "Pod", "p", "d")
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "rs", "controller": True}]
    assert owned_by_controller(pod)
    pod["metadata"]["ownerReferences"] = [{"kind": "Node", "name": "n", "controller": True}]
    assert not owned_by_controller(pod)


def test_malformed_document_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: first, namespace: d}\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [broken\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: third, namespace: d}\n"
        "---\n"
        "kind: Pod\nmetadata: {name: no-version}\n"
    )
    (tmp_path / "b.json").write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]}'
    )
    (tmp_path / "c.json").write_text("{not json")
    source = FileSource([tmp_path])
    names = [o["metadata"]["name"] for page in source.pages() for o in page.objects]
    assert names == ["first", "third", "c"]
    problems = {p.where.split("/")[-1]: p.reason for p in source.problems}
    # the unclosed flow on line 7 is noticed where its document ends: the `---` on line 8
    assert problems["a.yaml:8:1"] == "malformed YAML: did not find expected ',' or ']'", problems
    assert any("missing apiVersion" in r for r in problems.values())
    assert any(w.startswith("c.json:1:") and "malformed JSON" in r for w, r in problems.items())


def test_missing_paths_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="no such file"):
        FileSource([tmp_path / "nope"])
    with pytest.raises(SourceUnavailable, match="no manifest"):
        FileSource([tmp_path])
