package armo_builtins

import data.cautils
import data.workloads

# A workload fails when no NetworkPolicy of its namespace selects its pods (podSelector, with
# matchLabels and matchExpressions; the empty selector selects every pod of the namespace).
deny contains msga if {
	obj := input[_]
	workloads.pod_spec(obj)
	namespace := object.get(obj.metadata, "namespace", "default")
	labels := object.get(workloads.pod_metadata(obj), "labels", {})
	not selected(namespace, labels)
	msga := {
		"alertMessage": sprintf("%s: no NetworkPolicy selects its pods", [workloads.describe(obj)]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"reviewPaths": [sprintf("%s.labels", [workloads.pod_metadata_path(obj)])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

selected(namespace, labels) if {
	some policy in network_policies_by_namespace[namespace]
	cautils.label_selector_matches(object.get(policy.spec, "podSelector", {}), labels)
}

# network_policies_by_namespace maps a namespace to the NetworkPolicies in the input that live there
# (built once per evaluation: scanning the whole input for every workload is quadratic in the input).
network_policies_by_namespace := {ns: policies | policies := _network_policies_by_namespace[ns]}

_network_policies_by_namespace[ns] contains policy if {
	policy := input[_]
	policy.kind == "NetworkPolicy"
	ns := policy.metadata.namespace
}
