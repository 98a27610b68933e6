package armo_builtins

# A workload fails when it carries none of the control's requiredLabels (a fixed input of each
# control that uses this rule): the same source gives different findings under different inputs.
deny contains msga if {
	wanted := {label | some label in data.postureControlInputs.requiredLabels}
	count(wanted) > 0
	obj := input[_]
	labels := object.get(obj, ["metadata", "labels"], {})
	present := {label | some label, _ in labels; label in wanted}
	count(present) == 0
	first := sort(wanted)[0]
	msga := {
		"alertMessage": sprintf("%s: %s/%s carries none of the labels %s", [obj.kind, object.get(obj, ["metadata", "namespace"], ""), obj.metadata.name, concat(", ", sort(wanted))]),
		"packagename": "armo_builtins",
		"alertScore": 2,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("metadata.labels[%s]", [first]), "value": "YOUR_VALUE"}],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
