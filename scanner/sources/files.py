"""Manifest files and folders: multi-document YAML, JSON, `kind: List`.

A malformed document is reported with its file and position and the rest is read. Every input
is bounded (scanner.sources.limits): a file above the per-file size, an object above the
per-object size or nesting depth, and a YAML document whose aliases expand beyond the per-file
size are refused with a problem naming the file. YAML is read as Kubernetes reads it, as JSON
values: timestamps and binary stay strings. Every object is delivered with where it is
(`file:line`, `file:line item N`): whether two copies of one object conflict is the inventory's
rule, the same for every source. Reads files only.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from scanner.decode import Dialect, Meter, OverBudget, load_json, load_yaml_all
from scanner.sources import Page, Source, SourceProblem, SourceUnavailable
from scanner.sources.limits import DeadlineExceeded, ReadLimits, over_limits, read_bounded
from scanner.sources.objects import is_valid_object
from scanner.walk import walk_files

SUFFIXES = (".yaml", ".yml", ".json")
_MAX_LIST_NESTING = 4  # a List of Lists is already unusual; deeper is refused before it can recurse far


class _ManifestLoader(yaml.SafeLoader):
    """SafeLoader's scalars as JSON values, as the API server would store them (timestamps and
    binary stay text); mappings are built by scanner.decode with `_json_key`."""


_YAML_TYPES = {type(None): "null", list: "a sequence", dict: "a mapping"}


def _json_key(key: Any, mark: Any, _mapping_mark: Any) -> str:
    # JSON objects have string keys: kubectl turns `1:` or `true:` into "1" and "true" before
    # the API server sees them, so a key that is a number or boolean is read as that text.
    # A key of any other type (null, a list) has no such form and is malformed. Keys are
    # converted as they are read: `1` and `true` are equal Python keys, not equal texts.
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return str(key)
    what = _YAML_TYPES.get(type(key), type(key).__name__)
    message = f"a mapping key is {what}: only strings, numbers and booleans can be keys"
    raise yaml.constructor.ConstructorError(None, None, message, mark)


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _set_as_mapping(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_ManifestLoader.add_constructor("tag:yaml.org,2002:binary", _as_text)
_ManifestLoader.add_constructor("tag:yaml.org,2002:set", _set_as_mapping)
_MANIFESTS = Dialect(loader=_ManifestLoader, key=_json_key, sets_as_mappings=True)


def _link_problem(path: Path) -> SourceProblem | None:
    """A symbolic link that leads nowhere (broken, or a loop) is a problem, not a silent skip."""
    try:
        path.stat()
    except OSError as exc:
        why = "a symbolic link loop" if exc.errno == errno.ELOOP else f"cannot be followed: {exc.strerror}"
        return SourceProblem(str(path), f"cannot read: {why}")
    return None


def _manifest_paths(paths: list[Path]) -> tuple[list[Path], list[SourceProblem]]:
    """The manifest files under `paths`, and what was skipped under them (FolderTooDeep when too deep)."""
    found: list[Path] = []
    problems: list[SourceProblem] = []
    for path in paths:
        if path.is_dir():
            walk = walk_files(path, SUFFIXES)
            found += walk.files
            problems += [SourceProblem(str(s.path), s.reason) for s in walk.skipped]
        elif path.is_file():
            found.append(path)
        elif path.is_symlink() and (problem := _link_problem(path)) is not None:
            raise SourceUnavailable(f"{problem.where}: {problem.reason}")
        else:
            raise SourceUnavailable(f"{path}: no such file or folder")
    return found, problems


class FileSource(Source):
    def __init__(self, paths: list[Path], limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self.paths, self.problems = _manifest_paths(paths)
        if not self.paths:
            reason = f": {self.problems[0].where}: {self.problems[0].reason}" if self.problems else ""
            raise SourceUnavailable(
                f"no manifest (.yaml, .yml, .json) found in {', '.join(map(str, paths))}{reason}"
            )
        self.description = f"files: {len(self.paths)} manifest file(s)"

    def pages(self) -> Iterator[Page]:
        for number, path in enumerate(self.paths):
            try:
                self.limits.deadline.check()
            except DeadlineExceeded as exc:
                left = len(self.paths) - number
                self.problems.append(SourceProblem(str(path), f"not read ({left} file(s) left): {exc}"))
                return
            placed = list(self.placed_objects(path))
            if placed:
                with self.limits.deadline.paused():  # the scan's time with the page is not reading
                    yield Page(
                        tuple(obj for _, obj in placed), str(path), tuple(where for where, _ in placed)
                    )

    def _read_text(self, path: Path) -> str | None:
        limit = self.limits.max_file_bytes
        try:
            data = read_bounded(path, limit)
        except OSError as exc:
            self.problems.append(SourceProblem(str(path), f"cannot read: {exc.strerror or exc}"))
            return None
        if data is None:
            self.problems.append(
                SourceProblem(
                    str(path), f"not read: larger than --max-file-bytes {limit:,} ({_size_of(path)})"
                )
            )
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(SourceProblem(str(path), f"cannot read: not UTF-8 text ({exc.reason})"))
            return None

    def placed_objects(self, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
        """The objects of one file, each with where it is (`file:line`, `file:line item N`)."""
        text = self._read_text(path)
        if text is None:
            return
        meter = Meter(self.limits.budget())
        try:
            docs = self._documents(path, text, meter)
        except OverBudget as exc:
            self.problems.append(SourceProblem(str(path), f"not read: {exc}"))
            return
        except DeadlineExceeded as exc:
            self.problems.append(SourceProblem(str(path), f"not read to the end: {exc}"))
            return
        for where, doc in docs:
            yield from self._objects(where, doc)

    def _documents(self, path: Path, text: str, meter: Meter) -> list[tuple[str, Any]]:
        """Every document of the file, decoded within one budget for the whole file (OverBudget past it)."""
        if path.suffix == ".json":
            try:
                return [(str(path), load_json(text, meter))]
            except json.JSONDecodeError as exc:
                self.problems.append(
                    SourceProblem(f"{path}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}")
                )
                return []
            except RecursionError:
                self.problems.append(SourceProblem(str(path), "malformed JSON: nested too deeply"))
                return []
        return list(self._yaml_documents(path, text, meter))

    def _yaml_documents(self, path: Path, text: str, meter: Meter) -> Iterator[tuple[str, Any]]:
        # Documents are split first so one malformed document does not hide the others.
        line = 1
        for chunk in _split_documents(text):
            start, where = line, f"{path}:{line}"
            line += chunk.count("\n") + 1  # the chunk's lines and the `---` line after it
            counted = meter.counted()
            try:
                # SafeLoader's scalars (no arbitrary objects), counted against the file's budget as parsed
                docs = list(load_yaml_all(chunk, meter, _MANIFESTS))
            except OverBudget as exc:
                # Nothing of this document is kept, so it no longer counts: the next one is read.
                meter.restore(counted)
                self.problems.append(SourceProblem(where, f"not read: {exc}"))
                continue
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                at = f"{path}:{start + mark.line}:{mark.column + 1}" if mark else where
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                self.problems.append(SourceProblem(at, f"malformed YAML: {problem}"))
                continue
            except RecursionError:
                self.problems.append(SourceProblem(where, "malformed YAML: nested too deeply"))
                continue
            except (ValueError, TypeError) as exc:  # PyYAML's own constructors, e.g. `!!set` on a mapping
                self.problems.append(SourceProblem(where, f"malformed YAML: {exc}"))
                continue
            doc = docs[0] if docs else None  # a chunk holds one document: it was split on `---`
            if doc is not None:
                yield where, doc

    def _objects(self, where: str, doc: Any, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
        if (isinstance(doc, dict) and doc.get("kind") == "List") or isinstance(doc, list):
            items = doc if isinstance(doc, list) else doc.get("items")
            if items is None:
                items = []
            if not isinstance(items, list) or depth >= _MAX_LIST_NESTING:
                shape = (
                    f"items is a {type(items).__name__}, not a list"
                    if not isinstance(items, list)
                    else "Lists nested too deeply"
                )
                self.problems.append(SourceProblem(where, f"not a Kubernetes List: {shape}"))
                return
            for index, item in enumerate(items):
                yield from self._objects(f"{where} item {index}", item, depth + 1)
            return
        invalid = is_valid_object(doc)
        if invalid:
            self.problems.append(SourceProblem(where, f"not a Kubernetes object: {invalid}"))
            return
        why = over_limits(doc, self.limits.max_object_bytes, self.limits.max_depth)
        if why:
            self.problems.append(
                SourceProblem(
                    where,
                    f"{doc['kind']} {_name_of(doc)} not read: {why} (--max-object-bytes, nesting limit)",
                    kind=doc["kind"],
                    api_group=str(doc["apiVersion"]).rpartition("/")[0],
                )
            )
            return
        yield where, doc


def _name_of(doc: dict[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def _size_of(path: Path) -> str:
    try:
        return f"{os.stat(path).st_size:,} bytes"
    except OSError:
        return "size unknown"


def _split_documents(text: str) -> list[str]:
    """Split a YAML stream on `---` lines, keeping line counts exact (separator lines included)."""
    chunks: list[list[str]] = [[]]
    for raw_line in text.split("\n"):
        if raw_line.rstrip() == "---" or raw_line.startswith("--- "):
            chunks.append([])
            continue
        chunks[-1].append(raw_line)
    # Each chunk keeps the line break before its `---`: a block scalar at the end of a document keeps
    # its final newline, as it does when the stream is read whole.
    return ["\n".join(chunk) + "\n" for chunk in chunks]
