package armo_builtins

import data.workloads

# Reads the Pod's status: a container (or init container) whose restartCount is above the
# maxContainerRestarts input fails, with the reason it last terminated when status has one.
deny contains msga if {
	limit := data.postureControlInputs.maxContainerRestarts
	obj := input[_]
	obj.kind == "Pod"
	some list in ["containerStatuses", "initContainerStatuses"]
	some k, container in obj.status[list]
	container.restartCount > limit
	msga := {
		"alertMessage": sprintf("%s: container %s restarted %d times (limit %d)%s", [workloads.describe(obj), container.name, container.restartCount, limit, last_reason(container)]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [],
		"reviewPaths": [sprintf("status.%s[%d].restartCount", [list, k])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

last_reason(container) := sprintf("; last terminated: %s", [reason]) if {
	reason := container.lastState.terminated.reason
}

last_reason(container) := "" if not container.lastState.terminated.reason
