package armo_builtins

import data.rbac

# Subjects that can create pods, and so run any image with any service account of the namespace.
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]})
	msga := rbac.subject_alert(f, "can create pods", 5)
}
