"""The API server's and kubectl's bookkeeping in an object: `metadata.managedFields` and the
`kubectl.kubernetes.io/last-applied-configuration` annotation, and an object without them.

One definition for the two places that drop them: X1 in the scan (scanner.unread decides whether
any selected rule reads them) and a derived scenario's stripped cluster with parity across it
(scanner.parity). Pure: returns a copy of only the mappings that change, never changes its argument.
"""

from __future__ import annotations

from typing import Any

MANAGED_FIELDS = "managedFields"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def without_bookkeeping(obj: dict[str, Any], *, managed_fields: bool, last_applied: bool) -> dict[str, Any]:
    """`obj` without managedFields and/or the last-applied annotation (an annotations mapping left empty stays)."""
    metadata = obj.get("metadata")
    if not (managed_fields or last_applied) or not isinstance(metadata, dict):
        return obj
    annotations = metadata.get("annotations")
    drop_managed = managed_fields and MANAGED_FIELDS in metadata
    drop_applied = last_applied and isinstance(annotations, dict) and LAST_APPLIED in annotations
    if not (drop_managed or drop_applied):
        return obj
    pruned_meta = {k: v for k, v in metadata.items() if not (drop_managed and k == MANAGED_FIELDS)}
    if drop_applied and isinstance(annotations, dict):
        pruned_meta["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return {**obj, "metadata": pruned_meta}
