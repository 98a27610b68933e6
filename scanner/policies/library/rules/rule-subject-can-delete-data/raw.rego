package armo_builtins

import data.rbac

# Kinds whose deletion destroys data or takes applications down. The groups and kinds are
# matched as a cross product, so an odd grant such as apps/secrets also counts: a review, not a miss.
destructible := {
	"apiGroups": ["", "apps", "batch"],
	"resources": [
		"configmaps", "cronjobs", "daemonsets", "deployments", "jobs", "namespaces",
		"persistentvolumeclaims", "persistentvolumes", "pods", "replicasets", "secrets",
		"services", "statefulsets",
	],
	"verbs": ["delete", "deletecollection"],
}

# Subjects that can delete workloads, volumes or secrets.
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings(destructible)
	msga := rbac.subject_alert(f, "can delete workloads or data", 6)
}
