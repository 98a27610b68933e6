package armo_builtins

import data.workloads

# A workload fails when its own metadata, or its pods' template metadata, carries none of the
# k8sRecommendedLabels input (app.kubernetes.io/...); one finding lists a fix for each place
# that lacks them.
deny contains msga if {
	recommended := {label | some label in data.postureControlInputs.k8sRecommendedLabels}
	count(recommended) > 0
	obj := input[_]
	places := [place |
		some place in label_places(obj)
		not labelled(object.get(obj, split(place, "."), {}), recommended)
	]
	count(places) > 0
	msga := {
		"alertMessage": sprintf("%s: no app.kubernetes.io recommended label in %s", [workloads.describe(obj), concat(", ", places)]),
		"packagename": "armo_builtins",
		"alertScore": 2,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("%s.labels.YOUR_LABEL", [place]), "value": "YOUR_VALUE"} | some place in places],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

# The object's metadata, then the pod template's where the workload has one.
label_places(obj) := ["metadata"] if workloads.pod_metadata_path(obj) == "metadata"

label_places(obj) := ["metadata", workloads.pod_metadata_path(obj)] if workloads.pod_metadata_path(obj) != "metadata"

labelled(metadata, recommended) if {
	some label, _ in object.get(metadata, "labels", {})
	label in recommended
}
