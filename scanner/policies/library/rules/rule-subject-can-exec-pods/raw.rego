package armo_builtins

import data.rbac

# Subjects that can open a shell in running containers: create on pods/exec (or */exec).
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
	msga := rbac.subject_alert(f, "can exec into containers", 8)
}
