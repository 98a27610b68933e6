package armo_builtins

import data.rbac

# ClusterRoles Kubernetes itself binds to every authenticated user: discovery and self-review only.
default_roles := {"system:basic-user", "system:discovery", "system:public-info-viewer"}

# The group system:authenticated (every user and ServiceAccount with a valid token) bound to a
# role beyond the defaults that grants anything. Every rule of that role is a failed path.
# Response shape: rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some binding in input
	binding.kind in rbac.binding_kinds
	some s in binding.subjects
	s.kind == "Group"
	s.name == "system:authenticated"
	some role in rbac.roles_of(binding)
	not role.metadata.name in default_roles
	count(object.get(role, "rules", [])) > 0
	subject := rbac.subject_of(s, binding)
	f := {
		"subject": subject,
		"binding": binding,
		"role": role,
		"rolePaths": {sprintf("rules[%d]", [i]) | _ = role.rules[i]},
		"subjectPaths": rbac.subject_paths(binding, subject),
	}
	msga := rbac.subject_alert(f, "is granted a non-default role", 8)
}
