# RBAC joins for relational rules — binding → role → subject — done in Rego over the rule's input.
# Written for ksbench; rules depend on it with {"packageName": "rbac"}.
#
# Response convention for subject findings (every rule built on `findings` and `subject_alert`):
# - one response per (subject, binding, role); the set semantics make it deterministic;
# - alertObject.k8sApiObjects is [] and alertObject.externalObjects is the subject vector
#   {kind, name, namespace (ServiceAccounts only), apiVersion or apiGroup,
#    relatedObjects: [role, binding]}, as kubescape's subject-role-rolebinding aggregator builds it;
# - failedPaths are relative to that vector: "relatedObjects[0].rules[i].verbs[j]" (the role's
#   granting entries) and "relatedObjects[1].subjects[k]" (where the binding names the subject);
# - the response's own relatedObjects repeat role and binding, each with its paths relative to it.
#
# A rule that lists resourceNames is narrowed to named objects and counts as no broad grant.
package rbac

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# roles_of(binding, objs) is the set of roles in objs that binding.roleRef resolves to: a Role in
# the binding's namespace, or a ClusterRole by name (also from a RoleBinding). Empty when absent.
roles_of(binding, objs) := {role |
	some role in objs
	refers_to(binding, role)
}

refers_to(binding, role) if {
	binding.kind in binding_kinds
	binding.roleRef.kind == "ClusterRole"
	role.kind == "ClusterRole"
	role.metadata.name == binding.roleRef.name
}

refers_to(binding, role) if {
	binding.kind == "RoleBinding"
	binding.roleRef.kind == "Role"
	role.kind == "Role"
	role.metadata.name == binding.roleRef.name
	role.metadata.namespace == binding.metadata.namespace
}

# subject_of(s, binding) is the subject vector (without relatedObjects) of a binding's subject.
# A ServiceAccount without a namespace belongs to the binding's namespace.
subject_of(s, binding) := {
	"kind": "ServiceAccount",
	"name": s.name,
	"namespace": object.get(s, "namespace", object.get(binding.metadata, "namespace", "")),
	"apiVersion": "v1",
} if s.kind == "ServiceAccount"

subject_of(s, binding) := {"kind": s.kind, "name": s.name, "apiGroup": "rbac.authorization.k8s.io"} if {
	s.kind in {"User", "Group"}
}

# subject_paths(binding, subject) is the set of "subjects[k]" where binding names subject.
subject_paths(binding, subject) := {sprintf("subjects[%d]", [k]) |
	some k, s in binding.subjects
	subject_of(s, binding) == subject
}

# subject_label(subject) names a subject in messages: "ServiceAccount ns/name", "User name".
subject_label(subject) := sprintf("%s %s/%s", [subject.kind, subject.namespace, subject.name]) if {
	subject.kind == "ServiceAccount"
}

subject_label(subject) := sprintf("%s %s", [subject.kind, subject.name]) if subject.kind != "ServiceAccount"

# object_label(obj) names a namespaced or cluster-scoped object: "RoleBinding ns/name", "ClusterRole name".
object_label(obj) := sprintf("%s %s/%s", [obj.kind, obj.metadata.namespace, obj.metadata.name]) if {
	obj.metadata.namespace
}

object_label(obj) := sprintf("%s %s", [obj.kind, obj.metadata.name]) if not obj.metadata.namespace

# grant_paths(role, want) is the set of paths inside role ("rules[i].verbs[j]",
# "rules[i].resources[k]") of the rules that grant one of want.verbs on one of want.resources in
# one of want.apiGroups. A want entry "*" matches only a literal "*" in the role.
grant_paths(role, want) := {p |
	some i, r in role.rules
	grants(r, want)
	some p in rule_paths(i, r, want)
}

grants(r, want) if {
	not narrowed(r)
	some g in want.apiGroups
	group_matches(r, g)
	some res in want.resources
	resource_matches(r, res)
	some v in want.verbs
	verb_matches(r, v)
}

narrowed(r) if count(object.get(r, "resourceNames", [])) > 0

group_matches(r, g) if {
	some x in r.apiGroups
	x in {"*", g}
}

resource_matches(r, res) if {
	some x in r.resources
	resource_entry_matches(x, res)
}

verb_matches(r, v) if {
	some x in r.verbs
	x in {"*", v}
}

# Kubernetes' own matching: "*" is every resource and subresource, "*/sub" every `sub` subresource.
resource_entry_matches(x, _) if x == "*"

resource_entry_matches(x, res) if x == res

resource_entry_matches(x, res) if {
	startswith(x, "*/")
	contains(res, "/")
	x == concat("", ["*/", substring(res, indexof(res, "/") + 1, -1)])
}

rule_paths(i, r, want) := verb_paths | resource_paths if {
	verb_paths := {sprintf("rules[%d].verbs[%d]", [i, j]) |
		some j, x in r.verbs
		some v in want.verbs
		x in {"*", v}
	}
	resource_paths := {sprintf("rules[%d].resources[%d]", [i, k]) |
		some k, x in r.resources
		some res in want.resources
		resource_entry_matches(x, res)
	}
}

# findings(objs, want) is the set of {subject, binding, role, rolePaths, subjectPaths}: every
# subject of every binding in objs whose resolved role grants `want` (see grant_paths).
findings(objs, want) := {f |
	some binding in objs
	binding.kind in binding_kinds
	some role in roles_of(binding, objs)
	role_paths := grant_paths(role, want)
	count(role_paths) > 0
	some s in binding.subjects
	subject := subject_of(s, binding)
	f := {
		"subject": subject,
		"binding": binding,
		"role": role,
		"rolePaths": role_paths,
		"subjectPaths": subject_paths(binding, subject),
	}
}

# subject_alert(f, what, score) is the response for a finding (see the convention above).
subject_alert(f, what, score) := {
	"alertMessage": sprintf("%s %s (%s -> %s)", [subject_label(f.subject), what, object_label(f.binding), object_label(f.role)]),
	"packagename": "armo_builtins",
	"alertScore": score,
	"failedPaths": sort({p | some x in f.rolePaths; p := concat("", ["relatedObjects[0].", x])} | {p | some x in f.subjectPaths; p := concat("", ["relatedObjects[1].", x])}),
	"fixPaths": [],
	"alertObject": {
		"k8sApiObjects": [],
		"externalObjects": object.union(f.subject, {"relatedObjects": [f.role, f.binding]}),
	},
	"relatedObjects": [
		{"object": f.role, "failedPaths": sort(f.rolePaths)},
		{"object": f.binding, "failedPaths": sort(f.subjectPaths)},
	],
}

# service_account_name(spec) is the ServiceAccount a pod spec runs as ("default" when unset).
service_account_name(spec) := object.get(spec, "serviceAccountName", object.get(spec, "serviceAccount", "default"))

# service_accounts(name, namespace, objs) is the set of ServiceAccount objects in objs so named.
service_accounts(name, namespace, objs) := {sa |
	some sa in objs
	sa.kind == "ServiceAccount"
	sa.metadata.name == name
	sa.metadata.namespace == namespace
}

# token_source(spec, namespace, objs) says why a pod spec gets an API token mounted, or is
# undefined when it does not: "pod" (the pod spec asks), "serviceaccount" (the pod spec is silent
# and its ServiceAccount does not opt out) or "default" (silent, and no ServiceAccount in objs).
token_source(spec, _, _) := "pod" if spec.automountServiceAccountToken == true

token_source(spec, namespace, objs) := "serviceaccount" if {
	not has_automount(spec)
	some sa in service_accounts(service_account_name(spec), namespace, objs)
	not sa.automountServiceAccountToken == false
}

token_source(spec, namespace, objs) := "default" if {
	not has_automount(spec)
	count(service_accounts(service_account_name(spec), namespace, objs)) == 0
}

has_automount(spec) if is_boolean(spec.automountServiceAccountToken)
