"""Posture exceptions in kubescape's format: which (resource, control) pairs are accepted risks.

A file holds a JSON list of policies: {"name", "policyType": "postureExceptionPolicy",
"actions": ["alertOnly"], "resources": [{"designatorType": "Attributes", "attributes": {...}}],
"posturePolicies": [{"controlID": ...} | {"frameworkName": ...}]}. Attribute values are
regular expressions matched in full; `kind`, `name`, `namespace` and `apiGroup` match the
object, any other attribute matches a label. Pure apart from reading the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.inventory import ResourceMeta

_OBJECT_FIELDS = {"kind": "kind", "name": "name", "namespace": "namespace", "apiGroup": "api_group"}


class ExceptionsError(ValueError):
    """An exceptions file that cannot be read."""


@dataclass(frozen=True)
class PostureException:
    name: str
    designators: tuple[tuple[tuple[str, re.Pattern[str]], ...], ...]
    control_ids: frozenset[str]
    frameworks: frozenset[str]

    def covers(self, meta: ResourceMeta, control_id: str, frameworks: frozenset[str]) -> bool:
        named = self.control_ids or self.frameworks
        if named and control_id not in self.control_ids and not (self.frameworks & frameworks):
            return False
        labels = dict(meta.labels)
        for attributes in self.designators:
            if all(_attribute_matches(meta, labels, key, pattern) for key, pattern in attributes):
                return True
        return False


def _attribute_matches(
    meta: ResourceMeta, labels: dict[str, str], key: str, pattern: re.Pattern[str]
) -> bool:
    if key == "cluster":
        return True  # one cluster per scan
    value = getattr(meta, _OBJECT_FIELDS[key]) if key in _OBJECT_FIELDS else labels.get(key)
    return value is not None and pattern.fullmatch(value) is not None


def _parse(raw: Any, where: str) -> PostureException:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ExceptionsError(f"{where}: each exception needs a name")
    designators = []
    for resource in raw.get("resources") or []:
        attributes = (resource or {}).get("attributes") or {}
        try:
            designators.append(tuple(sorted((k, re.compile(str(v))) for k, v in attributes.items())))
        except re.error as exc:
            raise ExceptionsError(f"{where} ({raw['name']}): bad pattern: {exc}") from exc
    policies = raw.get("posturePolicies") or []
    return PostureException(
        name=str(raw["name"]),
        designators=tuple(designators),
        control_ids=frozenset(p["controlID"] for p in policies if p.get("controlID")),
        frameworks=frozenset(p["frameworkName"] for p in policies if p.get("frameworkName")),
    )


def load_exceptions(path: Path) -> list[PostureException]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ExceptionsError(f"{path}: {exc}") from exc
    if not isinstance(raw, list):
        raise ExceptionsError(f"{path}: expected a JSON list of posture exception policies")
    return [_parse(item, f"{path}[{i}]") for i, item in enumerate(raw)]


def exceptions_for(
    exceptions: list[PostureException], meta: ResourceMeta | None, control_id: str, frameworks: frozenset[str]
) -> list[str]:
    if meta is None:
        return []
    return [e.name for e in exceptions if e.covers(meta, control_id, frameworks)]
