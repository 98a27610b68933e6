# Where a workload keeps its pod spec, for rules over Pods and the controllers that template them.
# Written for ksbench; rules depend on it with {"packageName": "workloads"}.
package workloads

pod_spec(obj) := obj.spec if obj.kind == "Pod"

pod_spec(obj) := obj.spec.template.spec if {
	obj.kind in {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"}
}

pod_spec(obj) := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

# The path prefix of the pod spec, as kubescape writes failed paths.
spec_path(obj) := "spec" if obj.kind == "Pod"

spec_path(obj) := "spec.template.spec" if {
	obj.kind in {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"}
}

spec_path(obj) := "spec.jobTemplate.spec.template.spec" if obj.kind == "CronJob"

# container_entries(obj) is the set of [list name, index, container] of a workload.
container_entries(obj) := {[kind, i, c] |
	spec := pod_spec(obj)
	some kind in ["containers", "initContainers"]
	some i, c in spec[kind]
}
