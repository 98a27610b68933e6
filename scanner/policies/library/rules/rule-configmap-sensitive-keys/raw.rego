package armo_builtins

# A ConfigMap key whose name contains one of the configured sensitive words (case-insensitive),
# with a non-empty value, fails once per key: credentials belong in Secrets.
deny contains msga if {
	cm := input[_]
	cm.kind == "ConfigMap"
	some field in ["data", "binaryData"]
	some key, value in object.get(cm, field, {})
	value != ""
	some word in data.postureControlInputs.sensitiveConfigMapKeyNames
	contains(lower(key), lower(word))
	msga := {
		"alertMessage": sprintf("ConfigMap: %s/%s: key %s looks like a credential", [object.get(cm.metadata, "namespace", "default"), cm.metadata.name, key]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"reviewPaths": [sprintf("%s[%s]", [field, key])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [cm]},
	}
}
