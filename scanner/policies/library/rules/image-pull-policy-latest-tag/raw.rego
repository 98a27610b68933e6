package armo_builtins

import data.workloads

# A container fails when its image is tagged latest (or untagged, which means latest) and its
# imagePullPolicy is set to something other than Always. Images pinned by digest pass; an unset
# policy passes too, because the API server defaults it to Always for latest images.
deny contains msga if {
	obj := input[_]
	some [list, i, c] in workloads.container_entries(obj)
	not contains(c.image, "@")
	image_tag(c.image) == "latest"
	c.imagePullPolicy != "Always"
	msga := {
		"alertMessage": sprintf("%s: container %s runs image %s with imagePullPolicy %s", [workloads.describe(obj), c.name, c.image, c.imagePullPolicy]),
		"packagename": "armo_builtins",
		"alertScore": 2,
		"failedPaths": [sprintf("%s.imagePullPolicy", [workloads.container_path(obj, list, i)])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

# The tag is what follows ":" in the last path segment (a ":" before that is a registry port).
image_tag(image) := tag if {
	last := image_last_segment(image)
	contains(last, ":")
	tag := split(last, ":")[1]
}

image_tag(image) := "latest" if not contains(image_last_segment(image), ":")

image_last_segment(image) := segment if {
	parts := split(image, "/")
	segment := parts[count(parts) - 1]
}
