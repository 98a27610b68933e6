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

# container_path(obj, list, i) is the path of one container, e.g. spec.template.spec.containers[1].
container_path(obj, list, i) := sprintf("%s.%s[%d]", [spec_path(obj), list, i])

# describe(obj) names an object in alert messages as "Kind: namespace/name".
describe(obj) := sprintf("%s: %s/%s", [obj.kind, object.get(obj.metadata, "namespace", ""), obj.metadata.name])

# The metadata the workload's pods get (labels, annotations), and its path.
pod_metadata_path(obj) := "metadata" if obj.kind == "Pod"

pod_metadata_path(obj) := "spec.template.metadata" if {
	obj.kind in {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"}
}

pod_metadata_path(obj) := "spec.jobTemplate.spec.template.metadata" if obj.kind == "CronJob"

pod_metadata(obj) := object.get(obj, split(pod_metadata_path(obj), "."), {})

# volume_entries(obj) is the set of [index, volume] of a workload's pod volumes.
volume_entries(obj) := {[i, v] |
	some i, v in pod_spec(obj).volumes
}

# effective_security(obj, c, field) is a container's securityContext field, else the pod's.
effective_security(obj, c, field) := c.securityContext[field]

effective_security(obj, c, field) := pod_spec(obj).securityContext[field] if {
	not has_container_security(c, field)
}

# effective_security_path(obj, list, i, c, field) is where effective_security found the value.
effective_security_path(obj, list, i, c, field) := sprintf("%s.securityContext.%s", [container_path(obj, list, i), field]) if {
	has_container_security(c, field)
}

effective_security_path(obj, list, i, c, field) := sprintf("%s.securityContext.%s", [spec_path(obj), field]) if {
	not has_container_security(c, field)
	_ = pod_spec(obj).securityContext[field]
}

has_container_security(c, field) if _ = c.securityContext[field]
