package armo_builtins

import data.workloads

# A container fails when it adds a capability named in the insecureCapabilities input;
# names compare without case and without the CAP_ prefix. One finding lists every such entry.
deny contains msga if {
	insecure := {normalise(name) | some name in data.postureControlInputs.insecureCapabilities}
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	found := [[j, cap] |
		some j, cap in c.securityContext.capabilities.add
		normalise(cap) in insecure
	]
	count(found) > 0
	prefix := workloads.container_path(obj, list, i)
	msga := {
		"alertMessage": sprintf("%s: container %s adds insecure capabilities: %s", [workloads.describe(obj), c.name, concat(", ", [cap | some [_, cap] in found])]),
		"packagename": "armo_builtins",
		"alertScore": 7,
		"failedPaths": [sprintf("%s.securityContext.capabilities.add[%d]", [prefix, j]) | some [j, _] in found],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

normalise(name) := trim_prefix(upper(name), "CAP_")
