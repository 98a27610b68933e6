package armo_builtins

import data.workloads

# One finding per node namespace (PID, IPC) that the pods join.
deny contains msga if {
	obj := input[_]
	spec := workloads.pod_spec(obj)
	some field in ["hostPID", "hostIPC"]
	spec[field] == true
	msga := {
		"alertMessage": sprintf("%s: pods share a namespace of the node (%s)", [workloads.describe(obj), field]),
		"packagename": "armo_builtins",
		"alertScore": 7,
		"failedPaths": [sprintf("%s.%s", [workloads.spec_path(obj), field])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
