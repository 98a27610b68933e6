"""X1, beyond the plan: fields no selected rule reads are dropped from the live objects before evaluation.

Owns which fields may be dropped and the check, over the selected rules' Rego source, that no
rule can read them. `metadata.managedFields` and the `last-applied-configuration` annotation are
API-server and kubectl bookkeeping: often most of an object's bytes, read by no rule in our library
or in kubescape's regolibrary, yet converted into OPA's input at every evaluation. A field stays
when any selected rule names it, or reads objects whole (`walk`, `json.marshal`), or (for the
annotation) enumerates annotations by an unbound key, so a library that does read them scans them.
Pure: `prune` returns a pruned shallow copy and never changes its argument; the raw store keeps
the object as delivered, so the report is unchanged. Evaluates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.bookkeeping import LAST_APPLIED, MANAGED_FIELDS, without_bookkeeping

__all__ = ["LAST_APPLIED", "MANAGED_FIELDS", "NOTHING", "UnreadFields", "prune", "unread_fields"]

# Builtins that see an object whole: a rule using one may read any field.
_WHOLE_OBJECT_READERS = re.compile(
    r"\bwalk\(|\bjson\.(marshal|encode)|\byaml\.marshal|\bobject\.(remove|filter)\("
)
# Annotations read by a key that is not spelled out: `annotations[k]`, `annotations[_]`, `count(…annotations…)`.
_ANNOTATION_ENUMERATION = re.compile(
    r"annotations\s*\[\s*[A-Za-z_]\w*\s*\]|count\([^)]*annotations|some\s+[^\n]*\bin\b[^\n]*annotations"
)
_KEYS_OF = re.compile(r"object\.keys\(")
_KEYS_MEMBERSHIP = re.compile(r"\bin\s+object\.keys\(")


@dataclass(frozen=True)
class UnreadFields:
    """What `prune` drops; both False means the live objects are the delivered ones."""

    managed_fields: bool
    last_applied: bool

    @property
    def any(self) -> bool:
        return self.managed_fields or self.last_applied


NOTHING = UnreadFields(False, False)


def _enumerates_annotations(source: str) -> bool:
    if _ANNOTATION_ENUMERATION.search(source):
        return True
    # object.keys over annotations counts as enumeration unless it only tests one key's membership.
    return any(
        "annotations" in line and _KEYS_OF.search(line) and not _KEYS_MEMBERSHIP.search(line)
        for line in source.splitlines()
    )


def unread_fields(rule_sources: Iterable[str]) -> UnreadFields:
    """Which bookkeeping fields no rule among `rule_sources` (every module a selected rule loads) can read."""
    managed, applied = True, True
    for source in rule_sources:
        whole = bool(_WHOLE_OBJECT_READERS.search(source))
        if whole or MANAGED_FIELDS in source:
            managed = False
        if whole or "last-applied-configuration" in source or _enumerates_annotations(source):
            applied = False
    return UnreadFields(managed, applied)


def prune(obj: dict[str, Any], fields: UnreadFields) -> dict[str, Any]:
    """`obj` without the unread fields: a copy only of the mappings that change (metadata, annotations)."""
    return without_bookkeeping(obj, managed_fields=fields.managed_fields, last_applied=fields.last_applied)
