package armo_builtins

import data.rbac

# Identities any unauthenticated request carries.
anonymous := {["User", "system:anonymous"], ["Group", "system:unauthenticated"]}

# A binding that names the anonymous user or the unauthenticated group fails; the alert object
# is the binding, and the role it grants (when present) is related with its rules as review paths.
deny contains msga if {
	some binding in input
	binding.kind in rbac.binding_kinds
	paths := {sprintf("subjects[%d]", [k]) |
		s := binding.subjects[k]
		[s.kind, s.name] in anonymous
	}
	count(paths) > 0
	msga := {
		"alertMessage": sprintf("%s grants %s %s to anonymous requests", [rbac.object_label(binding), binding.roleRef.kind, binding.roleRef.name]),
		"packagename": "armo_builtins",
		"alertScore": 9,
		"failedPaths": sort(paths),
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [binding]},
		"relatedObjects": [{"object": role, "reviewPaths": [sprintf("rules[%d]", [i]) | _ = role.rules[i]]} |
			role := rbac.roles_of(binding)[_]
		],
	}
}
