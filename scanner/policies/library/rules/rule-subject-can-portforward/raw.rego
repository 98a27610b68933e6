package armo_builtins

import data.rbac

# Subjects that can tunnel into pods: create on pods/portforward (or */portforward).
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]})
	msga := rbac.subject_alert(f, "can port-forward to pods", 6)
}
