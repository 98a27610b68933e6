package armo_builtins

import data.workloads

# Each hostPath volume of a workload is a finding, whether or not a container mounts it.
deny contains msga if {
	obj := input[_]
	some [k, volume] in workloads.volume_entries(obj)
	path := volume.hostPath.path
	msga := {
		"alertMessage": sprintf("%s: volume %s mounts the node's path %s", [workloads.describe(obj), volume.name, path]),
		"packagename": "armo_builtins",
		"alertScore": 7,
		"failedPaths": [sprintf("%s.volumes[%d].hostPath.path", [workloads.spec_path(obj), k])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
