package armo_builtins

enforce_label := "pod-security.kubernetes.io/enforce"

# A Namespace without the Pod Security admission enforce label fails: pods in it are admitted
# under the cluster default, which unless configured admits privileged pods.
deny contains msga if {
	ns := input[_]
	ns.kind == "Namespace"
	not enforce_label in object.keys(object.get(ns.metadata, "labels", {}))
	msga := {
		"alertMessage": sprintf("Namespace %s has no %s label", [ns.metadata.name, enforce_label]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("metadata.labels[%s]", [enforce_label]), "value": "baseline"}],
		"alertObject": {"k8sApiObjects": [ns]},
	}
}
