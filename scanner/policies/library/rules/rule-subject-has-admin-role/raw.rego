package armo_builtins

import data.rbac

# Subjects bound to a role that grants every verb on every resource of every group, as
# cluster-admin does; through a RoleBinding that is admin of one namespace.
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
	msga := rbac.subject_alert(f, "has administrative rights", 9)
}
