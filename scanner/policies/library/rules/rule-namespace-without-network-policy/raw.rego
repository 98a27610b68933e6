package armo_builtins

# A Namespace with no NetworkPolicy at all fails: every pod in it talks to and from anything.
deny contains msga if {
	ns := input[_]
	ns.kind == "Namespace"
	not has_policy(ns.metadata.name)
	msga := {
		"alertMessage": sprintf("Namespace %s has no NetworkPolicy", [ns.metadata.name]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [ns]},
	}
}

has_policy(name) if {
	some policy in input
	policy.kind == "NetworkPolicy"
	policy.metadata.namespace == name
}
