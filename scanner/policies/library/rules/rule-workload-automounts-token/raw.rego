package armo_builtins

import data.rbac
import data.workloads

# A workload whose pods get an API token mounted fails. The pod spec's
# automountServiceAccountToken wins; when it is unset the workload's ServiceAccount (same
# namespace) decides, and a ServiceAccount missing from the input means Kubernetes' default: mount.
deny contains msga if {
	obj := input[_]
	spec := workloads.pod_spec(obj)
	namespace := object.get(obj.metadata, "namespace", "default")
	source := rbac.token_source(spec, namespace)
	sa_name := rbac.service_account_name(spec)
	msga := {
		"alertMessage": sprintf("%s: mounts the API token of ServiceAccount %s/%s (%s)", [workloads.describe(obj), namespace, sa_name, reasons[source]]),
		"packagename": "armo_builtins",
		"alertScore": 6,
		"failedPaths": failed_paths(obj, source),
		"fixPaths": fix_paths(obj, source),
		"alertObject": {"k8sApiObjects": [obj]},
		"relatedObjects": [{"object": sa, "fixPaths": [{"path": "automountServiceAccountToken", "value": "false"}]} |
			sa := rbac.service_accounts(sa_name, namespace)[_]
		],
	}
}

reasons := {
	"pod": "set on the pod spec",
	"serviceaccount": "the ServiceAccount does not opt out",
	"default": "no ServiceAccount found to opt out",
}

failed_paths(obj, "pod") := [sprintf("%s.automountServiceAccountToken", [workloads.spec_path(obj)])]

failed_paths(_, source) := [] if source != "pod"

fix_paths(_, "pod") := []

fix_paths(obj, source) := [{"path": sprintf("%s.automountServiceAccountToken", [workloads.spec_path(obj)]), "value": "false"}] if {
	source != "pod"
}
