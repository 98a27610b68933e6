"""The embedded server's store and the create path's body handling, without HTTP."""

from __future__ import annotations

import json

from harness.clusters.embedded_server import Store, _utc_with_z
from harness.clusters.kubeclient import _with_owner_uids


def test_utc_offset_datetimes_are_written_with_z_and_other_strings_are_kept() -> None:
    data = (
        b'{"a":"2024-05-01T10:00:00+00:00","b":"2024-05-01T10:00:00.250+00:00",'
        b'"c":"note +00:00","d":"2024-05-01 10:00:00+00:00","e":"+00:00"}'
    )
    assert json.loads(_utc_with_z(data)) == {
        "a": "2024-05-01T10:00:00Z",
        "b": "2024-05-01T10:00:00.250Z",
        "c": "note +00:00",
        "d": "2024-05-01 10:00:00+00:00",
        "e": "+00:00",
    }
    plain = b'{"a":"2024-05-01T10:00:00Z"}'
    assert _utc_with_z(plain) is plain


def _store_with_pods(count: int) -> Store:
    store = Store()
    namespaces = store.routes[("", "v1", "namespaces")]
    store.create(namespaces, "v1", None, {"metadata": {"name": "team"}})
    pods = store.routes[("", "v1", "pods")]
    for index in range(count):
        store.create(pods, "v1", "team", {"metadata": {"name": f"p{index}"}, "spec": {}})
    return store


def test_paged_list_pages_are_json_with_every_object_once() -> None:
    store = _store_with_pods(5)
    pods = store.routes[("", "v1", "pods")]
    names, query = [], {"limit": "2"}
    while True:
        page = json.loads(store.list_page(pods, "v1", None, query))
        assert page["kind"] == "PodList" and page["apiVersion"] == "v1"
        names += [item["metadata"]["name"] for item in page["items"]]
        assert all(item["apiVersion"] == "v1" and item["kind"] == "Pod" for item in page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
        query = {"limit": "2", "continue": token}
    assert names == [f"p{index}" for index in range(5)]


def test_empty_list_is_valid_json() -> None:
    store = _store_with_pods(0)
    page = json.loads(store.list_page(store.routes[("", "v1", "pods")], "v1", "team", {"limit": "2"}))
    assert page["items"] == [] and "continue" not in page["metadata"]


def test_bodies_without_owner_references_are_sent_as_given() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "c", "uid": "u1"}}
    assert _with_owner_uids(obj, {"u1": "other"}) is obj


def test_owner_uids_are_rewritten_in_a_copy() -> None:
    obj = {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": [{"name": "rs", "uid": "old"}]}}
    sent = _with_owner_uids(obj, {"old": "new"})
    assert sent["metadata"]["ownerReferences"] == [{"name": "rs", "uid": "new"}]
    assert obj["metadata"]["ownerReferences"] == [{"name": "rs", "uid": "old"}]
