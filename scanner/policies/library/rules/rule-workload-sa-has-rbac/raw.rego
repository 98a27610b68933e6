package armo_builtins

import data.rbac
import data.workloads

# A workload whose pods get their ServiceAccount's token mounted (see rbac.token_source) while a
# binding anywhere in the cluster grants that ServiceAccount a role with at least one rule: the
# container can act on the API with those rights. One response per (workload, binding, role);
# the alert object is the workload, the binding (subjects) and role (rules) are related objects.
deny contains msga if {
	obj := input[_]
	spec := workloads.pod_spec(obj)
	namespace := object.get(obj.metadata, "namespace", "default")
	rbac.token_source(spec, namespace)
	subject := {"kind": "ServiceAccount", "name": rbac.service_account_name(spec), "namespace": namespace, "apiVersion": "v1"}
	some binding in rbac.bindings_of(subject)
	subject_paths := rbac.subject_paths(binding, subject)
	count(subject_paths) > 0
	some role in rbac.roles_of(binding)
	count(object.get(role, "rules", [])) > 0
	msga := {
		"alertMessage": sprintf("%s: runs with the token of %s, granted %s by %s", [workloads.describe(obj), rbac.subject_label(subject), rbac.object_label(role), rbac.object_label(binding)]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"reviewPaths": review_paths(obj, spec),
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [obj]},
		"relatedObjects": [
			{"object": binding, "failedPaths": sort(subject_paths)},
			{"object": role, "reviewPaths": [sprintf("rules[%d]", [i]) | _ = role.rules[i]]},
		],
	}
}

review_paths(obj, spec) := [sprintf("%s.serviceAccountName", [workloads.spec_path(obj)])] if spec.serviceAccountName

review_paths(obj, spec) := [] if not spec.serviceAccountName
