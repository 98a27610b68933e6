package armo_builtins

import data.workloads

# A workload fails for every Service of type NodePort or LoadBalancer in its namespace whose
# selector (non-empty, every pair present) matches its pods' labels: it is reachable from outside
# the cluster. The Service is the related object.
deny contains msga if {
	obj := input[_]
	workloads.pod_spec(obj)
	namespace := object.get(obj.metadata, "namespace", "default")
	labels := object.get(workloads.pod_metadata(obj), "labels", {})
	some service in services_by_namespace[namespace]
	service.spec.type in {"NodePort", "LoadBalancer"}
	selector := object.get(service.spec, "selector", {})
	count(selector) > 0
	every key, value in selector {
		labels[key] == value
	}
	msga := {
		"alertMessage": sprintf("%s: exposed outside the cluster by %s Service %s", [workloads.describe(obj), service.spec.type, service.metadata.name]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"reviewPaths": [sprintf("%s.labels", [workloads.pod_metadata_path(obj)])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
		"relatedObjects": [{"object": service, "reviewPaths": ["spec.type", "spec.selector"]}],
	}
}

# services_by_namespace maps a namespace to the Services in the input that live there (built
# once per evaluation, so a workload looks its namespace up instead of scanning the input).
services_by_namespace := {ns: services | services := _services_by_namespace[ns]}

_services_by_namespace[ns] contains service if {
	service := input[_]
	service.kind == "Service"
	ns := object.get(service.metadata, "namespace", "default")
}
