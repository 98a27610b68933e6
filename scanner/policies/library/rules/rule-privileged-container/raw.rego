package armo_builtins

import data.workloads

# A container that runs privileged, or asks for every capability, fails.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	some path in privileged_paths(c)
	prefix := sprintf("%s.%s[%d]", [workloads.spec_path(obj), list, i])
	msga := {
		"alertMessage": sprintf("%s: %s/%s: container %s is privileged", [obj.kind, object.get(obj.metadata, "namespace", ""), obj.metadata.name, c.name]),
		"packagename": "armo_builtins",
		"alertScore": 9,
		"failedPaths": [sprintf("%s.%s", [prefix, path])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

privileged_paths(c) := {"securityContext.privileged"} if c.securityContext.privileged == true

privileged_paths(c) := {sprintf("securityContext.capabilities.add[%d]", [j]) |
	some j, cap in c.securityContext.capabilities.add
	cap == "ALL"
} if not c.securityContext.privileged == true
