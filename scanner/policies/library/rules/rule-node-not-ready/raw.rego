package armo_builtins

# A Node whose Ready condition (status.conditions) is False or Unknown fails. A Node without a
# Ready condition has not reported yet and is not judged.
deny contains msga if {
	node := input[_]
	node.kind == "Node"
	some i, condition in node.status.conditions
	condition.type == "Ready"
	condition.status != "True"
	msga := {
		"alertMessage": sprintf("Node %s is not Ready (status %s, reason %s)", [node.metadata.name, condition.status, object.get(condition, "reason", "none")]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [sprintf("status.conditions[%d].status", [i])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [node]},
	}
}
