package armo_builtins

# The resource enumerator: Pods scheduled on a Node of the input that carries the control-plane
# role label. A join of two objects of the input in the enumerator alone.
deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	node := input[_]
	node.kind == "Node"
	node.metadata.name == pod.spec.nodeName
	"node-role.kubernetes.io/control-plane" in object.keys(object.get(node.metadata, "labels", {}))
	msga := {
		"alertMessage": "",
		"packagename": "armo_builtins",
		"alertScore": 0,
		"failedPaths": [],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [pod]},
	}
}
