package armo_builtins

import data.workloads

# A container passes only when it sets readOnlyRootFilesystem: true (the default is writable).
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	found := finding(workloads.container_path(obj, list, i), c)
	msga := {
		"alertMessage": sprintf("%s: container %s %s", [workloads.describe(obj), c.name, found.why]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"failedPaths": found.failed,
		"fixPaths": found.fix,
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

finding(prefix, c) := {
	"why": "has a writable root filesystem (readOnlyRootFilesystem: false)",
	"failed": [sprintf("%s.securityContext.readOnlyRootFilesystem", [prefix])],
	"fix": [],
} if c.securityContext.readOnlyRootFilesystem == false

finding(prefix, c) := {
	"why": "does not make its root filesystem read-only",
	"failed": [],
	"fix": [{"path": sprintf("%s.securityContext.readOnlyRootFilesystem", [prefix]), "value": "true"}],
} if not sets_field(c)

sets_field(c) if _ = c.securityContext.readOnlyRootFilesystem
