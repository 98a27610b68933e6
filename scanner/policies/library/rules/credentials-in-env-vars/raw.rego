package armo_builtins

import data.workloads

# A container fails when an environment variable holds a literal value under a name that
# contains one of sensitiveKeyNames (case-insensitive), unless the name also contains one of
# sensitiveKeyNamesAllowed or the value is listed in sensitiveValuesAllowed. Values taken from
# Secrets or ConfigMaps (valueFrom) and empty values pass. The message names variables only.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	prefix := workloads.container_path(obj, list, i)
	found := [[k, env.name] |
		some k, env in c.env
		is_string(env.value)
		env.value != ""
		sensitive_name(env.name)
		not allowed_value(env.value)
	]
	count(found) > 0
	msga := {
		"alertMessage": sprintf("%s: container %s has credentials in plain environment variables: %s", [workloads.describe(obj), c.name, concat(", ", [name | some [_, name] in found])]),
		"packagename": "armo_builtins",
		"alertScore": 8,
		"failedPaths": [sprintf("%s.env[%d].value", [prefix, k]) | some [k, _] in found],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

sensitive_name(name) if {
	some word in object.get(data.postureControlInputs, "sensitiveKeyNames", [])
	contains(lower(name), lower(word))
	not allowed_name(name)
}

allowed_name(name) if {
	some word in object.get(data.postureControlInputs, "sensitiveKeyNamesAllowed", [])
	contains(lower(name), lower(word))
}

allowed_value(value) if value in object.get(data.postureControlInputs, "sensitiveValuesAllowed", [])
