# Helper functions that kubescape's regolibrary rules import as data.cautils.
# Written for ksbench from the functions' documented behaviour.
package cautils

# list_contains(list, x) holds when x is an element of list.
list_contains(list, x) if {
	list[_] == x
}

# unix_permissions_allow(granted, allowed) holds when every permission bit set in
# `granted` (an octal mode as a number, e.g. 420 for 0644) is also set in `allowed`.
unix_permissions_allow(granted, allowed) if {
	bits.and(granted, allowed) == granted
}

# is_subobject(sub, super) holds when every key of sub appears in super with an equal value.
is_subobject(sub, super) if {
	every key, value in sub {
		super[key] == value
	}
}
