package armo_builtins

# A Node whose reported kubelet (status.nodeInfo.kubeletVersion) is older than the configured
# minimumKubeletVersion fails. Versions compare on major.minor.patch; build suffixes such as
# "-eks-1a2b" or "+k3s1" are ignored, and a version that does not parse is not judged.
deny contains msga if {
	node := input[_]
	node.kind == "Node"
	running := node.status.nodeInfo.kubeletVersion
	minimum := data.postureControlInputs.minimumKubeletVersion
	version_triple(running) < version_triple(minimum)
	msga := {
		"alertMessage": sprintf("Node %s runs kubelet %s, older than %s", [node.metadata.name, running, minimum]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": ["status.nodeInfo.kubeletVersion"],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [node]},
	}
}

# version_triple("v1.29.4-eks-1") is [1, 29, 4].
version_triple(v) := [to_number(parts[0]), to_number(parts[1]), to_number(parts[2])] if {
	regex.match(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$`, v)
	core := split(split(trim_prefix(v, "v"), "-")[0], "+")[0]
	parts := split(core, ".")
}
