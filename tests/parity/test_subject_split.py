"""X4: RBAC joins evaluated per subject group report exactly what one evaluation over everything does.

A hand-made cluster holds each case a grouping could get wrong: a RoleBinding in one namespace
granting to a ServiceAccount of another, a ClusterRoleBinding, a ServiceAccount no workload runs as,
group and user subjects that cover ServiceAccounts, and bindings shared by several subjects (their
responses come from several groups). A test-only rule reads those group subjects, as our own rules
do not. Batch size 1 makes every group its own evaluation. Two checks: the scan's findings equal
the baseline's, and for every split rule the merged parts give the unsplit evaluation's responses,
each exactly once.
"""

from __future__ import annotations

import collections
import dataclasses
import json
from typing import Any

import pytest
from parity_scan import assert_parity, engine, library, result_for, scan_objects

from scanner.evaluate import Evaluator, ScanOptions, merged_parts
from scanner.inventory import Inventory, MemoryRawStore
from scanner.phases import Phases
from scanner.policies import Control, Library, load_rule
from scanner.sources.objects import resource_id

GROUP_GRANT_RULE = """package armo_builtins

import data.rbac
import data.workloads

# Test rule: a workload whose ServiceAccount is granted a role through a group or user subject
# that covers it (our library's rules read only exact ServiceAccount subjects).
deny contains msga if {
	obj := input[_]
	spec := workloads.pod_spec(obj)
	namespace := object.get(obj.metadata, "namespace", "default")
	name := rbac.service_account_name(spec)
	binding := input[_]
	binding.kind in rbac.binding_kinds
	some k, s in binding.subjects
	covers(s, namespace, name)
	some role in rbac.roles_of(binding)
	msga := {
		"alertMessage": sprintf("%s: granted %s through %s", [workloads.describe(obj), role.metadata.name, s.name]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("subjects[%d]", [k])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
		"relatedObjects": [{"object": binding}, {"object": role}],
	}
}

covers(s, _, _) if {
	s.kind == "Group"
	s.name in {"system:serviceaccounts", "system:authenticated"}
}

covers(s, namespace, _) if {
	s.kind == "Group"
	s.name == concat("", ["system:serviceaccounts:", namespace])
}

covers(s, namespace, name) if {
	s.kind == "User"
	s.name == concat(":", ["system:serviceaccount", namespace, name])
}
"""
WORKLOAD_KINDS = [
    {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["Pod"]},
    {"apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["Deployment"]},
    {
        "apiGroups": ["rbac.authorization.k8s.io"],
        "apiVersions": ["v1"],
        "resources": ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
    },
]
GROUP_GRANT_CONTROL = "C-9901"
# Our rules that join through the rbac helper (one control each), and the test rule.
SPLIT_RULE_CONTROLS = (
    *("C-0002", "C-0007", "C-0015", "C-0031", "C-0034", "C-0035"),
    *("C-0053", "C-0063", "C-0188", "C-0262", "C-0265"),
    GROUP_GRANT_CONTROL,
)


@pytest.fixture(scope="module")
def split_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """Our library plus the test rule that reads group subjects, under its own control."""
    folder = tmp_path_factory.mktemp("rules") / "rule-workload-sa-group-grant"
    folder.mkdir()
    (folder / "raw.rego").write_text(GROUP_GRANT_RULE)
    metadata = {
        "name": "rule-workload-sa-group-grant",
        "match": WORKLOAD_KINDS,
        "ruleDependencies": [{"packageName": "rbac"}, {"packageName": "workloads"}],
        "ruleQuery": "armo_builtins",
        "attributes": {"relational": True, "joinKey": "subject"},
    }
    (folder / "rule.metadata.json").write_text(json.dumps(metadata))
    rule = load_rule(folder)
    base = library()
    control = Control(GROUP_GRANT_CONTROL, "group grant", (rule.name,), 5.0)
    return dataclasses.replace(
        base,
        rules={**base.rules, rule.name: rule},
        controls={**base.controls, GROUP_GRANT_CONTROL: control},
    )


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    return {"name": name} | ({} if namespace is None else {"namespace": namespace})


def _deployment(name: str, namespace: str, account: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.25"}]}
    if account:
        spec["serviceAccountName"] = account
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace),
        "spec": {"replicas": 1, "template": {"metadata": {}, "spec": spec}},
    }


def _binding(
    name: str, namespace: str | None, ref: tuple[str, str], *subjects: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": _meta(name, namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref[0], "name": ref[1]},
        "subjects": list(subjects),
    }


def _role(name: str, namespace: str | None, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role" if namespace else "ClusterRole",
        "metadata": _meta(name, namespace),
        "rules": rules,
    }


def _sa(name: str, namespace: str | None = None) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "name": name} | ({"namespace": namespace} if namespace else {})


def _named(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"}


EVERYTHING = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
SECRETS = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
EXEC = [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]


def rbac_cluster() -> list[dict[str, Any]]:
    """Every case the grouping must keep (see the module docstring), in three namespaces."""
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n)} for n in ("a", "b", "c")]
    accounts = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, ns)}
        for name, ns in (("app", "a"), ("default", "a"), ("lonely", "b"), ("app", "b"), ("ops", "c"))
    ]
    workloads = [
        _deployment("web", "a", "app"),  # granted from namespace b
        _deployment("plain", "a"),  # runs as a/default
        _deployment("api", "b", "app"),  # granted through the ClusterRoleBinding
        _deployment("batch", "c", "ops"),  # granted only through group and user subjects
    ]
    roles = [
        _role("reader", "b", SECRETS),
        _role("reader", "a", EXEC),  # same name as b/reader: a RoleBinding in b must not pick it
        _role("admin", None, EVERYTHING),
        _role("exec", None, EXEC),
        _role("unused", None, SECRETS),  # referenced by nothing
    ]
    bindings = [
        _binding("cross-ns", "b", ("Role", "reader"), _sa("app", "a")),
        _binding(
            "crb",
            None,
            ("ClusterRole", "admin"),
            _sa("app", "b"),
            _sa("lonely", "b"),
            _named("User", "alice"),
        ),
        _binding("shared", "a", ("ClusterRole", "exec"), _sa("app"), _sa("default"), _sa("app", "b")),
        _binding("all-sas", None, ("ClusterRole", "exec"), _named("Group", "system:serviceaccounts")),
        _binding("ns-c", "c", ("ClusterRole", "admin"), _named("Group", "system:serviceaccounts:c")),
        _binding("as-user", "c", ("ClusterRole", "exec"), _named("User", "system:serviceaccount:c:ops")),
        _binding("authn", None, ("ClusterRole", "admin"), _named("Group", "system:authenticated")),
        _binding("anon", None, ("ClusterRole", "exec"), _named("User", "system:anonymous"), _sa("app", "a")),
        _binding("nobody", "a", ("Role", "reader")),
    ]
    return namespaces + accounts + workloads + roles + bindings


def _id(obj: dict[str, Any]) -> str:
    return str(resource_id(obj))


def _find(kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    return next(
        o
        for o in rbac_cluster()
        if o["kind"] == kind and o["metadata"]["name"] == name and o["metadata"].get("namespace") == namespace
    )


def _rule_paths(report: dict[str, Any], obj: dict[str, Any], control_id: str) -> tuple[str, list[Any]]:
    control = result_for(report, _id(obj), control_id)
    assert control is not None, f"{_id(obj)} has no result for {control_id}"
    [rule] = control["rules"]
    return rule["status"], rule.get("relatedResourcesIDs") or []


@pytest.mark.parametrize(
    ("combo", "workers"),
    [(Phases.parse("X4"), 1), (Phases.parse("all+X4"), 2), (Phases.parse("all+X1+X2+X4"), 1)],
    ids=str,
)
def test_subject_groups_report_the_baselines_findings(
    split_library: Library, combo: Phases, workers: int
) -> None:
    objects = rbac_cluster()
    base = scan_objects(objects, "baseline", page_size=4, policy_library=split_library)
    got, state = scan_objects(
        objects,
        combo,
        page_size=4,
        batch_size=1,
        workers=workers,
        policy_library=split_library,
        with_state=True,
        audit=True,
    )
    assert_parity(base, got, f"RBAC cluster, {combo}, batch 1")
    assert (
        state.counters["subject_split_rules"] == 12
    )  # every rule that joins through rbac, and the test rule
    assert state.counters["subject_split_refused"] == 0
    assert state.audit["repeated_evaluations"] == 0  # parts are merged before recording

    # The cases are really there: each is a finding the baseline reports.
    web, api, batch = (
        _find("Deployment", "web", "a"),
        _find("Deployment", "api", "b"),
        _find("Deployment", "batch", "c"),
    )
    status, related = _rule_paths(base, web, "C-0053")
    assert status == "failed" and _id(_find("RoleBinding", "cross-ns", "b")) in related
    assert _id(_find("Role", "reader", "b")) in related and _id(_find("Role", "reader", "a")) not in related
    status, related = _rule_paths(base, api, "C-0053")
    assert status == "failed" and _id(_find("ClusterRoleBinding", "crb")) in related
    granted = _rule_paths(base, batch, GROUP_GRANT_CONTROL)[1]
    for kind, name, namespace in [
        ("ClusterRoleBinding", "all-sas", None),
        ("RoleBinding", "ns-c", "c"),
        ("RoleBinding", "as-user", "c"),
        ("ClusterRoleBinding", "authn", None),
    ]:
        assert _id(_find(kind, name, namespace)) in granted, name
    lonely = _find("ServiceAccount", "lonely", "b")
    assert _rule_paths(base, lonely, "C-0053")[0] == "passed"
    assert result_for(base, "/v1/b/ServiceAccount/lonely", "C-0035") is not None  # admin, through crb


def _inventory(objects: list[dict[str, Any]]) -> Inventory:
    inventory = Inventory(MemoryRawStore())
    for obj in objects:
        inventory.add(json.loads(json.dumps(obj)))
    return inventory


@pytest.mark.parametrize("control_id", SPLIT_RULE_CONTROLS)
def test_the_merged_parts_are_the_unsplit_evaluation_each_response_once(
    split_library: Library, control_id: str
) -> None:
    """Per rule, below the report: the multiset of responses, not only what the results table keeps."""
    inventory = _inventory(rbac_cluster())
    index = inventory.index(inventory.order)
    control = split_library.controls[control_id]

    def responses(phases: Phases) -> tuple[collections.Counter[Any], int]:
        evaluator = Evaluator(split_library, engine("regorus"), [control], ScanOptions(phases, batch_size=1))
        units = evaluator.units_for(evaluator.tasks, index, inventory, "cluster", 0)
        outcomes = list(merged_parts(evaluator.run_unit(u, inventory) for u in units))
        assert all(o.error is None for o in outcomes)
        return collections.Counter(r for o in outcomes for r in o.read_responses()), len(units)

    whole, one = responses(Phases())
    split, parts = responses(Phases.parse("X4"))
    assert one == 1 and parts > 1
    assert whole, f"{control_id} finds nothing on the RBAC cluster: the test would prove nothing"
    assert split == whole


def test_input_the_grouping_refuses_is_evaluated_whole(split_library: Library) -> None:
    objects = rbac_cluster()
    bad = _deployment("odd", "a")
    bad["spec"]["template"]["spec"]["serviceAccountName"] = 7  # not a name the grouping can key
    objects.append(bad)
    base = scan_objects(objects, "baseline", policy_library=split_library)
    got, state = scan_objects(objects, "X4", batch_size=1, policy_library=split_library, with_state=True)
    assert_parity(base, got, "RBAC cluster with an unkeyable workload, X4")
    assert state.counters["subject_split_refused"] > 0


def test_every_rule_that_joins_through_rbac_declares_the_subject_join_key() -> None:
    """A new RBAC rule must be reviewed for X4: split (joinKey) or say in its metadata why not."""
    for rule in library().rules.values():
        if "rbac" in rule.dependencies:
            assert rule.join_key == "subject", rule.name
