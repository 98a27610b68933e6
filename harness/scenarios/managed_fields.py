"""`metadata.managedFields` as the API server writes them: one entry per manager, in FieldsV1 form.

Pure: no I/O. FieldsV1 mirrors the object: `f:NAME` per map key (nested maps carry `.`),
`k:{...}` per item of a list merged by key (containers by name, ports by port and protocol, …),
`v:VALUE` per item of a set (finalizers); other lists are atomic (`f:NAME: {}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# List field → the keys that identify an item (the API's patchMergeKey/listMapKeys).
_MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "imagePullSecrets": ("name",),
    "addresses": ("type",),
    "hostIPs": ("ip",),
    "podIPs": ("ip",),
}
_SET_LISTS = frozenset({"finalizers"})


def _item_key(field: str, item: Mapping[str, Any]) -> str | None:
    if field == "ports":
        keys: tuple[str, ...] = (
            ("containerPort", "protocol") if "containerPort" in item else ("port", "protocol")
        )
    else:
        keys = _MERGE_KEYS.get(field, ())
    if not keys or not all(key in item for key in keys):
        return None
    return "k:" + json.dumps({key: item[key] for key in keys}, separators=(",", ":"), sort_keys=True)


def fields_v1(value: Mapping[str, Any], *, nested: bool = False) -> dict[str, Any]:
    """The FieldsV1 set of every field in `value`."""
    out: dict[str, Any] = {".": {}} if nested else {}
    for name, child in value.items():
        key = f"f:{name}"
        if isinstance(child, dict) and child:
            out[key] = fields_v1(child, nested=True)
        elif isinstance(child, list) and child and name in _SET_LISTS:
            out[key] = {f"v:{json.dumps(item, separators=(',', ':'))}": {} for item in child}
        elif isinstance(child, list) and child and all(isinstance(item, dict) for item in child):
            items = {_item_key(name, item): item for item in child}
            if None in items:
                out[key] = {}
            else:
                out[key] = {str(k): fields_v1(item, nested=True) for k, item in items.items()}
        else:
            out[key] = {}
    return out


def entry(
    manager: str,
    api_version: str,
    fields: Mapping[str, Any],
    time: str,
    *,
    operation: str = "Update",
    subresource: str | None = None,
) -> dict[str, Any]:
    """One managedFields entry, keys in the order the API server writes them."""
    result: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(fields),
    }
    if subresource:
        result["subresource"] = subresource
    return result
