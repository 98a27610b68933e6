"""Where objects come from: manifest files (files.py) or a live cluster (kube.py).

Both yield pages of plain dict objects plus SourceProblem values for what could not be read;
objects.py decides identity (resource IDs, duplicates, controller-owned objects). Sources never
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
    """A batch of objects as the source delivered them (one LIST page, or one file)."""

    objects: tuple[KubeObject, ...]


class SourceUnavailable(RuntimeError):
    """No object could be read at all (cluster unreachable, no manifest found)."""


class Source:
    """A stream of pages; `problems` fills as reading goes on; `kinds` is what was asked for."""

    problems: list[SourceProblem]
    description: str

    def pages(self) -> Iterator[Page]:
        raise NotImplementedError
