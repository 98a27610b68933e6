"""Manifest files and folders: multi-document YAML, JSON, `kind: List`.

A malformed document is reported with its file and position and the rest is read.
Reads files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from scanner.sources import Page, Source, SourceProblem, SourceUnavailable
from scanner.sources.objects import is_valid_object

SUFFIXES = (".yaml", ".yml", ".json")


def _manifest_paths(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise SourceUnavailable(f"{path}: no such file or folder")
    return found


class FileSource(Source):
    def __init__(self, paths: list[Path]) -> None:
        self.paths = _manifest_paths(paths)
        if not self.paths:
            raise SourceUnavailable(f"no manifest (.yaml, .yml, .json) found in {', '.join(map(str, paths))}")
        self.problems = []
        self.description = f"files: {len(self.paths)} manifest file(s)"

    def pages(self) -> Iterator[Page]:
        for path in self.paths:
            objects = list(self._read(path))
            if objects:
                yield Page(tuple(objects))

    def _read(self, path: Path) -> Iterator[dict[str, Any]]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(SourceProblem(str(path), f"cannot read: {exc}"))
            return
        if path.suffix == ".json":
            try:
                docs: list[tuple[str, Any]] = [(str(path), json.loads(text))]
            except json.JSONDecodeError as exc:
                self.problems.append(
                    SourceProblem(f"{path}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}")
                )
                return
        else:
            docs = list(self._yaml_documents(path, text))
        for where, doc in docs:
            yield from self._objects(where, doc)

    def _yaml_documents(self, path: Path, text: str) -> Iterator[tuple[str, Any]]:
        # Documents are split first so one malformed document does not hide the others.
        line = 1
        for chunk in _split_documents(text):
            try:
                doc = yaml.safe_load(chunk)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"{path}:{line + mark.line}:{mark.column + 1}" if mark else f"{path}:{line}"
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                self.problems.append(SourceProblem(where, f"malformed YAML: {problem}"))
            else:
                if doc is not None:
                    yield f"{path}:{line}", doc
            line += chunk.count("\n") + 2  # the chunk's lines and the `---` line after it

    def _objects(self, where: str, doc: Any) -> Iterator[dict[str, Any]]:
        if (isinstance(doc, dict) and doc.get("kind") == "List") or isinstance(doc, list):
            items = doc if isinstance(doc, list) else doc.get("items") or []
            for index, item in enumerate(items):
                yield from self._objects(f"{where} item {index}", item)
            return
        why = is_valid_object(doc)
        if why:
            self.problems.append(SourceProblem(where, f"not a Kubernetes object: {why}"))
            return
        yield doc


def _split_documents(text: str) -> list[str]:
    """Split a YAML stream on `---` lines, keeping line counts exact (separator lines included)."""
    chunks: list[list[str]] = [[]]
    for raw_line in text.split("\n"):
        if raw_line.rstrip() == "---" or raw_line.startswith("--- "):
            chunks.append([])
            continue
        chunks[-1].append(raw_line)
    return ["\n".join(chunk) for chunk in chunks]
