package armo_builtins

# A ConfigMap fails when a data key contains one of sensitiveKeyNames (case-insensitive), unless
# the key also contains one of sensitiveKeyNamesAllowed, or its value is empty or listed in
# sensitiveValuesAllowed. One finding per ConfigMap names every such key, never a value.
deny contains msga if {
	obj := input[_]
	obj.kind == "ConfigMap"
	keys := sort([key |
		some key, value in object.get(obj, "data", {})
		value != ""
		sensitive_name(key)
		not allowed_value(value)
	])
	count(keys) > 0
	msga := {
		"alertMessage": sprintf("ConfigMap: %s/%s: keys that look like credentials: %s", [object.get(obj.metadata, "namespace", ""), obj.metadata.name, concat(", ", keys)]),
		"packagename": "armo_builtins",
		"alertScore": 8,
		"failedPaths": [sprintf("data[%s]", [key]) | some key in keys],
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
