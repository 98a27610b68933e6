package armo_builtins

import data.workloads

# A container passes only when it sets allowPrivilegeEscalation: false (the default allows it).
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	found := finding(workloads.container_path(obj, list, i), c)
	msga := {
		"alertMessage": sprintf("%s: container %s %s", [workloads.describe(obj), c.name, found.why]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": found.failed,
		"fixPaths": found.fix,
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

finding(prefix, c) := {
	"why": "allows privilege escalation",
	"failed": [sprintf("%s.securityContext.allowPrivilegeEscalation", [prefix])],
	"fix": [],
} if c.securityContext.allowPrivilegeEscalation == true

finding(prefix, c) := {
	"why": "does not disable privilege escalation",
	"failed": [],
	"fix": [{"path": sprintf("%s.securityContext.allowPrivilegeEscalation", [prefix]), "value": "false"}],
} if not sets_field(c)

sets_field(c) if _ = c.securityContext.allowPrivilegeEscalation
