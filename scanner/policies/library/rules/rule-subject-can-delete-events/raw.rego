package armo_builtins

import data.rbac

# Subjects that can erase the audit trail events give: delete or deletecollection on events,
# in the core group or events.k8s.io.
# Join and response shape: rbac.findings / rbac.subject_alert (convention in rbac.rego).
deny contains msga if {
	some f in rbac.findings({"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["delete", "deletecollection"]})
	msga := rbac.subject_alert(f, "can delete events", 4)
}
