package armo_builtins

import data.workloads

# A container fails when an element of its command or args calls sudo: the word on its own, at
# the start of a shell line, or after a shell separator. One finding lists every such element.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	prefix := workloads.container_path(obj, list, i)
	paths := [sprintf("%s.%s[%d]", [prefix, field, k]) |
		some field in ["command", "args"]
		some k, arg in c[field]
		regex.match(`(^|[\s;&|(])sudo(\s|$)`, arg)
	]
	count(paths) > 0
	msga := {
		"alertMessage": sprintf("%s: container %s calls sudo in its entrypoint", [workloads.describe(obj), c.name]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": paths,
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
