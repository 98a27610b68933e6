"""Property: for random small clusters with relational objects, every phase combination, worker
count, control order, batch size and large-cluster threshold reports what the baseline reports.

Clusters hold RoleBindings in one namespace that bind ClusterRoles to ServiceAccounts of other
namespaces, Services selecting pods, NetworkPolicies, cluster-scoped objects that fail rules
(wildcard ClusterRoles, old Nodes), Pods with restart counts in `status`. Batch sizes of 1–7 and
thresholds around the cluster's size exercise batching and per-namespace scopes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kube_objects import (
    EXEC_RULES,
    READ_PODS_RULES,
    WILDCARD_RULES,
    cluster_role,
    cluster_role_binding,
    deployment,
    namespace,
    network_policy,
    node,
    pod,
    role,
    role_binding,
    sa_subject,
    service,
    service_account,
)
from parity_scan import assert_parity, scan_objects

from scanner.phases import BASELINE, Phases, all_combinations

# Relational (RBAC, services, network policies, tokens), cluster-scoped and status-reading
# controls, plus a few per-object ones: enough to exercise every schedule, cheap enough for 25 examples.
CONTROLS = [
    "C-0002",
    "C-0034",
    "C-0035",
    "C-0053",
    "C-0054",
    "C-0057",
    "C-0187",
    "C-0256",
    "C-0260",
    "C-9001",
    "C-9104",
    "C-9106",
]
# The plan's 63 non-baseline combinations, and each of the 64 again with the candidates X1, X2, X4
# and X5 (each alone, X1 and X2, X1+X2+X4, all four): X3 is the Go runtime's environment, nothing the
# scan computes with. With batch sizes of 1 to 7, X4 cuts every RBAC join of a drawn cluster into
# parts and X5 every Service / NetworkPolicy join of more than one namespace.
CANDIDATE_EXTRAS = ({1}, {2}, {4}, {5}, {1, 2}, {1, 2, 4}, {1, 2, 4, 5})
CANDIDATES = [c for c in all_combinations() if c != BASELINE] + [
    Phases.of(c.plan, extras) for c in all_combinations() for extras in CANDIDATE_EXTRAS
]
ROLE_RULES = {"admin": WILDCARD_RULES, "reader": READ_PODS_RULES, "exec": EXEC_RULES}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    n_ns = draw(st.integers(1, 4))
    names = [f"ns-{i}" for i in range(n_ns)]
    objects: list[dict[str, Any]] = []
    for ns in names:
        objects.append(namespace(ns, pod_security=draw(st.booleans())))
        objects += [service_account("default", ns), service_account("runner", ns)]
        for i in range(draw(st.integers(0, 3))):
            objects.append(
                pod(
                    f"pod-{i}",
                    ns,
                    app=draw(st.sampled_from(["web", "db"])),
                    privileged=draw(st.booleans()),
                    service_account=draw(st.sampled_from(["default", "runner"])),
                    restarts=draw(st.sampled_from([0, 9])),
                )
            )
        if draw(st.booleans()):
            objects.append(
                deployment("api", ns, app="web", privileged=draw(st.booleans()), service_account="runner")
            )
        if draw(st.booleans()):
            objects.append(
                service("svc", ns, app=draw(st.sampled_from(["web", "db"])), exposed=draw(st.booleans()))
            )
        if draw(st.booleans()):
            objects.append(network_policy("deny", ns))
        if draw(st.booleans()):
            objects.append(role("local", ns, ROLE_RULES[draw(st.sampled_from(sorted(ROLE_RULES)))]))
            objects.append(role_binding("local", ns, "Role", "local", [sa_subject("default", ns)]))
    roles = draw(st.lists(st.sampled_from(sorted(ROLE_RULES)), max_size=3, unique=True))
    objects += [cluster_role(name, ROLE_RULES[name]) for name in roles]
    # Bindings in the first ("hub") namespace → ClusterRoles and other namespaces' accounts.
    for i in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(names))
        ref = draw(st.sampled_from(sorted(ROLE_RULES)))  # may name a ClusterRole that does not exist
        objects.append(
            role_binding(
                f"hub-{i}",
                names[0],
                "ClusterRole",
                ref,
                [sa_subject(draw(st.sampled_from(["default", "runner"])), target)],
            )
        )
    if draw(st.booleans()):
        objects.append(
            cluster_role_binding(
                "everyone",
                draw(st.sampled_from(sorted(ROLE_RULES))),
                [sa_subject("runner", draw(st.sampled_from(names)))],
            )
        )
    for i in range(draw(st.integers(0, 2))):
        objects.append(
            node(
                f"node-{i}", kubelet=draw(st.sampled_from(["v1.19.16", "v1.30.2"])), ready=draw(st.booleans())
            )
        )
    order = draw(st.randoms(use_true_random=False))
    order.shuffle(objects)
    return objects


@st.composite
def runs(draw: st.DrawFn, size: int) -> dict[str, Any]:
    return {
        "phases": draw(st.sampled_from(CANDIDATES)),
        "workers": draw(st.integers(1, 2)),
        "batch_size": draw(st.integers(1, 7)),
        "page_size": draw(st.integers(1, 7)),
        "control_order": f"shuffled:{draw(st.integers(0, 999))}",
        "large_cluster_size": draw(st.sampled_from([0, 1, max(size - 1, 0), size, 2500])),
    }


@SETTINGS
@given(data=st.data())
def test_random_cluster_parity_with_baseline(data: st.DataObject) -> None:
    objects = data.draw(clusters(), label="cluster")
    run = data.draw(runs(len(objects)), label="run")
    phases: Phases = run.pop("phases")
    threshold = run["large_cluster_size"]
    base = scan_objects(objects, BASELINE, controls=CONTROLS, large_cluster_size=threshold)
    got = scan_objects(objects, phases, controls=CONTROLS, **run)
    assert_parity(base, got, f"{phases} {run} over {len(objects)} objects")


@SETTINGS
@given(data=st.data())
def test_random_cluster_whole_and_per_namespace_scopes_agree(data: st.DataObject) -> None:
    """Above the threshold rules run per namespace; findings must not change, only the flag."""
    objects = data.draw(clusters(), label="cluster")
    phases = data.draw(st.sampled_from([BASELINE, *CANDIDATES]), label="phases")
    whole = scan_objects(objects, phases, controls=CONTROLS, batch_size=3)
    scoped = scan_objects(objects, phases, controls=CONTROLS, batch_size=3, large_cluster_size=0, workers=2)
    assert scoped["metadata"]["largeCluster"] is True and whole["metadata"]["largeCluster"] is False
    for report in (whole, scoped):
        report["metadata"].pop("largeCluster")
    assert_parity(whole, scoped, f"{phases}: whole cluster vs per namespace")
