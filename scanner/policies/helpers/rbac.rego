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

# Indexes over the rule's input, each built once per evaluation (complete rules are computed once;
# the multi-value rules group in one pass), so that a rule looks objects up instead of scanning
# the input for every object: the joins stay linear on every engine.
# Lookups bind the key to a local first (`k := ...; xs[k][_]`): rego-cpp mis-evaluates a
# comprehension that indexes with a function argument or call directly.

# bindings is the set of RoleBindings and ClusterRoleBindings in the input.
bindings := {b | b := input[_]; b.kind in binding_kinds}

# roles_by_key maps role_key to the set of Roles and ClusterRoles in the input so keyed.
roles_by_key := {k: roles | roles := _roles_by_key[k]}

_roles_by_key[k] contains role if {
	role := input[_]
	k := role_key(role)
}

# role_key(role) is ["ClusterRole", name] or ["Role", namespace, name]; undefined for other kinds.
role_key(role) := ["ClusterRole", role.metadata.name] if role.kind == "ClusterRole"

role_key(role) := ["Role", role.metadata.namespace, role.metadata.name] if role.kind == "Role"

# ref_key(binding) is the role_key binding.roleRef resolves to: a Role in the binding's
# namespace, or a ClusterRole by name (also from a RoleBinding).
ref_key(binding) := ["ClusterRole", binding.roleRef.name] if {
	binding.kind in binding_kinds
	binding.roleRef.kind == "ClusterRole"
}

ref_key(binding) := ["Role", binding.metadata.namespace, binding.roleRef.name] if {
	binding.kind == "RoleBinding"
	binding.roleRef.kind == "Role"
}

# roles_of(binding) is the set of roles in the input that binding.roleRef resolves to (see
# ref_key). Empty when absent.
roles_of(binding) := {role | k := ref_key(binding); role := roles_by_key[k][_]}

# bindings_by_subject maps a subject vector (subject_of) to the set of bindings naming it.
bindings_by_subject := {subject: bs | bs := _bindings_by_subject[subject]}

_bindings_by_subject[subject] contains binding if {
	binding := bindings[_]
	s := binding.subjects[_]
	subject := subject_of(s, binding)
}

# bindings_of(subject) is the set of bindings in the input that name subject. Empty when none.
bindings_of(subject) := {b | k := subject; b := bindings_by_subject[k][_]}

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
	s := binding.subjects[k]
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
	r := role.rules[i]
	grants(r, want)
	p := rule_paths(i, r, want)[_]
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
		x := r.verbs[j]
		v := want.verbs[_]
		x in {"*", v}
	}
	resource_paths := {sprintf("rules[%d].resources[%d]", [i, k]) |
		x := r.resources[k]
		res := want.resources[_]
		resource_entry_matches(x, res)
	}
}

# findings(want) is the set of {subject, binding, role, rolePaths, subjectPaths}: every subject
# of every binding in the input whose resolved role grants `want` (see grant_paths).
findings(want) := {f |
	binding := bindings[_]
	role := roles_of(binding)[_]
	role_paths := grant_paths(role, want)
	count(role_paths) > 0
	s := binding.subjects[_]
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
	# concat, not sprintf: rego-cpp's %s quotes a string that arrives as a function argument.
	"alertMessage": concat("", [subject_label(f.subject), " ", what, " (", object_label(f.binding), " -> ", object_label(f.role), ")"]),
	"packagename": "armo_builtins",
	"alertScore": score,
	"failedPaths": sort({p | x := f.rolePaths[_]; p := concat("", ["relatedObjects[0].", x])} | {p | x := f.subjectPaths[_]; p := concat("", ["relatedObjects[1].", x])}),
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

# service_accounts(name, namespace) is the set of ServiceAccount objects in the input so named.
service_accounts(name, namespace) := {sa | k := [namespace, name]; sa := service_accounts_by_key[k][_]}

# service_accounts_by_key maps [namespace, name] to the ServiceAccounts in the input so named.
service_accounts_by_key := {k: sas | sas := _service_accounts_by_key[k]}

_service_accounts_by_key[k] contains sa if {
	sa := input[_]
	sa.kind == "ServiceAccount"
	k := [sa.metadata.namespace, sa.metadata.name]
}

# token_source(spec, namespace) says why a pod spec gets an API token mounted, or is undefined
# when it does not: "pod" (the pod spec asks), "serviceaccount" (the pod spec is silent and its
# ServiceAccount does not opt out) or "default" (silent, and no ServiceAccount in the input).
token_source(spec, _) := "pod" if spec.automountServiceAccountToken == true

token_source(spec, namespace) := "serviceaccount" if {
	not has_automount(spec)
	some sa in service_accounts(service_account_name(spec), namespace)
	not sa.automountServiceAccountToken == false
}

token_source(spec, namespace) := "default" if {
	not has_automount(spec)
	count(service_accounts(service_account_name(spec), namespace)) == 0
}

has_automount(spec) if is_boolean(spec.automountServiceAccountToken)
