"""X1: which bookkeeping fields the selected rules cannot read, and pruning them from live objects."""

from __future__ import annotations

import copy

from scanner.policies import load_library
from scanner.scan import rule_sources
from scanner.unread import LAST_APPLIED, NOTHING, UnreadFields, prune, unread_fields

OBJ = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "p",
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
        "annotations": {LAST_APPLIED: '{"kind":"Pod"}', "team": "a"},
    },
    "spec": {"containers": [{"name": "c"}]},
}


def test_our_library_reads_neither_field() -> None:
    library = load_library()
    assert unread_fields(rule_sources(library, library.select([], []))) == UnreadFields(True, True)


def test_a_rule_that_names_or_walks_a_field_keeps_it() -> None:
    plain = "package armo_builtins\ndeny[x] { x := input[_].metadata.name }"
    assert unread_fields([plain]) == UnreadFields(True, True)
    assert not unread_fields([plain, "x := obj.metadata.managedFields"]).managed_fields
    walks = unread_fields([plain, "walk(input, [p, v])"])
    assert not walks.managed_fields and not walks.last_applied
    assert not unread_fields(["a := obj.metadata.annotations[k]"]).last_applied
    assert not unread_fields(["n := count(obj.metadata.annotations)"]).last_applied
    assert not unread_fields(["ks := object.keys(obj.metadata.annotations)"]).last_applied
    assert unread_fields(['not "x" in object.keys(obj.metadata.annotations)']).last_applied
    assert unread_fields(['v := obj.metadata.annotations["team"]']).last_applied


def test_prune_copies_only_what_changes_and_leaves_the_original() -> None:
    original = copy.deepcopy(OBJ)
    pruned = prune(OBJ, UnreadFields(True, True))
    assert original == OBJ
    assert "managedFields" not in pruned["metadata"]
    assert pruned["metadata"]["annotations"] == {"team": "a"}
    assert pruned["spec"] is OBJ["spec"]
    assert prune(OBJ, NOTHING) is OBJ
    only_managed = prune(OBJ, UnreadFields(True, False))
    assert LAST_APPLIED in only_managed["metadata"]["annotations"]
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}}
    assert prune(bare, UnreadFields(True, True)) is bare
