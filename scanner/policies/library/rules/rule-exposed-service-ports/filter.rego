package armo_builtins

# The resource enumerator: only exposed Services are evaluated by this rule, so an internal
# Service is neither passed nor failed by the controls that use it.
deny contains msga if {
	svc := input[_]
	object.get(svc, ["spec", "type"], "ClusterIP") in {"NodePort", "LoadBalancer"}
	msga := {
		"alertMessage": "",
		"packagename": "armo_builtins",
		"alertScore": 0,
		"failedPaths": [],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [svc]},
	}
}
