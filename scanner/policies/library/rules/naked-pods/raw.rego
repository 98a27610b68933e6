package armo_builtins

import data.workloads

# A Pod fails when no object owns it: nothing recreates it when it or its node goes away.
deny contains msga if {
	obj := input[_]
	obj.kind == "Pod"
	count(object.get(obj.metadata, "ownerReferences", [])) == 0
	msga := {
		"alertMessage": sprintf("%s: no controller owns this pod", [workloads.describe(obj)]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"failedPaths": [],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
