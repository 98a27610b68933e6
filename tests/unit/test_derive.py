"""Derived scenarios (`ksbench scenario derive`): the parent's objects without exactly the fields
named, fingerprinted as a scenario of their own; and parity that ignores those fields in raw
resources, and nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.exit_codes import UsageError
from harness.scenarios.derive import derive
from harness.scenarios.fingerprint import fingerprint
from harness.scenarios.format import load_scenario, scenarios_dir
from harness.scenarios.importer import import_dump
from harness.scenarios.source import scenario_objects
from scanner import parity
from scanner.reader import differences, load_findings
from scanner.unread import LAST_APPLIED, UnreadFields, prune

X1 = "managed-fields,last-applied"


def _pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "annotations": {LAST_APPLIED: "{}", "team": "a"},
            "managedFields": [{"manager": "kubectl"}],
            "ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "controller": True}],
        },
        "spec": {"containers": [{"name": "c"}]},
    }


def test_stripping_the_x1_fields_is_x1s_own_prune_and_changes_nothing_else() -> None:
    pod = _pod()
    before = copy.deepcopy(pod)
    stripped = parity.strip_fields(pod, parity.parse_strippable(X1))
    assert pod == before  # never changes its argument
    assert stripped == prune(pod, UnreadFields(True, True))
    assert "managedFields" not in stripped["metadata"]
    assert stripped["metadata"]["annotations"] == {"team": "a"}
    assert stripped["metadata"]["ownerReferences"] == pod["metadata"]["ownerReferences"]
    assert stripped["spec"] == pod["spec"]
    owners = parity.strip_fields(pod, ("owner-references",))
    assert "ownerReferences" not in owners["metadata"] and owners["metadata"]["managedFields"]


@pytest.mark.parametrize(
    ("text", "message"), [("status", "cannot strip 'status'"), (" , ", "no field to strip")]
)
def test_unknown_or_no_fields_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parity.parse_strippable(text)


def test_the_names_come_back_in_one_order_whatever_order_they_are_given_in() -> None:
    assert parity.parse_strippable("last-applied, managed-fields") == ("managed-fields", "last-applied")


def _x1_free(obj: dict[str, Any]) -> bool:
    meta = obj["metadata"]
    return "managedFields" not in meta and LAST_APPLIED not in (meta.get("annotations") or {})


def test_a_generated_scenario_derives_into_its_objects_without_the_fields(tmp_path: Path) -> None:
    result = derive("small", X1, None, tmp_path)
    assert result.scenario_file == tmp_path / "small-stripped.toml"
    derived = load_scenario(result.scenario_file)
    assert (derived.name, derived.derived_from, derived.strip) == (
        "small-stripped", "small", ("managed-fields", "last-applied"),
    )  # fmt: skip
    parent_objects = scenario_objects(load_scenario("small"))
    objects = scenario_objects(derived)
    assert any(not _x1_free(o) for o in parent_objects)  # the realistic small carries both fields
    assert all(_x1_free(o) for o in objects)
    expected = [parity.strip_fields(o, derived.strip) for o in parent_objects]
    assert objects == expected  # nothing else changed, same order
    assert result.derived.digest == fingerprint("small-stripped", objects).digest
    assert result.derived.digest != result.parent.digest
    assert result.derived.total_resources == result.parent.total_resources
    assert sum(k.json_bytes for k in result.derived.kinds) < sum(k.json_bytes for k in result.parent.kinds)
    # The parent is named by path when it is not beside the derived file.
    assert str((scenarios_dir() / "small.toml").resolve()) in result.scenario_file.read_text()


def test_an_imported_scenario_derives_too_and_derivations_stack(tmp_path: Path) -> None:
    pod = _pod()
    pod["metadata"].pop("ownerReferences")
    (tmp_path / "dump.json").write_text(json.dumps({"kind": "List", "items": [pod]}))
    imported = import_dump(tmp_path / "dump.json", "dump", tmp_path / "s", anonymise=False)
    first = derive("dump", "managed-fields", "dump-nomf", tmp_path / "s")  # by name, beside it
    assert 'derived_from = "dump"' in first.scenario_file.read_text()  # beside it: by name
    second = derive(str(first.scenario_file), "last-applied", "dump-x1", tmp_path / "s")
    x1 = load_scenario(second.scenario_file)
    assert x1.strip == ("managed-fields", "last-applied") and x1.imported == imported.objects_file
    pods = [o for o in scenario_objects(x1) if o["kind"] == "Pod"]
    assert pods == [parity.strip_fields(pod, ("managed-fields", "last-applied"))]


def test_bad_derivations_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot strip 'spec'"):
        derive("small", "spec", None, tmp_path)
    with pytest.raises(UsageError, match="a name of its own"):
        derive("small", X1, "small", tmp_path)
    with pytest.raises(UsageError, match="unknown scenario 'nope'"):
        derive("nope", X1, None, tmp_path)
    loop = tmp_path / "a.toml"
    loop.write_text('name = "a"\nderived_from = "b"\nstrip = ["last-applied"]\n')
    (tmp_path / "b.toml").write_text('name = "b"\nderived_from = "a"\nstrip = ["last-applied"]\n')
    with pytest.raises(UsageError, match="derivations deep"):
        load_scenario(loop)
    extra = tmp_path / "c.toml"
    extra.write_text('name = "c"\nderived_from = "small"\nstrip = ["last-applied"]\nseed = 3\n')
    with pytest.raises(UsageError, match="'seed': not allowed in a derived scenario"):
        load_scenario(extra)
    wrong = tmp_path / "d.toml"
    wrong.write_text('name = "d"\nderived_from = "small"\nstrip = ["status"]\n')
    with pytest.raises(UsageError, match="field 'strip': cannot strip 'status'"):
        load_scenario(wrong)


def _report(obj: dict[str, Any], status: str = "failed") -> dict[str, Any]:
    """A kubescape-shaped report of one resource: one control, the raw object."""
    rid = "/v1/ns/Pod/p"
    return {
        "summaryDetails": {"controls": {"C-0013": {"status": status}}},
        "results": [
            {
                "resourceID": rid,
                "controls": [{"controlID": "C-0013", "status": {"status": status}, "rules": []}],
            }
        ],
        "resources": [{"resourceID": rid, "object": obj}],
    }


def test_parity_across_clusters_ignores_only_the_stripped_fields_in_raw_resources(tmp_path: Path) -> None:
    fields = parity.parse_strippable(X1)
    full, stripped = tmp_path / "full.json", tmp_path / "stripped.json"
    full.write_text(json.dumps(_report(_pod())))
    stripped.write_text(json.dumps(_report(parity.strip_fields(_pod(), fields))))
    assert load_findings(full).digest() != load_findings(stripped).digest()  # the raw objects differ
    assert load_findings(full, fields).digest() == load_findings(stripped, fields).digest()
    # Any other change of a raw object still counts …
    other = _pod()
    other["metadata"]["annotations"]["team"] = "b"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(_report(parity.strip_fields(other, fields))))
    diff = differences(load_findings(full, fields), load_findings(changed, fields))
    assert diff and "annotations.team" in diff[0]
    # … and so does a finding.
    flipped = tmp_path / "flipped.json"
    flipped.write_text(json.dumps(_report(parity.strip_fields(_pod(), fields), status="passed")))
    assert load_findings(full, fields).digest() != load_findings(flipped, fields).digest()
