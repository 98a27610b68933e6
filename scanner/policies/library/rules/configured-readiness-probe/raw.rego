package armo_builtins

import data.workloads

# An app container of a long-running workload fails without a readinessProbe. Init containers
# run to completion and are not probed; Jobs and CronJobs are not matched, nor Pods a Job owns.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	list == "containers"
	not owned_by_job(obj)
	not c.readinessProbe
	msga := {
		"alertMessage": sprintf("%s: container %s has no readiness probe", [workloads.describe(obj), c.name]),
		"packagename": "armo_builtins",
		"alertScore": 3,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("%s.readinessProbe", [workloads.container_path(obj, list, i)]), "value": "YOUR_VALUE"}],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

owned_by_job(obj) if obj.metadata.ownerReferences[_].kind == "Job"
