package armo_builtins

# A Pod whose spec.nodeName names a Node of the input that is cordoned (spec.unschedulable) fails.
# A join of two objects of the input with no RBAC and no declared attribute: the Pod's verdict
# depends on the Node, so both must be in one evaluation.
deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	node := nodes_by_name[pod.spec.nodeName]
	node.spec.unschedulable == true
	msga := {
		"alertMessage": sprintf("Pod: %s/%s: runs on cordoned Node %s", [pod.metadata.namespace, pod.metadata.name, node.metadata.name]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"reviewPaths": ["spec.nodeName"],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [pod]},
		"relatedObjects": [{"object": node, "reviewPaths": ["spec.unschedulable"], "failedPaths": [], "fixPaths": []}],
	}
}

# The input's Nodes by name, built once per evaluation: looking the Pod's Node up in it keeps the
# join linear (scanning the input for each Pod was 15,000² steps on a 15,000-object cluster).
nodes_by_name := {node.metadata.name: node | some node in input; node.kind == "Node"}
