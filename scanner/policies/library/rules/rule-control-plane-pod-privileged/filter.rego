package armo_builtins

# The resource enumerator: Pods scheduled on a Node of the input that carries the control-plane
# role label. A join of two objects of the input in the enumerator alone.
deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	node := nodes_by_name[pod.spec.nodeName]
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

# The input's Nodes by name, built once per evaluation: looking the Pod's Node up in it keeps the
# join linear (scanning the input for each Pod was 15,000² steps on a 15,000-object cluster).
nodes_by_name := {node.metadata.name: node | some node in input; node.kind == "Node"}
