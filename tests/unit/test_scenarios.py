"""Scenario files, the generator and the fingerprint: shares, shape, determinism, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.exit_codes import UsageError
from harness.scenarios.exceptions import adversarial_exceptions, exceptions_json
from harness.scenarios.fingerprint import Fingerprint, fingerprint
from harness.scenarios.format import (
    MISCONFIGURATIONS,
    SHARED_KINDS,
    kind_counts,
    list_scenarios,
    load_scenario,
    misconfigured_count,
    parse_scenario,
)
from harness.scenarios.kinds import SERVED_VERSIONS_ANNOTATION, WIDGET
from harness.scenarios.manifests import read_manifest_dir, render
from harness.scenarios.objects import generate

REPO = Path(__file__).resolve().parents[2]
FAST_SCENARIOS = ("small", "medium", "large", "threshold", "adversarial")


@pytest.fixture(scope="module")
def generated() -> dict[str, list[dict[str, Any]]]:
    return {name: generate(load_scenario(name)) for name in FAST_SCENARIOS}


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "Pod":
        return dict(obj["spec"])
    if obj["kind"] == "CronJob":
        return dict(obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return dict(obj["spec"]["template"]["spec"])


def _main(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(_pod_spec(obj)["containers"][0])


# Independent detectors: what a scanner rule would look at, written without the generator's code.
DETECTORS = {
    "privileged": lambda o: bool(_main(o)["securityContext"].get("privileged")),
    "host_network": lambda o: bool(_pod_spec(o).get("hostNetwork")),
    "host_pid": lambda o: bool(_pod_spec(o).get("hostPID")),
    "host_ipc": lambda o: bool(_pod_spec(o).get("hostIPC")),
    "host_path_mount": lambda o: any("hostPath" in v for v in _pod_spec(o).get("volumes", [])),
    "no_resource_limits": lambda o: "limits" not in _main(o)["resources"],
    "run_as_root": lambda o: not _main(o)["securityContext"]["runAsNonRoot"],
    "writable_root_fs": lambda o: not _main(o)["securityContext"]["readOnlyRootFilesystem"],
    "dangerous_capabilities": lambda o: bool(
        set(_main(o)["securityContext"]["capabilities"].get("add", [])) & {"SYS_ADMIN", "NET_ADMIN"}
    ),
    "automount_service_account_token": lambda o: _pod_spec(o)["automountServiceAccountToken"] is True,
    "secrets_in_env": lambda o: any(
        "secretKeyRef" in e.get("valueFrom", {}) or "PASSWORD" in e["name"] for e in _main(o)["env"]
    ),
    "latest_image_tag": lambda o: _main(o)["image"].endswith(":latest"),
    "wildcard_rbac": lambda o: any("*" in rule.get("verbs", []) for rule in o["rules"]),
    "cluster_admin_bindings": lambda o: o["roleRef"]["name"] == "cluster-admin",
    "exposed_services": lambda o: o["spec"]["type"] in ("NodePort", "LoadBalancer"),
    "outdated_kubelet": lambda o: o["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.19"),
    "cordoned_nodes": lambda o: o["spec"].get("unschedulable") is True,
}


def _eligible(objects: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    kinds = MISCONFIGURATIONS[name]
    result = [o for o in objects if o["kind"] in kinds]
    if "Pod" in kinds:
        result = [o for o in result if o["kind"] != "Pod" or not o["metadata"].get("ownerReferences")]
    if name == "wildcard_rbac":
        result = [o for o in result if o["metadata"]["name"] != "cluster-admin"]
    return result


def _misconfigured(objects: list[dict[str, Any]], name: str) -> int:
    if name == "unprotected_namespaces":
        protected = {o["metadata"]["namespace"] for o in objects if o["kind"] == "NetworkPolicy"}
        return sum(1 for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] not in protected)
    return sum(1 for o in _eligible(objects, name) if DETECTORS[name](o))


def test_every_shipped_scenario_loads_and_counts_add_up() -> None:
    names = {s.name for s in list_scenarios()}
    assert {"small", "medium", "large", "threshold", "huge", "adversarial"} <= names
    for scenario in list_scenarios():
        assert sum(kind_counts(scenario).values()) == scenario.total_resources
    assert load_scenario("threshold").total_resources > 2500


@pytest.mark.parametrize("name", FAST_SCENARIOS)
def test_kind_mix_is_exact_and_within_one_point(
    name: str, generated: dict[str, list[dict[str, Any]]]
) -> None:
    scenario = load_scenario(name)
    objects = generated[name]
    assert len(objects) == scenario.total_resources
    counts = Counter(o["kind"] for o in objects)
    assert dict(counts) == {k: v for k, v in kind_counts(scenario).items() if v}
    assert counts["Namespace"] == scenario.namespaces and counts["Node"] == scenario.nodes
    shared_total = sum(counts[kind] for kind in SHARED_KINDS)
    for kind in SHARED_KINDS:
        share = counts[kind] / shared_total
        assert abs(share - scenario.kind_share(kind)) <= 0.01 + 0.5 / shared_total, kind


@pytest.mark.parametrize("name", FAST_SCENARIOS)
def test_misconfiguration_shares_are_applied_exactly(
    name: str, generated: dict[str, list[dict[str, Any]]]
) -> None:
    scenario = load_scenario(name)
    objects = generated[name]
    for misconfiguration in MISCONFIGURATIONS:
        n = (
            scenario.namespaces
            if misconfiguration == "unprotected_namespaces"
            else len(_eligible(objects, misconfiguration))
        )
        expected = misconfigured_count(scenario.misconfiguration_share(misconfiguration), n)
        assert _misconfigured(objects, misconfiguration) == expected, misconfiguration
        if n >= 50:  # where rounding allows it, the share itself is within one percentage point
            assert abs(expected / n - scenario.misconfiguration_share(misconfiguration)) <= 0.01


@pytest.mark.parametrize("name", FAST_SCENARIOS)
def test_objects_have_a_realistic_consistent_shape(
    name: str, generated: dict[str, list[dict[str, Any]]]
) -> None:
    objects = generated[name]
    keys = [(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects]
    assert len(set(keys)) == len(keys), "names are unique per kind and namespace"
    uids = [o["metadata"]["uid"] for o in objects]
    assert len(set(uids)) == len(uids)
    by_uid = {o["metadata"]["uid"]: o for o in objects}
    namespaces = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    for obj in objects:
        meta = obj["metadata"]
        assert meta.get("namespace", next(iter(namespaces))) in namespaces
        for ref in meta.get("ownerReferences", []):
            owner = by_uid[ref["uid"]]
            assert (owner["kind"], owner["metadata"]["name"]) == (ref["kind"], ref["name"])
            assert owner["metadata"]["namespace"] == meta["namespace"]
    pods = [o for o in objects if o["kind"] == "Pod"]
    owned = [p for p in pods if p["metadata"].get("ownerReferences")]
    assert owned and any(
        by_uid[p["metadata"]["ownerReferences"][0]["uid"]]["kind"] == "ReplicaSet" for p in owned
    )
    for rs in (o for o in objects if o["kind"] == "ReplicaSet"):
        assert by_uid[rs["metadata"]["ownerReferences"][0]["uid"]]["kind"] == "Deployment"
        children = [p for p in owned if p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]]
        assert len(children) == rs["spec"]["replicas"]
    for pod in pods:
        assert pod["status"]["phase"] in ("Running", "Pending", "Failed", "Succeeded")
        assert pod["status"]["containerStatuses"]
    pod_labels = {(p["metadata"]["namespace"], p["metadata"]["labels"].get("app")) for p in pods}
    services = [o for o in objects if o["kind"] == "Service"]
    matched = sum((s["metadata"]["namespace"], s["spec"]["selector"]["app"]) in pod_labels for s in services)
    assert matched == len(services), "every Service selects real pods"
    roles = {
        ("Role", o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o["kind"] == "Role"
    }
    roles |= {("ClusterRole", "", o["metadata"]["name"]) for o in objects if o["kind"] == "ClusterRole"}
    accounts = {
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o["kind"] == "ServiceAccount"
    }
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        ref = binding["roleRef"]
        namespace = binding["metadata"].get("namespace", "") if ref["kind"] == "Role" else ""
        assert (ref["kind"], namespace, ref["name"]) in roles
        for subject in binding["subjects"]:
            if subject["kind"] == "ServiceAccount":
                assert (subject["namespace"], subject["name"]) in accounts
    secrets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o["kind"] == "Secret"}
    for obj in (o for o in objects if o["kind"] == "Secret"):
        assert all(isinstance(v, str) for v in obj["data"].values())
    for pod in pods:
        for env in pod["spec"]["containers"][0]["env"]:
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert (pod["metadata"]["namespace"], ref["name"]) in secrets


def test_adversarial_scenario_holds_the_upstream_failure_cases(
    generated: dict[str, list[dict[str, Any]]],
) -> None:
    scenario = load_scenario("adversarial")
    objects = generated["adversarial"]
    assert scenario.namespaces >= 20
    assert scenario.forbidden == ("networking.k8s.io/v1/ingresses",)
    widgets = [o for o in objects if o["kind"] == WIDGET.kind]
    assert len(widgets) == scenario.widgets > 0
    assert all(w["metadata"]["annotations"][SERVED_VERSIONS_ANNOTATION] == "v1,v1beta1" for w in widgets)
    assert [o["spec"]["group"] for o in objects if o["kind"] == "CustomResourceDefinition"] == [WIDGET.group]
    hub = Counter(o["metadata"]["namespace"] for o in objects if o["kind"] == "RoleBinding").most_common(1)[
        0
    ][0]
    hub_bindings = [o for o in objects if o["kind"] == "RoleBinding" and o["metadata"]["namespace"] == hub]
    assert sum(b["roleRef"]["kind"] == "ClusterRole" for b in hub_bindings) >= scenario.hub_role_bindings
    foreign = [
        s
        for b in hub_bindings
        for s in b["subjects"]
        if s["kind"] == "ServiceAccount" and s["namespace"] != hub
    ]
    assert len(foreign) >= scenario.hub_role_bindings
    failing_cluster_scoped = [
        o
        for o in objects
        if (o["kind"] == "ClusterRoleBinding" and DETECTORS["cluster_admin_bindings"](o))
        or (o["kind"] == "Node" and DETECTORS["outdated_kubelet"](o))
    ]
    assert len(failing_cluster_scoped) >= 3
    several = [
        o
        for o in _eligible(objects, "privileged")
        if sum(DETECTORS[m](o) for m in ("privileged", "run_as_root", "writable_root_fs")) >= 2
    ]
    assert len(several) >= 10, "objects matched by several controls"


def test_adversarial_exceptions_file_is_current_and_names_real_failing_objects(
    generated: dict[str, list[dict[str, Any]]],
) -> None:
    scenario = load_scenario("adversarial")
    assert scenario.exceptions_file is not None
    assert scenario.exceptions_file.read_text() == exceptions_json(scenario), (
        "regenerate with `ksbench scenario exceptions adversarial --write`"
    )
    exceptions = adversarial_exceptions(generated["adversarial"])
    keys = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
        for o in generated["adversarial"]
    }
    assert len(exceptions) >= 4
    for exception in exceptions:
        assert exception["policyType"] == "postureExceptionPolicy" and exception["actions"] == ["alertOnly"]
        attributes = exception["resources"][0]["attributes"]
        target = keys[(attributes["kind"], attributes.get("namespace"), attributes["name"])]
        control = exception["posturePolicies"][0]["controlID"]
        detector = {"C-0057": "privileged", "C-0035": "cluster_admin_bindings", "C-0187": "wildcard_rbac"}[
            control
        ]
        assert DETECTORS[detector](target)


def test_render_writes_lists_with_the_adversarial_duplicates(tmp_path: Path) -> None:
    scenario = load_scenario("adversarial")
    result = render(scenario, tmp_path)
    objects = read_manifest_dir(tmp_path)
    assert len(objects) == scenario.total_resources + scenario.duplicates
    keys = Counter((o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects)
    assert sum(1 for count in keys.values() if count == 2) == scenario.duplicates
    assert result == fingerprint(scenario.name, generate(scenario))
    render(scenario, tmp_path / "clean", with_duplicates=False)
    assert len(read_manifest_dir(tmp_path / "clean")) == scenario.total_resources


def test_fingerprint_round_trips_and_changes_with_content() -> None:
    objects = generate(load_scenario("small"))
    first = fingerprint("small", objects)
    assert Fingerprint.from_json(json.loads(json.dumps(first.to_json()))) == first
    assert sum(k.count for k in first.kinds) == 100
    objects[5]["metadata"]["labels"] = {"changed": "yes"}
    assert fingerprint("small", objects).digest != first.digest
    with pytest.raises(UsageError, match="format"):
        Fingerprint.from_json({**first.to_json(), "format_version": "ksbench-fingerprint/0"})


_RENDER = "import sys; from pathlib import Path; from harness.scenarios.format import load_scenario; from harness.scenarios.manifests import render; render(load_scenario(sys.argv[1]), Path(sys.argv[2]))"


def test_two_processes_render_byte_identical_manifests(tmp_path: Path) -> None:
    for index, hash_seed in enumerate(("1", "4242")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
        subprocess.run(
            [sys.executable, "-c", _RENDER, "medium", str(tmp_path / str(index))], check=True, env=env
        )
    first = sorted((tmp_path / "0").iterdir())
    assert first
    for path in first:
        assert path.read_bytes() == (tmp_path / "1" / path.name).read_bytes(), path.name


@pytest.mark.slow
def test_huge_scenario_counts_and_shares() -> None:
    scenario = load_scenario("huge")
    objects = generate(scenario)
    assert len(objects) == 50_000
    for misconfiguration in MISCONFIGURATIONS:
        n = (
            scenario.namespaces
            if misconfiguration == "unprotected_namespaces"
            else len(_eligible(objects, misconfiguration))
        )
        assert (
            abs(
                _misconfigured(objects, misconfiguration) / n
                - scenario.misconfiguration_share(misconfiguration)
            )
            <= 0.01
        )


BASE = {
    "name": "t",
    "total_resources": 200,
    "seed": 1,
    "namespaces": 4,
    "nodes": 1,
    "kinds": {"Pod": 0.5, "ConfigMap": 0.3, "Deployment": 0.1, "ReplicaSet": 0.1},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, r"field 'colour': unknown field; allowed: name, description"),
        ({"total_resources": -5}, r"field 'total_resources': -5 is not allowed; an integer >= 1"),
        ({"kinds": {"Pod": 0.5, "Gadget": 0.5}}, r"field 'kinds.Gadget': unknown name; allowed: .*Pod"),
        ({"kinds": {"Pod": 0.5, "ConfigMap": 0.2}}, r"field 'kinds': shares sum to 0.700000"),
        (
            {"misconfigurations": {"privileged": 1.5}},
            r"field 'misconfigurations.privileged': 1.5 is not allowed; a share between 0 and 1",
        ),
        (
            {"kinds": {"Pod": 0.5, "ConfigMap": 0.3, "Deployment": 0.2}},
            r"field 'kinds.ReplicaSet': must give at least",
        ),
        ({"adversarial": {"widgetz": 1}}, r"field 'adversarial.widgetz': unknown field"),
        ({"name": "no spaces"}, r"field 'name'"),
    ],
)
def test_invalid_scenarios_name_the_field_and_what_is_allowed(change: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_scenario({**BASE, **change}, Path("t.toml"))


def test_unknown_scenario_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError,
        match=r"unknown scenario 'nope'; known scenarios: adversarial, edge-2500, edge-2501, huge, large",
    ):
        load_scenario("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_scenario(bad)
