package armo_builtins

# A Pod whose spec.nodeName names a Node of the input that is cordoned (spec.unschedulable) fails.
# A join of two objects of the input with no RBAC and no declared attribute: the Pod's verdict
# depends on the Node, so both must be in one evaluation.
deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	node := input[_]
	node.kind == "Node"
	node.metadata.name == pod.spec.nodeName
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
