package armo_builtins

import data.workloads

# A container fails when nothing narrows what it may do on the node: no seccomp profile, no
# AppArmor profile (field or annotation), no SELinux options, and no dropped capability.
# Pod-level settings count for every container; an Unconfined profile counts as none.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	not hardened(obj, c)
	prefix := workloads.container_path(obj, list, i)
	msga := {
		"alertMessage": sprintf("%s: container %s has no seccomp, AppArmor or SELinux profile and drops no capabilities", [workloads.describe(obj), c.name]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [],
		"fixPaths": [
			{"path": sprintf("%s.securityContext.seccompProfile.type", [prefix]), "value": "RuntimeDefault"},
			{"path": sprintf("%s.securityContext.capabilities.drop[0]", [prefix]), "value": "ALL"},
		],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

hardened(obj, c) if workloads.effective_security(obj, c, "seccompProfile").type != "Unconfined"

hardened(obj, c) if workloads.effective_security(obj, c, "appArmorProfile").type != "Unconfined"

hardened(obj, c) if {
	annotations := object.get(workloads.pod_metadata(obj), "annotations", {})
	profile := annotations[concat("/", ["container.apparmor.security.beta.kubernetes.io", c.name])]
	profile != "unconfined"
}

hardened(obj, c) if count(workloads.effective_security(obj, c, "seLinuxOptions")) > 0

hardened(obj, c) if count(c.securityContext.capabilities.drop) > 0
