package armo_builtins

import data.workloads

# Each mount of a hostPath volume that is not readOnly: true is a finding: readOnly: false is
# the failed path, a missing readOnly gets a fix.
deny contains msga if {
	obj := input[_]
	host_volumes := {volume.name: volume.hostPath.path | some [_, volume] in workloads.volume_entries(obj); volume.hostPath}
	some [list, i, c] in workloads.container_entries(obj)
	some m, mount in c.volumeMounts
	host_path := host_volumes[mount.name]
	not mount.readOnly == true
	mount_path := sprintf("%s.volumeMounts[%d].readOnly", [workloads.container_path(obj, list, i), m])
	msga := {
		"alertMessage": sprintf("%s: container %s mounts the node's path %s writable (volume %s)", [workloads.describe(obj), c.name, host_path, mount.name]),
		"packagename": "armo_builtins",
		"alertScore": 8,
		"failedPaths": [mount_path | mount.readOnly == false],
		"fixPaths": [{"path": mount_path, "value": "true"} | not has_read_only(mount)],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}

has_read_only(mount) if _ = mount.readOnly
