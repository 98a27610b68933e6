package armo_builtins

import data.rbac

# Subjects that can get, list or watch core secrets through any binding. The join and the
# response shape are rbac.findings / rbac.subject_alert (convention documented in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]})
	msga := rbac.subject_alert(f, "can read secrets", 7)
}
