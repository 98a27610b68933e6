"""X5: namespace-local joins evaluated per namespace report exactly what one evaluation does.

A hand-made cluster holds each case a grouping could get wrong: a NodePort Service selecting Pods
of its own namespace beside Pods of another namespace with the same labels, a NetworkPolicy in one
namespace that must not apply to the Pods of another, a Namespace that holds nothing, a Pod without
metadata.namespace (the rules read it as "default", where a Service waits), and a namespace larger
than the batch. Batch size 2 makes nearly every namespace its own evaluation. Beside the findings,
for every split rule the merged parts must give the unsplit evaluation's responses, and which rules
declare the key is checked against clusters where a cross-namespace join would break.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import pytest
from parity_scan import assert_parity, engine, library, result_for, scan_objects
from test_subject_split import _inventory, rbac_cluster

from scanner.evaluate import Evaluator, ScanOptions, merged_parts
from scanner.phases import Phases
from scanner.policies import Library
from scanner.sources.objects import resource_id

NAMESPACE_RULE_CONTROLS = ("C-0054", "C-0256", "C-0260")
# Reviewed: each reads Services or NetworkPolicies only through the namespace of the workload (or
# the name of the Namespace) it judges, and reads no cluster-scoped object (docs/relational-rules.md).
NAMESPACE_LOCAL_RULES = frozenset(
    {
        "rule-namespace-without-network-policy",
        "rule-workload-exposed-by-service",
        "rule-workload-without-network-policy",
    }
)

# Reviewed: relational rules that must stay whole (they join across namespaces) and declare no key.
WHOLE_RULES = {
    "rule-control-plane-pod-privileged": "a Pod joins the cluster-scoped Node it runs on",
    "rule-pod-on-cordoned-node": "a Pod joins the cluster-scoped Node it runs on",
}


def _meta(name: str, namespace: str | None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return meta


def _pod(name: str, namespace: str | None, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace, labels),
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }


def _service(name: str, namespace: str, selector: dict[str, str], kind: str = "NodePort") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, namespace),
        "spec": {"type": kind, "selector": selector, "ports": [{"port": 80}]},
    }


def _policy(name: str, namespace: str, match: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(name, namespace),
        "spec": {"podSelector": {"matchLabels": match} if match else {}, "policyTypes": ["Ingress"]},
    }


def namespace_cluster() -> list[dict[str, Any]]:
    """Every case of the module docstring, in namespaces a, b, empty, big and default."""
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n, None)}
        for n in ("a", "b", "empty", "big", "default")
    ]
    web = {"app": "web"}
    return [
        *namespaces,
        _pod("web", "a", web),  # exposed by a/web-np; no policy in a
        _pod("db", "a", {"app": "db"}),
        _pod("web", "b", web),  # same labels, but a's Service must not reach it; b/all selects it
        _pod("bare", None, web),  # read as namespace "default": exposed by default/lb
        _service("web-np", "a", web),
        _service("inner", "b", web, kind="ClusterIP"),
        _service("lb", "default", web, kind="LoadBalancer"),
        _policy("all", "b", {}),  # selects every Pod of b, none of a
        _policy("only-db", "big", {"app": "db"}),
        *(_pod(f"p{i}", "big", {"app": "db" if i % 2 else "web"}) for i in range(5)),  # > batch 2
        _service("big-np", "big", {"app": "web"}),
    ]


def _id(obj: dict[str, Any]) -> str:
    return str(resource_id(obj))


def _status(report: dict[str, Any], rid: str, control_id: str) -> tuple[str, list[Any]]:
    control = result_for(report, rid, control_id)
    assert control is not None, f"{rid} has no result for {control_id}"
    [rule] = control["rules"]
    return rule["status"], rule.get("relatedResourcesIDs") or []


@pytest.mark.parametrize(
    ("combo", "workers"),
    [(Phases.parse("X5"), 1), (Phases.parse("all+X5"), 2), (Phases.parse("all+X1+X2+X4+X5"), 1)],
    ids=str,
)
def test_namespace_groups_report_the_baselines_findings(combo: Phases, workers: int) -> None:
    objects = namespace_cluster()
    base = scan_objects(objects, "baseline", page_size=4)
    got, state = scan_objects(
        objects, combo, page_size=4, batch_size=2, workers=workers, with_state=True, audit=True
    )
    assert_parity(base, got, f"namespace cluster, {combo}, batch 2")
    assert state.counters["namespace_split_rules"] == 3  # C-0054, C-0256, C-0260
    assert state.counters["namespace_split_refused"] == 0
    assert state.audit["repeated_evaluations"] == 0  # parts are merged before recording

    # The cases are really there: each is a finding the baseline reports.
    status, related = _status(base, "/v1/a/Pod/web", "C-0256")
    assert status == "failed" and related == ["/v1/a/Service/web-np"]
    assert _status(base, "/v1/b/Pod/web", "C-0256")[0] == "passed"  # a's Service does not reach b
    assert _status(base, "/v1//Pod/bare", "C-0256")[1] == ["/v1/default/Service/lb"]
    assert _status(base, "/v1/a/Pod/web", "C-0260")[0] == "failed"
    assert _status(base, "/v1/b/Pod/web", "C-0260")[0] == "passed"  # b/all applies in b only
    assert _status(base, "/v1/big/Pod/p1", "C-0260")[0] == "passed"
    assert _status(base, "/v1/big/Pod/p0", "C-0260")[0] == "failed"
    assert _status(base, "/v1//Namespace/empty", "C-0054")[0] == "failed"
    assert _status(base, "/v1//Namespace/b", "C-0054")[0] == "passed"


def _responses(
    policy_library: Library, control_id: str, objects: list[dict[str, Any]], phases: Phases
) -> tuple[collections.Counter[Any], int]:
    inventory = _inventory(objects)
    index = inventory.index(inventory.order)
    control = policy_library.controls[control_id]
    evaluator = Evaluator(policy_library, engine("regorus"), [control], ScanOptions(phases, batch_size=1))
    units = evaluator.units_for(evaluator.tasks, index, inventory, "cluster", 0)
    outcomes = list(merged_parts(evaluator.run_unit(u, inventory) for u in units))
    assert all(o.error is None for o in outcomes)
    return collections.Counter(r for o in outcomes for r in o.read_responses()), len(units)


@pytest.mark.parametrize("control_id", NAMESPACE_RULE_CONTROLS)
def test_the_merged_parts_are_the_unsplit_evaluation_each_response_once(control_id: str) -> None:
    objects = namespace_cluster()
    whole, one = _responses(library(), control_id, objects, Phases())
    split, parts = _responses(library(), control_id, objects, Phases.parse("X5"))
    assert one == 1 and parts > 1
    assert whole, f"{control_id} finds nothing on the namespace cluster: the test would prove nothing"
    assert split == whole


def test_input_the_grouping_refuses_is_evaluated_whole() -> None:
    objects = namespace_cluster()
    odd = _service("odd", "a", {"app": "web"})
    odd["metadata"]["namespace"] = 7  # not a namespace the grouping can key
    objects.append(odd)
    base = scan_objects(objects, "baseline")
    got, state = scan_objects(objects, "X5", batch_size=1, with_state=True)
    assert_parity(base, got, "namespace cluster with an unkeyable Service, X5")
    assert state.counters["namespace_split_refused"] > 0
    assert state.counters["namespace_split_rules"] == 2  # C-0054 never selects the Service


def test_every_relational_rule_is_split_by_a_reviewed_join_key() -> None:
    """A new relational rule must be reviewed: its Rego read for the key it may declare."""
    for rule in library().rules.values():
        if rule.join_key == "namespace":
            assert rule.name in NAMESPACE_LOCAL_RULES, f"{rule.name} declares a key nobody reviewed"
        elif rule.name in NAMESPACE_LOCAL_RULES:
            pytest.fail(f"{rule.name} joins within one namespace but does not declare it")
        elif rule.relational and rule.name not in WHOLE_RULES:
            assert rule.join_key == "subject", f"{rule.name}: relational without a reviewed join key"
        if rule.name in WHOLE_RULES:
            assert rule.join_key == "", f"{rule.name} crosses namespaces: {WHOLE_RULES[rule.name]}"


def _with_namespace_key(policy_library: Library) -> Library:
    """Every relational rule declaring the namespace key, reviewed or not."""
    rules = {
        name: dataclasses.replace(rule, join_key="namespace") if rule.relational else rule
        for name, rule in policy_library.rules.items()
    }
    return dataclasses.replace(policy_library, rules=rules)


def _mixed_cluster() -> list[dict[str, Any]]:
    """Both hand-made clusters: cross-namespace RBAC grants beside namespace-local joins."""
    seen: set[str] = set()
    objects = []
    for obj in namespace_cluster() + rbac_cluster():
        if _id(obj) not in seen:
            seen.add(_id(obj))
            objects.append(obj)
    return objects


def test_every_declared_rule_is_namespace_local_on_clusters_that_cross_namespaces() -> None:
    """Declaring the key on a rule that crosses namespaces changes its responses here and fails."""
    objects = _mixed_cluster()
    declared = [
        c for c in library().controls.values() if library().rules[c.rule_names[0]].join_key == "namespace"
    ]
    for control in declared:
        whole, _ = _responses(library(), control.control_id, objects, Phases())
        split, parts = _responses(library(), control.control_id, objects, Phases.parse("X5"))
        assert parts > 1 and split == whole, f"{control.control_id} joins across namespaces"
    assert {c.control_id for c in declared} == set(NAMESPACE_RULE_CONTROLS)


@pytest.mark.parametrize("control_id", ["C-0002", "C-0015", "C-0035", "C-0053", "C-0063", "C-0188"])
def test_a_rule_that_crosses_namespaces_would_be_caught_if_it_declared_the_key(control_id: str) -> None:
    """The cluster above is strong enough: an RBAC rule split by namespace loses findings on it."""
    wrong = _with_namespace_key(library())
    objects = _mixed_cluster()
    whole, _ = _responses(wrong, control_id, objects, Phases())
    split, parts = _responses(wrong, control_id, objects, Phases.parse("X5"))
    assert parts > 1 and whole and split != whole
