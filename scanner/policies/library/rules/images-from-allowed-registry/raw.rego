package armo_builtins

import data.workloads

# A container fails when its image matches no pattern of the imageRepositoryAllowList input.
# Patterns are regular expressions anchored at the start of the image reference, tried on the
# reference as written and as completed by Docker Hub's defaults (nginx is
# docker.io/library/nginx). An empty list allows nothing, so every image fails until it is set.
deny contains msga if {
	allowed := object.get(data.postureControlInputs, "imageRepositoryAllowList", [])
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	not image_allowed(c.image, allowed)
	msga := {
		"alertMessage": sprintf("%s: container %s runs image %s from a registry not on the allow list", [workloads.describe(obj), c.name, c.image]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("%s.image", [workloads.container_path(obj, list, i)])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

image_allowed(image, allowed) if {
	some pattern in allowed
	some reference in {image, full_reference(image)}
	regex.match(concat("", ["^", pattern]), reference)
}

full_reference(image) := concat("/", ["docker.io/library", image]) if not contains(image, "/")

full_reference(image) := concat("/", ["docker.io", image]) if {
	contains(image, "/")
	not registry_host(split(image, "/")[0])
}

full_reference(image) := image if {
	contains(image, "/")
	registry_host(split(image, "/")[0])
}

# Docker's rule: a first segment with a dot or a port, or localhost, names a registry.
registry_host(segment) if contains(segment, ".")

registry_host(segment) if contains(segment, ":")

registry_host(segment) if segment == "localhost"
