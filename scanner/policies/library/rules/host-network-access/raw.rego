package armo_builtins

import data.workloads

# A pod that joins the node's network namespace fails.
deny contains msga if {
	obj := input[_]
	workloads.pod_spec(obj).hostNetwork == true
	msga := {
		"alertMessage": sprintf("%s: pods use the node's network (hostNetwork)", [workloads.describe(obj)]),
		"packagename": "armo_builtins",
		"alertScore": 7,
		"failedPaths": [sprintf("%s.hostNetwork", [workloads.spec_path(obj)])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
