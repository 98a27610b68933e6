package armo_builtins

# An exposed Service fails for each port listed in the control's forbiddenServicePorts input.
deny contains msga if {
	forbidden := {port | some port in data.postureControlInputs.forbiddenServicePorts}
	svc := input[_]
	exposed(svc)
	some i, port in object.get(svc, ["spec", "ports"], [])
	port.port in forbidden
	msga := {
		"alertMessage": sprintf("Service: %s/%s exposes port %d outside the cluster (%s)", [object.get(svc, ["metadata", "namespace"], ""), svc.metadata.name, port.port, svc.spec.type]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("spec.ports[%d].port", [i])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [svc]},
	}
}

exposed(svc) if object.get(svc, ["spec", "type"], "ClusterIP") in {"NodePort", "LoadBalancer"}
