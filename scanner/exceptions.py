"""Posture exceptions in kubescape's format: which (resource, control) pairs are accepted risks.

A file holds a JSON list of policies: {"name", "policyType": "postureExceptionPolicy",
"actions": ["alertOnly"], "resources": [{"designatorType": "Attributes", "attributes": {...}}],
"posturePolicies": [{"controlID": ...} | {"frameworkName": ...}]}. Attribute values are
regular expressions matched in full; `kind`, `name`, `namespace` and `apiGroup` match the
object, any other attribute matches a label. Pure apart from reading the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]

from scanner.bounded import OPTION_FILE_MAX_BYTES, read_json_bounded
from scanner.inventory import ResourceMeta

# Attribute patterns run on values from the cluster: RE2, linear in the value's length whatever the
# pattern (kubescape matches them with Go's regexp, which is RE2 too). Python's re backtracks:
# `(a+)+b` on 24 characters of a label value took 2.5 s. Errors are ours to report, not RE2's log.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class Pattern(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


_OBJECT_FIELDS = {"kind": "kind", "name": "name", "namespace": "namespace", "apiGroup": "api_group"}


class ExceptionsError(ValueError):
    """An exceptions file that cannot be read."""


@dataclass(frozen=True)
class PostureException:
    name: str
    designators: tuple[tuple[tuple[str, Pattern], ...], ...]
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


def _attribute_matches(meta: ResourceMeta, labels: dict[str, str], key: str, pattern: Pattern) -> bool:
    if key == "cluster":
        return True  # one cluster per scan
    value = getattr(meta, _OBJECT_FIELDS[key]) if key in _OBJECT_FIELDS else labels.get(key)
    return value is not None and pattern.fullmatch(value) is not None


def _designator(resource: Any, where: str) -> tuple[tuple[str, Pattern], ...]:
    if not isinstance(resource, dict):
        raise ExceptionsError(f"{where}: each resources entry is an object with attributes")
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict) or not attributes:
        # An empty designator would match every resource: an exception must say what it covers.
        raise ExceptionsError(f"{where}: attributes must name at least one of kind, name, namespace, a label")
    found = []
    for key, value in attributes.items():
        if not isinstance(value, str | int | float | bool):
            raise ExceptionsError(f"{where}: attribute {key!r} must be a string pattern")
        try:
            found.append((str(key), re2.compile(str(value), _RE2_OPTIONS)))
        except (re2.error, OverflowError, TypeError) as exc:
            reason = (
                exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            )
            raise ExceptionsError(f"{where}: attribute {key!r}: bad pattern (RE2 syntax): {reason}") from exc
    return tuple(sorted(found, key=lambda pair: pair[0]))


def _named(policies: list[Any], field: str) -> frozenset[str]:
    return frozenset(str(p[field]) for p in policies if p.get(field))


def _parse(raw: Any, where: str) -> PostureException:
    if not isinstance(raw, dict) or not raw.get("name") or not isinstance(raw["name"], str):
        raise ExceptionsError(f"{where}: each exception is an object with a name")
    where = f"{where} ({raw['name']})"
    resources = raw.get("resources")
    if not isinstance(resources, list):
        raise ExceptionsError(f"{where}: resources must be a list, got {type(resources).__name__}")
    if not resources:
        raise ExceptionsError(f"{where}: resources is empty: the exception would cover nothing")
    designators = tuple(_designator(r, f"{where} resources[{i}]") for i, r in enumerate(resources))
    policies = raw.get("posturePolicies") or []
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise ExceptionsError(
            f'{where}: posturePolicies must be a list of objects like {{"controlID": "C-0057"}}'
        )
    for policy in policies:
        for field in ("controlID", "frameworkName"):
            if field in policy and not isinstance(policy[field], str):
                raise ExceptionsError(f"{where}: posturePolicies {field} must be a string")
    return PostureException(
        name=raw["name"],
        designators=designators,
        control_ids=_named(policies, "controlID"),
        frameworks=_named(policies, "frameworkName"),
    )


def load_exceptions(path: Path) -> list[PostureException]:
    try:
        raw = read_json_bounded(path, OPTION_FILE_MAX_BYTES, "--exceptions")
    except OSError as exc:
        raise ExceptionsError(f"--exceptions {path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, not UTF-8, not JSON
        raise ExceptionsError(f"{path}: {exc}") from exc
    except RecursionError as exc:
        raise ExceptionsError(f"{path}: nested too deeply") from exc
    if not isinstance(raw, list):
        raise ExceptionsError(f"{path}: expected a JSON list of posture exception policies")
    return [_parse(item, f"{path}[{i}]") for i, item in enumerate(raw)]


def exceptions_for(
    exceptions: list[PostureException], meta: ResourceMeta | None, control_id: str, frameworks: frozenset[str]
) -> list[str]:
    if meta is None:
        return []
    return [e.name for e in exceptions if e.covers(meta, control_id, frameworks)]
