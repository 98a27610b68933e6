"""One focused test per class of bug upstream shipped (listed in docs/parity.md), each against the protection
in the scanner that prevents it. Every test states what it expects in absolute terms (not only
"same as baseline"), so it also fails when the baseline itself loses the protection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kube_objects import (
    EXEC_RULES,
    READ_PODS_RULES,
    WILDCARD_RULES,
    cluster_role,
    cluster_role_binding,
    deployment,
    ingress,
    job,
    namespace,
    network_policy,
    node,
    pod,
    rid,
    role_binding,
    sa_subject,
    service,
    service_account,
)
from parity_scan import (
    ListSource,
    assert_parity,
    engine,
    result_for,
    scan_objects,
    scan_paths,
    scan_source,
)

from harness.scenarios.format import load_scenario
from scanner.engine import DENY_QUERY
from scanner.engine.cache import RuleCompiler
from scanner.exceptions import load_exceptions
from scanner.phases import ALL, BASELINE, Phases, key_combinations
from scanner.policies import load_library
from scanner.sources import SourceProblem

# Streaming and release in every shape that matters, plus everything on and everything off.
RISKY = [Phases.parse(p) for p in ("5", "6", "5,6", "4,5", "1,4", "1,2,3,4,6", "all")]


def _statuses(report: dict[str, Any], control_id: str) -> dict[str, str]:
    return {
        r["resourceID"]: c["status"]["status"]
        for r in report["results"]
        for c in r["controls"]
        if c["controlID"] == control_id
    }


def _over_combinations(objects: list[dict[str, Any]], combos: list[Phases], **kw: Any) -> dict[str, Any]:
    """Scan with baseline, then every combo with 1 and 2 workers and a shuffled order; all must agree."""
    base = scan_objects(objects, BASELINE, **kw)
    for i, combo in enumerate(combos):
        for workers in (1, 2):
            got = scan_objects(objects, combo, workers=workers, control_order=f"shuffled:{i}", **kw)
            assert_parity(base, got, f"{combo} workers={workers} {kw}")
    return base


# -- P1: compile-cache keys -------------------------------------------------------------------

RULE_A = 'package armo_builtins\ndeny contains {"alertMessage": "A", "alertObject": {"k8sApiObjects": [o]}} if { some o in input; o.kind == "Pod" }\n'
RULE_B = 'package armo_builtins\ndeny contains {"alertMessage": "B", "alertObject": {"k8sApiObjects": [o]}} if { some o in input; o.kind == "Node" }\n'


@pytest.mark.parametrize("engine_name", ["regorus", "opa"])
def test_compile_cache_same_rule_name_different_source(engine_name: str) -> None:
    compiler = RuleCompiler(engine(engine_name), cache_enabled=True)
    objects = [pod("p", "ns"), node("n")]
    a = compiler.get("rule", {"rule/raw.rego": RULE_A}, {}, DENY_QUERY).evaluate(objects)
    b = compiler.get("rule", {"rule/raw.rego": RULE_B}, {}, DENY_QUERY).evaluate(objects)
    assert [r["alertMessage"] for r in a.responses] == ["A"]
    assert [r["alertMessage"] for r in b.responses] == ["B"], (
        "same rule name, other source: served the cached A"
    )
    assert compiler.compilations == 2 and compiler.cache_hits == 0
    compiler.get("rule", {"rule/raw.rego": RULE_A}, {}, DENY_QUERY)
    assert compiler.cache_hits == 1
    compiler.close()


def test_compile_cache_enumerator_and_main_rule_and_data_kept_apart() -> None:
    compiler = RuleCompiler(engine("regorus"), cache_enabled=True)
    objects = [pod("p", "ns"), node("n")]
    main = compiler.get("rule", {"rule/raw.rego": RULE_A}, {}, DENY_QUERY)
    enumerator = compiler.get("rule#filter", {"rule/filter.rego": RULE_B}, {}, DENY_QUERY)
    assert main is not enumerator
    assert [r["alertMessage"] for r in enumerator.evaluate(objects).responses] == ["B"]
    with_data = compiler.get(
        "rule", {"rule/raw.rego": RULE_A}, {"postureControlInputs": {"x": 1}}, DENY_QUERY
    )
    assert with_data is not main, "other data (a control's fixedInput) must not share a compiled rule"
    compiler.close()


def _library_with_collisions(tmp_path: Path) -> Path:
    """Our library plus: one rule used by two controls with different fixedInput, and a rule
    with a resource enumerator (filter.rego) whose source differs from raw.rego."""
    import shutil

    root = tmp_path / "library"
    shutil.copytree(load_library().root, root)
    rule_dir = root / "rules" / "probe-input-threshold"
    rule_dir.mkdir()
    (rule_dir / "raw.rego").write_text(
        "package armo_builtins\n"
        "deny contains msga if {\n"
        '  some o in input\n  o.kind == "Pod"\n'
        "  count(o.metadata.name) > data.postureControlInputs.nameLength\n"
        '  msga := {"alertMessage": "long name", "failedPaths": ["metadata.name"], "alertObject": {"k8sApiObjects": [o]}}\n'
        "}\n"
    )
    # The enumerator says only Pods labelled app=web were really evaluated.
    (rule_dir / "filter.rego").write_text(
        "package armo_builtins\n"
        'deny contains {"alertObject": {"k8sApiObjects": [o]}} if {\n'
        '  some o in input\n  o.kind == "Pod"\n  o.metadata.labels.app == "web"\n}\n'
    )
    (rule_dir / "rule.metadata.json").write_text(
        json.dumps(
            {
                "name": "probe-input-threshold",
                "match": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["Pod"]}],
                "ruleDependencies": [],
                "resourceEnumerator": "filter.rego",
                "attributes": {"relational": False},
            }
        )
    )
    for control_id, length in (("C-9901", 3), ("C-9902", 30)):
        (root / "controls" / f"{control_id}.json").write_text(
            json.dumps(
                {
                    "controlID": control_id,
                    "name": f"probe {length}",
                    "description": "probe",
                    "remediation": "probe",
                    "rulesNames": ["probe-input-threshold"],
                    "baseScore": 3,
                    "category": {"name": "probe"},
                    "fixedInput": {"nameLength": length},
                }
            )
        )
    return root


def test_compile_cache_in_a_scan_rule_shared_by_controls_and_enumerator(tmp_path: Path) -> None:
    lib = load_library(_library_with_collisions(tmp_path))
    objects = [
        pod("short", "ns"),
        pod("a-rather-long-pod-name-indeed-yes", "ns"),
        pod("other-app-pod", "ns", app="db"),
    ]
    reports = {}
    for combo in (BASELINE, Phases.parse("1"), ALL):
        source = ListSource(json.loads(json.dumps(objects)))
        reports[combo] = scan_source(
            source, combo, policy_library=lib, controls=["C-9901", "C-9902"], batch_size=1
        )
    base = reports[BASELINE]
    c1 = _statuses(base, "C-9901")
    c2 = _statuses(base, "C-9902")
    # nameLength 3: every pod fails; 30: only the long one fails, and of the others only the web
    # pod counts as evaluated (the enumerator leaves the db pod out of the passed ones).
    assert c1 == {rid(o): "failed" for o in objects}
    assert c2 == {rid(objects[0]): "passed", rid(objects[1]): "failed"}
    for combo, got in reports.items():
        assert_parity(base, got, str(combo))


# -- rules that read `status` ---------------------------------------------------------------


def test_status_reading_rules_see_status_in_every_combination() -> None:
    objects = [
        namespace("apps"),
        node("old", kubelet="v1.19.16"),
        node("down", ready=False),
        node("fine"),
        pod("crashy", "apps", restarts=12),
        pod("calm", "apps"),
    ]
    base = _over_combinations(objects, RISKY, batch_size=2, controls=["C-9001", "C-9104", "C-9105", "C-0057"])
    assert _statuses(base, "C-9104") == {
        "/v1//Node/old": "failed",
        "/v1//Node/down": "passed",
        "/v1//Node/fine": "passed",
    }
    assert _statuses(base, "C-9105")["/v1//Node/down"] == "failed"
    assert _statuses(base, "C-9001") == {"/v1/apps/Pod/crashy": "failed", "/v1/apps/Pod/calm": "passed"}


# -- relational rules split across batches or namespaces ----------------------------------------


def _hub_cluster() -> list[dict[str, Any]]:
    """A RoleBinding in `hub` grants a ClusterRole to a ServiceAccount of `team-a`, whose Pod uses
    it; NetworkPolicies and Services live in other batches than what they join to."""
    return [
        namespace("hub"),
        namespace("team-a"),
        namespace("team-b"),
        pod("runner-pod", "team-a", service_account="runner", privileged=True),  # mounts its token
        pod("plain-pod", "team-b"),
        service_account("runner", "team-a"),
        service_account("default", "team-b"),
        cluster_role("admin-all", WILDCARD_RULES),
        cluster_role("exec", EXEC_RULES),
        role_binding("grant-runner", "hub", "ClusterRole", "admin-all", [sa_subject("runner", "team-a")]),
        role_binding("grant-exec", "hub", "ClusterRole", "exec", [sa_subject("default", "team-b")]),
        service("exposed", "team-b", app="web", exposed=True),
        network_policy("deny-all", "team-b"),
    ]


@pytest.mark.parametrize("large_cluster_size", [0, 2500])
def test_relational_rules_split_across_batches_and_namespaces(large_cluster_size: int) -> None:
    objects = _hub_cluster()
    controls = ["C-0002", "C-0035", "C-0053", "C-0054", "C-0256", "C-0260"]
    base = _over_combinations(
        objects, RISKY, batch_size=1, page_size=1, large_cluster_size=large_cluster_size, controls=controls
    )
    # RBAC joined across namespaces: the team-a ServiceAccount is admin through the hub binding.
    assert _statuses(base, "C-0035").get("/v1/team-a/ServiceAccount/runner") == "failed"
    assert _statuses(base, "C-0002").get("/v1/team-b/ServiceAccount/default") == "failed"
    # The Pod whose ServiceAccount has RBAC (binding in another namespace).
    assert _statuses(base, "C-0053")["/v1/team-a/Pod/runner-pod"] == "failed"
    # Namespaces with and without a NetworkPolicy (the policy is in a later batch than the Namespace).
    namespaces = {k: v for k, v in _statuses(base, "C-0054").items() if "/Namespace/" in k}
    assert namespaces == {
        "/v1//Namespace/hub": "failed",
        "/v1//Namespace/team-a": "failed",
        "/v1//Namespace/team-b": "passed",
    }
    assert {k: v for k, v in _statuses(base, "C-0260").items() if "/Pod/" in k} == {
        "/v1/team-a/Pod/runner-pod": "failed",
        "/v1/team-b/Pod/plain-pod": "passed",
    }
    # The Service comes after the Pod it selects.
    assert {k: v for k, v in _statuses(base, "C-0256").items() if "/Pod/" in k} == {
        "/v1/team-a/Pod/runner-pod": "passed",
        "/v1/team-b/Pod/plain-pod": "failed",
    }


def _node_join_cluster() -> list[dict[str, Any]]:
    """Pods on a cordoned Node and on the control-plane Node, the Nodes first and the Pods in later
    batches and other namespaces: joins of Pods and Nodes with no RBAC and no declared attribute."""
    cordoned, control_plane = node("cordoned"), node("cp")
    cordoned["spec"] = {"unschedulable": True}
    control_plane["metadata"]["labels"] = {"node-role.kubernetes.io/control-plane": ""}
    pods = [
        pod("on-cordoned", "team-a"),
        pod("on-cp-privileged", "team-b", privileged=True),
        pod("on-cp", "team-a"),
        pod("elsewhere-privileged", "team-b", privileged=True),
    ]
    for p, host in zip(pods, ("cordoned", "cp", "cp", "worker"), strict=True):
        p["spec"]["nodeName"] = host
    return [cordoned, control_plane, node("worker"), namespace("team-a"), namespace("team-b"), *pods]


@pytest.mark.parametrize("large_cluster_size", [0, 2500])
def test_joins_without_rbac_split_across_batches_and_namespaces(large_cluster_size: int) -> None:
    base = _over_combinations(
        _node_join_cluster(), RISKY, batch_size=1, page_size=1, large_cluster_size=large_cluster_size,
        controls=["C-9108", "C-9109"],
    )  # fmt: skip
    assert {k: v for k, v in _statuses(base, "C-9108").items() if "/Pod/" in k} == {
        "/v1/team-a/Pod/on-cordoned": "failed",
        "/v1/team-a/Pod/on-cp": "passed",
        "/v1/team-b/Pod/on-cp-privileged": "passed",
        "/v1/team-b/Pod/elsewhere-privileged": "passed",
    }
    # The enumerator's join decides which Pods the control can pass (those on the control-plane
    # Node); a privileged Pod fails wherever it runs.
    assert _statuses(base, "C-9109") == {
        "/v1/team-a/Pod/on-cp": "passed",
        "/v1/team-b/Pod/on-cp-privileged": "failed",
        "/v1/team-b/Pod/elsewhere-privileged": "failed",
    }
    assert base["metadata"]["counters"]["rules_relational_by_reads"] == 2


# -- cluster-scoped objects seen from every namespace scope ---------------------------------


def test_cluster_scoped_objects_from_every_namespace_scope_keep_paths_once() -> None:
    objects = [namespace(f"ns-{i}") for i in range(6)]
    objects += [pod(f"p{i}", f"ns-{i}", privileged=i % 2 == 0) for i in range(6)]
    objects += [cluster_role("star", WILDCARD_RULES), node("old", kubelet="v1.19.16")]
    controls = ["C-0187", "C-9104", "C-0057"]
    whole = scan_objects(objects, BASELINE, controls=controls)
    for combo in (BASELINE, Phases.parse("3"), Phases.parse("4"), Phases.parse("6"), ALL.without(5)):
        per_namespace = scan_objects(objects, combo, large_cluster_size=0, controls=controls, workers=2)
        assert per_namespace["metadata"]["largeCluster"] is True
        for resource_id, control_id in (
            ("rbac.authorization.k8s.io/v1//ClusterRole/star", "C-0187"),
            ("/v1//Node/old", "C-9104"),
        ):
            got = result_for(per_namespace, resource_id, control_id)
            want = result_for(whole, resource_id, control_id)
            assert got is not None and want is not None
            for got_rule, want_rule in zip(got["rules"], want["rules"], strict=True):
                # Raw lists, not the normalised sets: six scopes must not write six copies.
                assert got_rule["paths"] == want_rule["paths"], (
                    f"{combo}: {resource_id} paths repeated per scope"
                )
                assert len(got_rule["paths"]) == len(
                    {json.dumps(p, sort_keys=True) for p in got_rule["paths"]}
                )
        summary = per_namespace["summaryDetails"]["controls"]["C-0187"]
        assert summary["resourceIDs"]["failed"] == ["rbac.authorization.k8s.io/v1//ClusterRole/star"]
        assert summary["ResourceCounters"]["failedResources"] == 1


# -- one object under two API versions; duplicates in one input ------------------------------


def test_same_object_under_two_api_versions_counted_once() -> None:
    served_v1 = job("migrate", "apps", privileged=True)
    served_beta = json.loads(json.dumps(served_v1))
    served_beta["apiVersion"] = "batch/v1beta1"  # same uid: the API server serves one object twice
    objects = [namespace("apps"), served_v1, pod("web", "apps"), served_beta]
    single = scan_objects([o for o in objects if o is not served_beta], BASELINE)
    for combo in (BASELINE, Phases.parse("3"), Phases.parse("5"), ALL):
        report = scan_objects(objects, combo, batch_size=1, page_size=1)
        assert report["metadata"]["resourceCount"] == 3
        ids = [r["resourceID"] for r in report["results"]]
        assert "batch/v1beta1/apps/Job/migrate" not in ids and "batch/v1/apps/Job/migrate" in ids
        assert_parity(single, report, f"two versions, {combo}")


def test_duplicate_objects_in_one_input_counted_once() -> None:
    objects = _hub_cluster()
    doubled = objects + [json.loads(json.dumps(o)) for o in objects[3:8]]
    single = scan_objects(objects, BASELINE)
    for combo in (BASELINE, Phases.parse("2"), Phases.parse("3"), Phases.parse("5,6"), ALL):
        report = scan_objects(doubled, combo, batch_size=3, page_size=4)
        assert report["metadata"]["resourceCount"] == len(objects)
        assert_parity(single, report, f"duplicates, {combo}")


def test_rendered_adversarial_duplicates_counted_once(rendered_adversarial: Path) -> None:
    scenario = load_scenario("adversarial")
    base = scan_paths([rendered_adversarial], BASELINE, controls=["C-0057", "C-0035", "C-0054"])
    files = "".join(p.read_text() for p in rendered_adversarial.glob("*.json"))
    assert files.count('"uid"') > scenario.total_resources  # the duplicates are really there
    counted = base["metadata"]["resourceCount"]
    got = scan_paths(
        [rendered_adversarial], ALL, controls=["C-0057", "C-0035", "C-0054"], batch_size=7, workers=2
    )
    assert got["metadata"]["resourceCount"] == counted
    assert len({r["resourceID"] for r in base["resources"]}) == len(base["resources"]) == counted
    assert_parity(base, got, "rendered adversarial, all")


# -- list failures and forbidden resources ---------------------------------------------------

FORBIDDEN_INGRESS = SourceProblem(
    "/apis/networking.k8s.io/v1/ingresses",
    "LIST Ingress failed: 403 Forbidden",
    "Ingress",
    "networking.k8s.io",
)


def _ingress_cluster() -> list[dict[str, Any]]:
    return [namespace("web"), ingress("open", "web"), ingress("safe", "web", tls=True), pod("p", "web")]


@pytest.mark.parametrize("served_before_failure", [True, False])
def test_forbidden_list_skips_the_control_never_passes(served_before_failure: bool) -> None:
    objects = (
        _ingress_cluster()
        if served_before_failure
        else [o for o in _ingress_cluster() if o["kind"] != "Ingress"]
    )
    reports = []
    for combo in (BASELINE, Phases.parse("5"), Phases.parse("5,6"), Phases.parse("1,4"), ALL):
        # The failure is recorded after the last page: with P5, earlier pages were already evaluated.
        source = ListSource(
            json.loads(json.dumps(objects)), page_size=1, problems_after={len(objects): [FORBIDDEN_INGRESS]}
        )
        report = scan_source(source, combo, controls=["C-9102", "C-0057"], batch_size=1, workers=2)
        summary = report["summaryDetails"]["controls"]["C-9102"]
        assert summary["status"] == "skipped", f"{combo}: a control whose LIST failed was {summary['status']}"
        assert "403 Forbidden" in summary["statusInfo"]["info"]
        assert summary["ResourceCounters"]["passedResources"] == 0
        assert summary["ResourceCounters"]["failedResources"] == 0
        for resource_id, status in _statuses(report, "C-9102").items():
            assert status == "skipped", f"{combo}: {resource_id} {status}"
        # Other controls are not affected.
        assert report["summaryDetails"]["controls"]["C-0057"]["status"] == "passed"
        reports.append(report)
    for report in reports[1:]:
        assert_parity(reports[0], report, "forbidden ingress")


def test_list_failure_midway_through_a_kind_in_streaming_mode() -> None:
    objects = [namespace(f"ns-{i}") for i in range(3)] + [
        pod(f"p{i}", f"ns-{i % 3}", privileged=i == 0) for i in range(9)
    ]
    failure = SourceProblem("/api/v1/pods", "LIST Pod failed: continue token expired", "Pod", "")
    reports = []
    for combo in (BASELINE, Phases.parse("5"), Phases.parse("5,6"), ALL):
        source = ListSource(json.loads(json.dumps(objects)), page_size=2, problems_after={4: [failure]})
        report = scan_source(source, combo, controls=["C-0057", "C-0054", "C-9106"], batch_size=2)
        assert report["summaryDetails"]["controls"]["C-0057"]["status"] == "skipped"
        assert set(_statuses(report, "C-0057").values()) == {"skipped"}
        assert report["summaryDetails"]["controls"]["C-9106"]["status"] == "failed"  # Namespaces were read
        reports.append(report)
    for report in reports[1:]:
        assert_parity(reports[0], report, "pod list failure")


# -- P6: objects needed after an earlier control finished; exceptions -------------------------


def test_objects_needed_by_a_later_control_after_an_earlier_one_finished() -> None:
    objects = [*_hub_cluster(), deployment("api", "team-a", privileged=True), node("n")]
    # Many controls read Pods, Deployments and RBAC objects; every order must keep them alive
    # until the last one has run.
    combos = [Phases.parse("6"), Phases.parse("1,6"), Phases.parse("4,6"), Phases.parse("5,6"), ALL]
    base = scan_objects(objects, BASELINE)
    for seed in range(4):
        for combo in combos:
            got = scan_objects(
                objects, combo, workers=1 + seed % 2, control_order=f"shuffled:{seed}", batch_size=4
            )
            assert_parity(base, got, f"{combo} seed={seed}")
            assert got["metadata"]["counters"]["objects_released"] > 0 or not combo.has(6)


def test_exceptions_on_objects_failing_several_controls_survive_release() -> None:
    exceptions = load_exceptions_from(
        [
            {
                "name": "x-priv",
                "policyType": "postureExceptionPolicy",
                "actions": ["alertOnly"],
                "posturePolicies": [{"controlID": "C-0057"}],
                "resources": [
                    {
                        "designatorType": "Attributes",
                        "attributes": {"kind": "Deployment", "name": "api", "namespace": "team-a"},
                    }
                ],
            },
            {
                "name": "x-admin",
                "policyType": "postureExceptionPolicy",
                "actions": ["alertOnly"],
                "posturePolicies": [{"controlID": "C-0187"}],
                "resources": [
                    {
                        "designatorType": "Attributes",
                        "attributes": {"kind": "ClusterRole", "name": "admin-all"},
                    }
                ],
            },
        ]
    )
    objects = [*_hub_cluster(), deployment("api", "team-a", privileged=True)]
    base = _over_combinations(objects, RISKY, batch_size=2, exceptions=exceptions)
    excepted = result_for(base, "apps/v1/team-a/Deployment/api", "C-0057")
    assert excepted is not None and excepted["status"] == {"status": "passed", "subStatus": "w/exceptions"}
    assert result_for(base, "apps/v1/team-a/Deployment/api", "C-0016")["status"]["status"] == "failed"  # type: ignore[index]
    role_result = result_for(base, "rbac.authorization.k8s.io/v1//ClusterRole/admin-all", "C-0187")
    assert role_result is not None and role_result["status"]["subStatus"] == "w/exceptions"


def load_exceptions_from(raw: list[dict[str, Any]]) -> Any:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(raw, f)
    try:
        return load_exceptions(Path(f.name))
    finally:
        Path(f.name).unlink()


# -- threshold edges --------------------------------------------------------------------------


def _threshold_cluster() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [namespace(f"ns-{i}") for i in range(4)]
    for i in range(4):
        ns = f"ns-{i}"
        objects += [pod(f"p{i}", ns, privileged=i % 2 == 1, restarts=i * 3), service_account("sa", ns)]
        if i % 2:
            objects.append(network_policy("deny", ns))
    objects += [
        cluster_role("star", WILDCARD_RULES),
        cluster_role("reader", READ_PODS_RULES),
        role_binding("rb", "ns-0", "ClusterRole", "star", [sa_subject("sa", "ns-2")]),
        cluster_role_binding("crb", "reader", [sa_subject("sa", "ns-3")]),
        node("n1", kubelet="v1.19.16"),
    ]
    return objects


def _without_large_flag(report: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(report))
    out["metadata"].pop("largeCluster")
    return out


def test_threshold_edges_exact_plus_one_and_far_above() -> None:
    objects = _threshold_cluster()
    n = len(objects)
    reference = None
    for threshold, large in ((n, False), (n - 1, True), (0, True), (10 * n, False)):
        base = scan_objects(objects, BASELINE, large_cluster_size=threshold)
        assert base["metadata"]["resourceCount"] == n
        assert base["metadata"]["largeCluster"] is large, f"{n} resources vs threshold {threshold}"
        for workers, combo in enumerate((Phases.parse("5"), ALL.without(5), ALL), start=1):
            got = scan_objects(
                objects,
                combo,
                large_cluster_size=threshold,
                batch_size=3,
                workers=workers,
                control_order=f"shuffled:{threshold}",
            )
            assert got["metadata"]["largeCluster"] is large
            assert_parity(base, got, f"threshold {threshold}, {combo}, workers={workers}")
        # Per-namespace scopes and whole-cluster evaluation find the same things.
        if reference is None:
            reference = _without_large_flag(base)
        else:
            assert_parity(reference, _without_large_flag(base), f"threshold {threshold} vs {n}")


@pytest.mark.slow
def test_real_threshold_2500_and_2501() -> None:
    from parity_scan import scenario_objects

    from scanner.sources.objects import owned_by_controller

    counted = [o for o in scenario_objects("large") if not owned_by_controller(o)]
    for size, large in ((2500, False), (2501, True)):
        objects = counted[:size]
        base = scan_objects(objects, BASELINE, engine_name="opa", page_size=500)
        assert base["metadata"]["resourceCount"] == size and base["metadata"]["largeCluster"] is large
        for combo in (Phases.parse("5"), ALL.without(5), ALL):
            got = scan_objects(
                objects, combo, engine_name="opa", workers=2, control_order="shuffled:25", page_size=500
            )
            assert_parity(base, got, f"{size} resources, {combo}")


# -- worker counts and control order ----------------------------------------------------------


def test_worker_counts_and_control_orders_do_not_change_results() -> None:
    objects = _hub_cluster() + _threshold_cluster()[4:]
    base = scan_objects(objects, BASELINE)
    for i, combo in enumerate(key_combinations()):
        workers, order = 1 + i % 3, f"shuffled:{i}"
        got = scan_objects(objects, combo, workers=workers, control_order=order, batch_size=5)
        assert_parity(base, got, f"{combo} workers={workers} {order}")


# -- engines under the worker pool -------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["regorus", "opa"])
def test_cached_compiled_rule_shared_by_worker_threads(engine_name: str) -> None:
    """P1 with --workers N: one compiled rule is created, evaluated and freed on different threads
    (regorus' Engine is thread-bound: it used to panic 'unsendable, but sent to another thread')."""
    from concurrent.futures import ThreadPoolExecutor

    compiler = RuleCompiler(engine(engine_name), cache_enabled=True)
    objects = [pod("p", "ns"), node("n")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        compiled = pool.submit(compiler.get, "rule", {"rule/raw.rego": RULE_A}, {}, DENY_QUERY).result()
        outcomes = list(
            pool.map(
                lambda _: compiler.get("rule", {"rule/raw.rego": RULE_A}, {}, DENY_QUERY).evaluate(objects),
                range(8),
            )
        )
    assert all(o.error is None and [r["alertMessage"] for r in o.responses] == ["A"] for o in outcomes)
    assert compiled.evaluate(objects).responses == outcomes[0].responses  # and from the main thread
    compiler.close()  # frees on the main thread
