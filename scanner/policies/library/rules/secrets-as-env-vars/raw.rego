package armo_builtins

import data.workloads

# A container fails when it takes a Secret into its environment, one key (env secretKeyRef)
# or all of them (envFrom secretRef); one finding names every such variable and Secret.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	prefix := workloads.container_path(obj, list, i)
	single := [[sprintf("%s.env[%d].valueFrom.secretKeyRef", [prefix, k]), sprintf("%s (secret %s)", [env.name, env.valueFrom.secretKeyRef.name])] |
		some k, env in c.env
		env.valueFrom.secretKeyRef
	]
	whole := [[sprintf("%s.envFrom[%d].secretRef", [prefix, k]), sprintf("every key of secret %s", [source.secretRef.name])] |
		some k, source in c.envFrom
		source.secretRef
	]
	found := array.concat(single, whole)
	count(found) > 0
	msga := {
		"alertMessage": sprintf("%s: container %s reads Secrets into environment variables: %s", [workloads.describe(obj), c.name, concat(", ", [what | some [_, what] in found])]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": [path | some [path, _] in found],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
