package armo_builtins

import data.workloads

# An app container of a long-running workload fails without a livenessProbe. Init containers
# run to completion and are not probed; Jobs and CronJobs are not matched, nor Pods a Job owns.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	list == "containers"
	not owned_by_job(obj)
	not c.livenessProbe
	msga := {
		"alertMessage": sprintf("%s: container %s has no liveness probe", [workloads.describe(obj), c.name]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("%s.livenessProbe", [workloads.container_path(obj, list, i)]), "value": "YOUR_VALUE"}],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

owned_by_job(obj) if obj.metadata.ownerReferences[_].kind == "Job"
