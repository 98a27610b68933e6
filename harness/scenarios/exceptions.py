"""The adversarial scenario's posture exceptions (kubescape's exceptions format), derived from its objects.

Pure: computes the exceptions; the caller writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.scenarios.format import Scenario
from harness.scenarios.objects import generate

# kubescape control IDs the adversarial exceptions name: privileged container, cluster-admin
# binding, wildcard RBAC, containers running as root.
_EXCEPTION_CONTROLS = {
    "privileged": "C-0057",
    "cluster_admin": "C-0035",
    "wildcard_rbac": "C-0187",
    "run_as_root": "C-0013",
}


def _is_privileged(obj: Mapping[str, Any]) -> bool:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    elif obj["kind"] != "Pod":
        spec = spec.get("template", {}).get("spec", {})
    return any(c.get("securityContext", {}).get("privileged") for c in spec.get("containers", []))


def adversarial_exceptions(objects: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Posture exceptions (kubescape format) on objects that fail several controls at once.

    Each exception covers one control only, so the same object still fails the others: the
    case where a cached or streamed evaluation attributes an exception to the wrong control.
    """
    chosen: list[tuple[Mapping[str, Any], str]] = []
    privileged = [
        o
        for o in objects
        if o["kind"] in ("Deployment", "Pod")
        and not o["metadata"].get("ownerReferences")
        and _is_privileged(o)
    ]
    chosen += [(obj, _EXCEPTION_CONTROLS["privileged"]) for obj in privileged[:3]]
    admin = [
        o for o in objects if o["kind"] == "ClusterRoleBinding" and o["roleRef"]["name"] == "cluster-admin"
    ]
    chosen += [(obj, _EXCEPTION_CONTROLS["cluster_admin"]) for obj in admin[:1]]
    wildcard = [
        o
        for o in objects
        if o["kind"] == "ClusterRole"
        and o["metadata"]["name"] != "cluster-admin"
        and any("*" in r.get("verbs", []) for r in o["rules"])
    ]
    chosen += [(obj, _EXCEPTION_CONTROLS["wildcard_rbac"]) for obj in wildcard[:1]]
    exceptions: list[dict[str, Any]] = []
    for obj, control in chosen:
        meta = obj["metadata"]
        attributes = {"kind": obj["kind"], "name": meta["name"]}
        if "namespace" in meta:
            attributes["namespace"] = meta["namespace"]
        exceptions.append(
            {
                "name": f"ksbench-{control.lower()}-{obj['kind'].lower()}-{meta['name']}",
                "policyType": "postureExceptionPolicy",
                "actions": ["alertOnly"],
                "resources": [{"designatorType": "Attributes", "attributes": attributes}],
                "posturePolicies": [{"controlID": control}],
            }
        )
    return exceptions


def exceptions_json(scenario: Scenario) -> str:
    """The text of the scenario's exceptions file, as `ksbench scenario exceptions` writes it."""
    return json.dumps(adversarial_exceptions(generate(scenario)), indent=2, sort_keys=True) + "\n"
