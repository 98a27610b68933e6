package armo_builtins

import data.workloads

# A container passes when its effective runAsUser (the container's, else the pod's) is non-zero,
# or when no runAsUser is set and its effective runAsNonRoot is true; otherwise it may run as root.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	finding := root_finding(obj, list, i, c)
	msga := {
		"alertMessage": sprintf("%s: container %s %s", [workloads.describe(obj), c.name, finding.why]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": finding.failed,
		"fixPaths": finding.fix,
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

root_finding(obj, list, i, c) := {
	"why": "runs as user 0",
	"failed": [workloads.effective_security_path(obj, list, i, c, "runAsUser")],
	"fix": [],
} if {
	workloads.effective_security(obj, c, "runAsUser") == 0
}

root_finding(obj, list, i, c) := {
	"why": "allows running as root (runAsNonRoot: false)",
	"failed": [workloads.effective_security_path(obj, list, i, c, "runAsNonRoot")],
	"fix": [],
} if {
	not sets_user(obj, c)
	workloads.effective_security(obj, c, "runAsNonRoot") == false
}

root_finding(obj, list, i, c) := {
	"why": "does not require a non-root user",
	"failed": [],
	"fix": [{"path": sprintf("%s.securityContext.runAsNonRoot", [workloads.container_path(obj, list, i)]), "value": "true"}],
} if {
	not sets_user(obj, c)
	not sets_non_root(obj, c)
}

sets_user(obj, c) if _ = workloads.effective_security(obj, c, "runAsUser")

sets_non_root(obj, c) if _ = workloads.effective_security(obj, c, "runAsNonRoot")
