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
import io
import json
import os
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from harness.exit_codes import UsageError
from harness.results import writing
from harness.scenarios.anonymise import Anonymiser, collect_names
from harness.scenarios.fingerprint import Fingerprint, canonical_json, fingerprint
from harness.scenarios.kinds import BUILTIN_KINDS
from scanner.bounded import MIB, over_limits, read_bounded, read_text_bounded
from scanner.decode import Budget, Dialect, Meter, OverBudget, json_decoder, json_precount, load_yaml_all
from scanner.walk import FolderTooDeep, walk_files

Obj = dict[str, Any]
_MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")
# A dump file, and any one document in it as it decodes (aliases counted each time they appear).
DUMP_MAX_BYTES = 256 * MIB
DUMP_MAX_DEPTH = 100  # the scanner's own bound: deep enough for any CRD schema
# A zip (kubescape ships its fixture as allResourcesMock.json.zip: one member, 1.7 MB → 60 MB, 36:1):
# members, decompressed bytes in all (the dump bound), and bytes out per byte in, counted as read.
ZIP_MAX_MEMBERS = 1_000
ZIP_MAX_RATIO = 200
_ZIP_CHUNK = 1024 * 1024
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
    """Each document, decoded within the dump's budget (values, items, characters) as it is parsed."""
    meter = Meter(
        Budget.for_bytes(DUMP_MAX_BYTES, DUMP_MAX_DEPTH, source=f"a dump of {DUMP_MAX_BYTES:,} bytes")
    )
    try:
        yield from _documents_within(text, source, meter)
    except OverBudget as exc:
        raise UsageError(f"{source}: not read: {exc}") from exc


def _documents_within(text: str, source: Path, meter: Meter) -> Iterator[Any]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        json_precount(text, meter)
        decoder = json_decoder(meter)
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
        for doc in load_yaml_all(text, meter, Dialect()):  # SafeLoader's values
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
        try:
            walk = walk_files(source, _MANIFEST_SUFFIXES)
        except FolderTooDeep as exc:
            raise UsageError(str(exc)) from exc
        if walk.skipped:  # an import is all of the dump or nothing: a part left out would go unseen
            first = walk.skipped[0]
            more = f" (and {len(walk.skipped) - 1} more)" if len(walk.skipped) > 1 else ""
            raise UsageError(f"{first.path}: {first.reason}{more}")
        paths = list(walk.files)
        if not paths:
            raise UsageError(f"{source}: no .json, .yaml or .yml manifests in this folder")
    elif source.exists():
        paths = [source]  # a FIFO or device is refused by name by the bounded reader
    else:
        raise UsageError(f"{source} does not exist")
    objects: list[Obj] = []
    for path in paths:
        for name, text in _texts(path):
            for document in _documents_of_text(text, name):
                objects.extend(_objects_of(document, name))
    if not objects:
        raise UsageError(f"{source}: no Kubernetes objects found")
    return objects


def _texts(path: Path) -> list[tuple[Path, str]]:
    """The text of a dump file, or of each member of a zip (named `archive.zip/member`)."""
    try:
        if path.suffix != ".zip":
            return [(path, read_text_bounded(path, DUMP_MAX_BYTES, "dump file"))]
        data = read_bounded(path, DUMP_MAX_BYTES)
        if data is None:
            raise ValueError(f"dump file {path} is larger than {DUMP_MAX_BYTES:,} bytes")
        return _zip_texts(path, data)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, or not UTF-8
        raise UsageError(f"{path}: cannot read: {exc}") from exc


def _zip_texts(path: Path, data: bytes) -> list[tuple[Path, str]]:
    """Each manifest member's text; bounds are counted on the bytes read, never on the sizes a header claims."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UsageError(f"{path}: not a zip archive: {exc}") from exc
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > ZIP_MAX_MEMBERS:
        raise UsageError(f"{path}: {len(members):,} members, more than {ZIP_MAX_MEMBERS:,}: not a dump")
    texts: list[tuple[Path, str]] = []
    total = 0
    for info in members:
        if Path(info.filename).suffix not in _MANIFEST_SUFFIXES:
            continue
        name = path / info.filename  # for messages only: nothing is written under it
        read, chunks = 0, []
        try:
            with archive.open(info) as member:
                while chunk := member.read(_ZIP_CHUNK):
                    read += len(chunk)
                    total += len(chunk)
                    if total > DUMP_MAX_BYTES:
                        raise UsageError(f"{name}: the archive expands beyond {DUMP_MAX_BYTES:,} bytes")
                    if read > ZIP_MAX_RATIO * max(info.compress_size, 1) + _ZIP_CHUNK:
                        raise UsageError(
                            f"{name}: expands more than {ZIP_MAX_RATIO}:1 ({info.compress_size:,} bytes packed)"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise UsageError(f"{name}: cannot read from the archive: {exc}") from exc
        try:
            texts.append((name, b"".join(chunks).decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise UsageError(f"{name}: not UTF-8 text ({exc.reason})") from exc
    if not texts:
        raise UsageError(f"{path}: no .json, .yaml or .yml member in this archive")
    return texts


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
    with (
        writing(objects_file),
        tmp.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle,
    ):
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
    with writing(scenario_file):
        scenario_file.write_text("\n".join(lines), encoding="utf-8")
    return ImportResult(scenario_file, objects_file, fingerprint(name, objects), skipped, added)
