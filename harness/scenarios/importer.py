"""Real cluster dumps as scenarios: read a dump, keep what the embedded server can serve, anonymise, write.

Reads three forms: `kubectl get -A -o json` output (a `List`, or several JSON documents), a
folder of manifests (YAML or JSON, multi-document, `kind: List` included, searched
recursively), or a JSON map of resource ID → object as kubescape's processor tests load it (IDs
`group/version/namespace/Kind/name`, the core group and cluster scope empty). Writes
NAME.toml and NAME.objects.json.gz into the scenarios folder; harness.scenarios.source reads
them back. Must not talk to a cluster.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from harness.exit_codes import UsageError
from harness.scenarios.anonymise import Anonymiser, collect_names
from harness.scenarios.fingerprint import Fingerprint, canonical_json, fingerprint
from harness.scenarios.kinds import BUILTIN_KINDS
from scanner.bounded import MIB, over_limits, read_text_bounded

Obj = dict[str, Any]
_MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")
# A dump file, and any one document in it as it decodes (aliases counted each time they appear).
DUMP_MAX_BYTES = 256 * MIB
DUMP_MAX_DEPTH = 100  # the scanner's own bound: deep enough for any CRD schema
# Created first, in this order: what the others need to exist (namespaces, then CRDs for custom kinds).
_FIRST_KINDS = ("Namespace", "CustomResourceDefinition")
_SERVED = {(info.api_version, info.kind) for info in BUILTIN_KINDS}


@dataclass(frozen=True)
class ImportResult:
    scenario_file: Path
    objects_file: Path
    fingerprint: Fingerprint
    skipped: dict[str, int]  # kind (apiVersion) → objects the embedded server cannot serve
    added_namespaces: int  # namespaces referenced but missing from the dump


def _documents_of_text(text: str, source: Path) -> Iterator[Any]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        decoder = json.JSONDecoder()
        index = 0
        # `kubectl get -o json` of several resource types may print several documents in a row.
        while index < len(text):
            while index < len(text) and text[index].isspace():
                index += 1
            if index >= len(text):
                break
            try:
                document, index = decoder.raw_decode(text, index)
            except ValueError as exc:
                raise UsageError(f"{source}: not valid JSON: {exc}") from exc
            except RecursionError as exc:
                raise UsageError(f"{source}: JSON nested too deeply to be a cluster dump") from exc
            _check_size(document, source)
            yield document
        return
    try:
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                _check_size(doc, source)
                _check_keys(doc, source)
                yield doc
    except yaml.YAMLError as exc:
        raise UsageError(f"{source}: not valid YAML or JSON: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise UsageError(f"{source}: YAML nested too deeply to be a cluster dump") from exc
    except (ValueError, TypeError) as exc:  # PyYAML's own constructors, e.g. `!!set` on a mapping
        raise UsageError(f"{source}: not valid YAML: {exc}") from exc


def _check_size(document: Any, source: Path) -> None:
    """Measured before anything walks it: an alias bomb or a deep nest is refused by name."""
    why = over_limits(document, DUMP_MAX_BYTES, DUMP_MAX_DEPTH, "document")
    if why:
        raise UsageError(f"{source}: {why}")


def _check_keys(value: Any, source: Path) -> None:
    """A dump from an API server has text keys only; a hand-written `1:` or `true:` is refused by name.

    (The scanner reads such keys as kubectl sends them; an imported scenario is stored as JSON, where
    `1` and `true` would collide before they could be turned into text.)
    """
    stack = [value]
    while stack:  # a loop, not recursion: a dump may nest deeper than Python's recursion limit
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise UsageError(f'{source}: mapping key {key!r} is not text: quote it ("{key}")')
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def _objects_of(document: Any, source: Path) -> Iterator[Obj]:
    if isinstance(document, list):
        for item in document:
            yield from _objects_of(item, source)
    elif isinstance(document, dict):
        if document.get("kind") == "List" or str(document.get("kind", "")).endswith("List"):
            yield from _objects_of(document.get("items") or [], source)
        elif "kind" in document and "metadata" in document:
            yield document
        elif document and all(isinstance(key, str) and key.count("/") == 4 for key in document):
            yield from _resource_map(document, source)
        else:
            raise UsageError(
                f"{source}: neither a Kubernetes object, a List, nor a map of resource ID → object"
            )


def _resource_map(document: dict[str, Any], source: Path) -> Iterator[Obj]:
    """kubescape's form: "group/version/namespace/Kind/name" → object (apiVersion and kind filled in when absent)."""
    for resource_id, obj in document.items():
        if not isinstance(obj, dict):
            raise UsageError(f"{source}: {resource_id}: the value is not an object")
        group, version, namespace, kind, name = resource_id.split("/")
        filled = dict(obj)
        filled.setdefault("apiVersion", f"{group}/{version}" if group else version)
        filled.setdefault("kind", kind)
        meta = dict(filled.get("metadata") or {})
        meta.setdefault("name", name)
        if namespace:
            meta.setdefault("namespace", namespace)
        filled["metadata"] = meta
        yield filled


def read_dump(source: Path) -> list[Obj]:
    """Every object of a dump file or folder, in file order (folders: files sorted by path)."""
    if source.is_dir():
        paths = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix in _MANIFEST_SUFFIXES)
        if not paths:
            raise UsageError(f"{source}: no .json, .yaml or .yml manifests in this folder")
    elif source.is_file():
        paths = [source]
    else:
        raise UsageError(f"{source} does not exist")
    objects: list[Obj] = []
    for path in paths:
        try:
            text = read_text_bounded(path, DUMP_MAX_BYTES, "dump file")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except ValueError as exc:  # too large, or not UTF-8
            raise UsageError(f"{path}: cannot read: {exc}") from exc
        for document in _documents_of_text(text, path):
            objects.extend(_objects_of(document, path))
    if not objects:
        raise UsageError(f"{source}: no Kubernetes objects found")
    return objects


def servable(objects: list[Obj]) -> tuple[list[Obj], dict[str, int], int]:
    """What the embedded server can serve: built-in kinds and kinds of CRDs in the dump; namespaces added where missing.

    Returns (objects in creation order, skipped per kind, namespaces added).
    """
    custom = set()
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            for version in spec.get("versions") or []:
                custom.add(
                    (f"{spec.get('group')}/{version.get('name')}", (spec.get("names") or {}).get("kind"))
                )
    kept: list[Obj] = []
    skipped: Counter[str] = Counter()
    seen: set[tuple[str, str, str]] = set()
    for obj in objects:
        meta = obj.get("metadata")
        key = (str(obj.get("apiVersion")), str(obj.get("kind")))
        if not isinstance(meta, dict) or not meta.get("name") or (key not in _SERVED and key not in custom):
            skipped[f"{key[1]} ({key[0]})"] += 1
            continue
        identity = (key[1], str(meta.get("namespace", "")), str(meta["name"]))
        if identity in seen:
            continue  # the same object twice in one dump (several files or resource types)
        seen.add(identity)
        kept.append(obj)
    namespaces = {o["metadata"]["name"] for o in kept if o["kind"] == "Namespace"}
    missing = sorted(
        {str(o["metadata"]["namespace"]) for o in kept if o["metadata"].get("namespace")} - namespaces
    )
    kept += [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in missing]
    rank = {kind: i for i, kind in enumerate(_FIRST_KINDS)}
    kept.sort(key=lambda o: rank.get(o["kind"], len(rank)))  # stable: the dump's order otherwise
    return kept, dict(sorted(skipped.items())), len(missing)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)


def import_dump(
    source: Path,
    name: str,
    out_dir: Path,
    *,
    anonymise: bool = True,
    key: bytes | None = None,
) -> ImportResult:
    """Import a dump as scenario NAME into out_dir; anonymised unless told otherwise (key: random per import)."""
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise UsageError(f"scenario name {name!r} is not allowed; letters, digits, '-' and '_' are")
    objects, skipped, added = servable(read_dump(source))
    if anonymise:
        anonymiser = Anonymiser(key or os.urandom(64), collect_names(objects))
        objects = [anonymiser.obj(obj) for obj in objects]
    counts = Counter(str(obj["kind"]) for obj in objects)
    out_dir.mkdir(parents=True, exist_ok=True)
    objects_file = out_dir / f"{name}.objects.json.gz"
    body = (
        b'{"apiVersion":"v1","kind":"List","items":[\n'
        + b",\n".join(canonical_json(o) for o in objects)
        + b"\n]}\n"
    )
    tmp = out_dir / f".{objects_file.name}.tmp"
    # mtime 0: the same import writes the same bytes.
    with tmp.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(body)
    tmp.replace(objects_file)
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    described = (
        f"Imported {len(objects)} objects on {when}{' (anonymised)' if anonymise else ' (not anonymised)'}."
    )
    lines = [
        f"name = {_toml_string(name)}",
        f"description = {_toml_string(described)}",
        f"imported = {_toml_string(objects_file.name)}",
        f"total_resources = {len(objects)}",
        f"namespaces = {counts.get('Namespace', 0)}",
        f"nodes = {counts.get('Node', 0)}",
        "",
        "[counts]  # objects per kind in the objects file",
        *(f"{_toml_string(kind)} = {count}" for kind, count in sorted(counts.items())),
        "",
    ]
    scenario_file = out_dir / f"{name}.toml"
    scenario_file.write_text("\n".join(lines), encoding="utf-8")
    return ImportResult(scenario_file, objects_file, fingerprint(name, objects), skipped, added)
