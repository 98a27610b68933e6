package armo_builtins

import data.workloads

# A workload fails in the default namespace; one with no namespace at all (a manifest file)
# gets a fix, since it lands in default unless the apply names another.
deny contains msga if {
	obj := input[_]
	obj.metadata.namespace == "default"
	msga := {
		"alertMessage": sprintf("%s: runs in the default namespace", [workloads.describe(obj)]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"failedPaths": ["metadata.namespace"],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

deny contains msga if {
	obj := input[_]
	not obj.metadata.namespace
	msga := {
		"alertMessage": sprintf("%s: names no namespace, so it may land in the default namespace", [workloads.describe(obj)]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"failedPaths": [],
		"fixPaths": [{"path": "metadata.namespace", "value": "YOUR_NAMESPACE"}],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
