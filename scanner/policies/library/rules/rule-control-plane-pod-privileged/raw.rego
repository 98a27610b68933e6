package armo_builtins

# A Pod with a privileged container fails. Which Pods are evaluated (and so may pass) is the
# enumerator's (filter.rego): those on a control-plane Node.
deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	some i, container in pod.spec.containers
	container.securityContext.privileged == true
	msga := {
		"alertMessage": sprintf("Pod: %s/%s: privileged container %s", [pod.metadata.namespace, pod.metadata.name, container.name]),
		"packagename": "armo_builtins",
		"alertScore": 8,
		"failedPaths": [sprintf("spec.containers[%d].securityContext.privileged", [i])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [pod]},
	}
}
