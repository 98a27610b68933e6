"""Where objects come from: manifest files (files.py) or a live cluster (kube.py).

Both yield pages of plain dict objects plus SourceProblem values for what could not be read;
objects.py decides identity (resource IDs, what makes two copies one object, controller-owned
objects); the inventory applies it to every object, whatever its source. Sources never
evaluate or keep objects: the inventory holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

KubeObject = dict[str, Any]


@dataclass(frozen=True)
class SourceProblem:
    """Something a source could not read: a file or document, or one API resource type."""

    where: str  # file:line:column, or group/version/resource
    reason: str
    kind: str | None = None  # the object kind that is missing because of it, when known
    api_group: str | None = None


@dataclass(frozen=True)
class Page:
    """A batch of objects as the source delivered them (one LIST page, or one file).

    `where` names the page (`LIST /api/v1/pods page 2`), `places` each object when they differ
    (`pods.yaml:12`): a conflict between two copies of one object names both.
    """

    objects: tuple[KubeObject, ...]
    where: str = ""
    places: tuple[str, ...] = ()

    def place(self, index: int) -> str:
        """Where object `index` of this page came from."""
        return self.places[index] if index < len(self.places) else self.where


class SourceUnavailable(RuntimeError):
    """No object could be read at all (cluster unreachable, no manifest found)."""


class Source:
    """A stream of pages; `problems` fills as reading goes on; `kinds` is what was asked for."""

    problems: list[SourceProblem]
    description: str

    def pages(self) -> Iterator[Page]:
        raise NotImplementedError
