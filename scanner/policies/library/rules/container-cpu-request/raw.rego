package armo_builtins

import data.workloads

# A container fails when it has no CPU request.
# Init containers are not checked: they run to completion before the app starts.
required := [["requests", "cpu"]]

deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	list == "containers"
	missing := [[section, resource] |
		some [section, resource] in required
		not c.resources[section][resource]
	]
	count(missing) > 0
	names := [sprintf("%s %s", [resource, trim_suffix(section, "s")]) | some [section, resource] in missing]
	prefix := workloads.container_path(obj, list, i)
	msga := {
		"alertMessage": sprintf("%s: container %s sets no %s", [workloads.describe(obj), c.name, concat(", ", names)]),
		"packagename": "armo_builtins",
		"alertScore": 4,
		"failedPaths": [],
		"fixPaths": [{"path": sprintf("%s.resources.%s.%s", [prefix, section, resource]), "value": "YOUR_VALUE"} |
			some [section, resource] in missing
		],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
