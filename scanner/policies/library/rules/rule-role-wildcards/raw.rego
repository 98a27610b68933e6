package armo_builtins

# A Role or ClusterRole with "*" among the apiGroups, resources or verbs of any rule fails, one
# response per role listing every wildcard entry. Per object, so not relational.
deny contains msga if {
	role := input[_]
	role.kind in {"Role", "ClusterRole"}
	paths := {sprintf("rules[%d].%s[%d]", [i, field, j]) |
		some i, r in role.rules
		some field in ["apiGroups", "resources", "verbs"]
		some j, x in r[field]
		x == "*"
	}
	count(paths) > 0
	msga := {
		"alertMessage": sprintf("%s uses wildcards in its rules", [label(role)]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": sort(paths),
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [role]},
	}
}

label(obj) := sprintf("%s %s/%s", [obj.kind, obj.metadata.namespace, obj.metadata.name]) if obj.metadata.namespace

label(obj) := sprintf("%s %s", [obj.kind, obj.metadata.name]) if not obj.metadata.namespace
