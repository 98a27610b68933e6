package armo_builtins

import data.workloads

# Sockets of the container runtimes kubelet talks to, and folders that hold them.
runtime_sockets := {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock"}

runtime_socket_dirs := {"/run", "/var/run", "/run/containerd", "/var/run/containerd", "/run/crio", "/var/run/crio", "/run/docker", "/var/run/docker"}

# A hostPath volume fails when it is a runtime socket, or a folder the socket lives in.
deny contains msga if {
	obj := input[_]
	some [k, volume] in workloads.volume_entries(obj)
	path := volume.hostPath.path
	runtime_socket(path)
	msga := {
		"alertMessage": sprintf("%s: volume %s exposes the container runtime socket (hostPath %s)", [workloads.describe(obj), volume.name, path]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("%s.volumes[%d].hostPath.path", [workloads.spec_path(obj), k])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

runtime_socket(path) if {
	parts := split(path, "/")
	parts[count(parts) - 1] in runtime_sockets
}

runtime_socket(path) if trim_suffix(path, "/") in runtime_socket_dirs
