"""Scenario manifests: a scenario's objects written as one `kind: List` JSON file per kind, and read back.

Must not talk to a cluster; writes only into the folder it is given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.results import writing
from harness.scenarios.fingerprint import Fingerprint, canonical_json, fingerprint
from harness.scenarios.format import Scenario
from harness.scenarios.kinds import KIND_BY_NAME, WIDGET
from harness.scenarios.source import scenario_objects


def manifest_groups(objects: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Objects grouped per kind in creation order: (file stem, objects)."""
    order = [*KIND_BY_NAME, WIDGET.kind]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for obj in objects:
        groups.setdefault(str(obj["kind"]), []).append(obj)
    ranked = sorted(groups, key=lambda kind: (order.index(kind) if kind in order else len(order), kind))
    return [(f"{index:02d}-{kind.lower()}", groups[kind]) for index, kind in enumerate(ranked)]


def render(scenario: Scenario, out_dir: Path, *, with_duplicates: bool = True) -> Fingerprint:
    """Write the objects as one `kind: List` JSON file per kind (canonical JSON, one item a line).

    With `with_duplicates`, the adversarial scenario's duplicated objects are written a second
    time in the same file (the scanner's file mode must count them once).
    """
    objects = scenario_objects(scenario)
    out_dir.mkdir(parents=True, exist_ok=True)
    duplicated = _duplicated_keys(objects, scenario.duplicates) if with_duplicates else set()
    for stem, group in manifest_groups(objects):
        items = [canonical_json(obj) for obj in group]
        items += [canonical_json(obj) for obj in group if _key(obj) in duplicated]
        body = b'{"apiVersion":"v1","kind":"List","items":[\n' + b",\n".join(items) + b"\n]}\n"
        tmp = out_dir / f".{stem}.json.tmp"
        with writing(out_dir / f"{stem}.json"):
            tmp.write_bytes(body)
            tmp.replace(out_dir / f"{stem}.json")
    return fingerprint(scenario.name, objects)


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (str(obj["kind"]), str(meta.get("namespace", "")), str(meta["name"]))


def _duplicated_keys(objects: Sequence[Mapping[str, Any]], count: int) -> set[tuple[str, str, str]]:
    """Every (len/count)-th namespaced object: spread over kinds, chosen without randomness."""
    if count <= 0:
        return set()
    candidates = [obj for obj in objects if "namespace" in obj["metadata"]]
    step = max(1, len(candidates) // count)
    return {_key(obj) for obj in candidates[::step][:count]}


def read_manifest_dir(manifest_dir: Path) -> list[dict[str, Any]]:
    """Objects of a directory written by `render` (List files in name order), duplicates included."""
    objects: list[dict[str, Any]] = []
    for path in sorted(manifest_dir.glob("*.json")):
        document = json.loads(path.read_bytes())
        objects.extend(document["items"] if document.get("kind") == "List" else [document])
    return objects
