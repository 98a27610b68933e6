package armo_builtins

source_ranges_annotation := "service.beta.kubernetes.io/load-balancer-source-ranges"

open_ranges := {"0.0.0.0/0", "::/0"}

# A LoadBalancer Service that restricts no client range (neither spec.loadBalancerSourceRanges
# nor the cloud annotation) fails once; one that lists an all-addresses range fails per entry.
deny contains msga if {
	service := input[_]
	service.kind == "Service"
	service.spec.type == "LoadBalancer"
	count(object.get(service.spec, "loadBalancerSourceRanges", [])) == 0
	not source_ranges_annotation in object.keys(object.get(service.metadata, "annotations", {}))
	msga := {
		"alertMessage": sprintf("Service: %s/%s: LoadBalancer accepts clients from any address", [object.get(service.metadata, "namespace", "default"), service.metadata.name]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [],
		"fixPaths": [{"path": "spec.loadBalancerSourceRanges[0]", "value": "YOUR_CLIENT_CIDR"}],
		"alertObject": {"k8sApiObjects": [service]},
	}
}

deny contains msga if {
	service := input[_]
	service.kind == "Service"
	service.spec.type == "LoadBalancer"
	some i, cidr in object.get(service.spec, "loadBalancerSourceRanges", [])
	cidr in open_ranges
	msga := {
		"alertMessage": sprintf("Service: %s/%s: LoadBalancer source range %s allows every address", [object.get(service.metadata, "namespace", "default"), service.metadata.name, cidr]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("spec.loadBalancerSourceRanges[%d]", [i])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [service]},
	}
}
