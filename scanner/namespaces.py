"""X5, beyond the plan: a namespace-local join's input split into groups keyed by namespace.

A rule that declares `"joinKey": "namespace"` in its metadata attributes joins an object only with
objects of the same namespace: a Service selects Pods of its own namespace, a NetworkPolicy applies
to Pods of its own namespace, and a Namespace holds the objects whose metadata.namespace is its
name. Such a rule's result for one object depends only on the objects of its namespace, so it can
be evaluated namespace by namespace and no single evaluation holds the whole cluster
(docs/relational-rules.md, "X5"). Which rules may declare it is reviewed rule by rule, and a test
evaluates every declared rule split and whole on clusters whose joins a wrong grouping would break.

An object's key is the namespace it belongs to, read as the declared rules read it:
- a Namespace: its metadata.name (the rules compare a namespaced object's namespace with it);
- any other object: metadata.namespace, and "default" when it has none (the rules read
  `object.get(obj.metadata, "namespace", "default")`; a rule that reads the namespace without a
  default never joins such an object, so where it lands changes nothing).
A namespace that holds nothing the rule selects forms no group; a Namespace object whose namespace
holds nothing forms a group of itself. Groups are packed in key order into evaluations of at most
`budget` objects, a larger namespace evaluated alone (scanner.subjects.pack); each object is in
exactly one group, so no response is emitted twice, and the evaluator merges the parts before
recording as it does X4's (scanner.evaluate). Input this module cannot key as the Rego would
(metadata that is not an object, a name or namespace that is not a string) raises Unsplittable,
and the rule is evaluated whole. Pure: reads the live objects, evaluates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.sources.objects import ResourceID
from scanner.subjects import Unsplittable, pack

JOIN_KEY = "namespace"  # attributes.joinKey of a rule X5 may split
DEFAULT_NAMESPACE = "default"  # where the declared rules place an object without metadata.namespace

NamespaceKey = tuple[str, ...]  # (namespace,): the shape scanner.subjects.pack sorts


def namespace_key(obj: Mapping[str, Any]) -> NamespaceKey:
    """The namespace an object joins in (see the module docstring); raises Unsplittable."""
    metadata = obj.get("metadata")
    if metadata is None:
        return (DEFAULT_NAMESPACE,)  # the rules' reads of it are undefined: it joins nothing
    if not isinstance(metadata, Mapping):
        raise Unsplittable("metadata is not an object")
    field = "name" if obj.get("kind") == "Namespace" else "namespace"
    if field not in metadata:
        return (DEFAULT_NAMESPACE,)
    value = metadata[field]
    if not isinstance(value, str):
        raise Unsplittable(f"metadata.{field} is not a string")
    return (value,)


def namespace_groups(
    ids: Sequence[ResourceID], objects: Mapping[ResourceID, Mapping[str, Any]]
) -> dict[NamespaceKey, list[ResourceID]]:
    """Each namespace's group, in key order; members keep the order of `ids`, each in one group."""
    groups: dict[NamespaceKey, list[ResourceID]] = {}
    for rid in ids:
        groups.setdefault(namespace_key(objects[rid]), []).append(rid)
    return dict(sorted(groups.items()))


def split_by_namespace_key(
    ids: Sequence[ResourceID], objects: Mapping[ResourceID, Mapping[str, Any]], budget: int
) -> tuple[int, list[list[ResourceID]]]:
    """(the number of groups, the evaluations): `ids` split by namespace and packed; raises Unsplittable."""
    groups = namespace_groups(ids, objects)
    return len(groups), pack(groups, ids, max(1, budget))
