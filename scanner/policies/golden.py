"""Golden cases of a rule (rules/<name>/test/<case>/{input/, expected.json}) and their comparison.

Pure apart from reading the case files; the caller evaluates with an engine.
An expected response is compared on alertMessage, each path list it names, and the identity
(kind, name, namespace) of the objects in alertObject.k8sApiObjects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scanner.policies import PolicyError, Rule

PATH_FIELDS = ("failedPaths", "fixPaths", "reviewPaths", "deletePaths")


@dataclass(frozen=True)
class GoldenCase:
    rule: str
    name: str
    objects: tuple[dict[str, Any], ...]
    expected: tuple[dict[str, Any], ...]
    data: dict[str, Any] | None = None


def _read_objects(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
    objects: list[dict[str, Any]] = []
    for doc in docs:
        if doc is None:
            continue
        if isinstance(doc, list):
            objects.extend(doc)
        elif doc.get("kind") == "List":
            objects.extend(doc.get("items", []))
        else:
            objects.append(doc)
    return objects


def load_cases(rule_dir: Path, rule: Rule) -> list[GoldenCase]:
    cases = []
    test_dir = rule_dir / "test"
    if not test_dir.is_dir():
        return []
    for case_dir in sorted(d for d in test_dir.iterdir() if d.is_dir()):
        expected_path = case_dir / "expected.json"
        if not expected_path.exists():
            raise PolicyError(f"{case_dir}: no expected.json")
        objects = [o for p in sorted((case_dir / "input").glob("*")) for o in _read_objects(p)]
        data_path = case_dir / "data.json"
        data = json.loads(data_path.read_text(encoding="utf-8")) if data_path.exists() else None
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        cases.append(GoldenCase(rule.name, case_dir.name, tuple(objects), tuple(expected), data))
    return cases


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("name", ""), meta.get("namespace", ""))


def summarise(response: dict[str, Any], fields: set[str] | None = None) -> dict[str, Any]:
    """The comparable part of a response: message, path lists, alerted objects' identities."""
    fields = set(PATH_FIELDS) if fields is None else fields
    out: dict[str, Any] = {"alertMessage": response.get("alertMessage", "")}
    for key in PATH_FIELDS:
        if key in fields:
            value = response.get(key) or []
            out[key] = sorted(json.dumps(v, sort_keys=True) for v in value)
    objects = (response.get("alertObject") or {}).get("k8sApiObjects") or []
    out["objects"] = sorted(_identity(o) for o in objects)
    return out


def compare(expected: tuple[dict[str, Any], ...], actual: tuple[dict[str, Any], ...]) -> list[str]:
    """Differences between expected and actual responses, as readable lines; [] when equal."""
    want = sorted(
        (summarise(e, {k for k in PATH_FIELDS if k in e}) for e in expected),
        key=lambda s: json.dumps(s, sort_keys=True),
    )
    fields_named = {k for e in expected for k in PATH_FIELDS if k in e}
    got = sorted((summarise(a, fields_named) for a in actual), key=lambda s: json.dumps(s, sort_keys=True))
    problems = []
    for item in want:
        if item not in got:
            problems.append(f"missing: {json.dumps(item, sort_keys=True)}")
    for item in got:
        if item not in want:
            problems.append(f"unexpected: {json.dumps(item, sort_keys=True)}")
    return problems
