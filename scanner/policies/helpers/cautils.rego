# Helper functions that kubescape's regolibrary rules import as data.cautils.
# Written for ksbench from the functions' documented behaviour.
package cautils

# list_contains(list, x) holds when x is an element of list.
list_contains(list, x) if {
	list[_] == x
}

# unix_permissions_allow(allowed, actual) holds when every permission bit set in `actual`
# (a mode as a number, e.g. 420 for 0644) is also set in `allowed`: allowed first, as the
# regolibrary rules call it (`not unix_permissions_allow(allowed_perms, file.permissions)`).
unix_permissions_allow(allowed, actual) if {
	bits.and(actual, allowed) == actual
}

# is_subobject(sub, super) holds when every key of sub appears in super with an equal value.
is_subobject(sub, super) if {
	every key, value in sub {
		super[key] == value
	}
}

# label_selector_matches(selector, labels) holds when a metav1.LabelSelector (matchLabels and
# matchExpressions) selects an object with `labels`; the empty selector selects everything.
label_selector_matches(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every e in object.get(selector, "matchExpressions", []) {
		label_expression_matches(e, labels)
	}
}

label_expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

label_expression_matches(e, labels) if {
	e.operator == "NotIn"
	not labels[e.key] in e.values
}

label_expression_matches(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

label_expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(labels)
}
