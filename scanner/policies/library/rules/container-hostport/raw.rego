package armo_builtins

import data.workloads

# A container fails when any of its ports binds a port of the node; one finding lists them all.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	bound := [[j, port.hostPort] |
		some j, port in c.ports
		port.hostPort > 0
	]
	count(bound) > 0
	prefix := workloads.container_path(obj, list, i)
	msga := {
		"alertMessage": sprintf("%s: container %s binds node ports %s", [workloads.describe(obj), c.name, concat(", ", [sprintf("%v", [p]) | some [_, p] in bound])]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [sprintf("%s.ports[%d].hostPort", [prefix, j]) | some [j, _] in bound],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
