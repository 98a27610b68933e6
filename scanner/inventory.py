"""The collected objects: identity, duplicates, the kind index, and where raw objects live.

One identity rule for every source (scanner.sources.objects): an identical copy of an object is
dropped and counted; a copy with other content is a conflict naming both copies, on its kind.

Objects are added as the source delivers them; the index answers "which objects are of this
kind". P5 and P6 release objects from here; the redacted raw form the report carries then lives
in a spill file (SpillRawStore) rather than in memory, so releasing never changes the report.
Evaluates nothing and knows no controls: it only holds what the source delivered.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from scanner.redact import redact
from scanner.sources import KubeObject, SourceProblem
from scanner.sources.objects import (
    ResourceID,
    content_digest,
    identity_key,
    is_valid_object,
    namespace_of,
    owned_by_controller,
    resource_id,
    split_api_version,
    with_metadata,
)


@dataclass(frozen=True)
class ResourceMeta:
    """What later stages read of an object once it is released: exceptions match on these."""

    api_group: str
    kind: str
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]


def meta_of(obj: KubeObject) -> ResourceMeta:
    metadata = obj.get("metadata") or {}
    labels = metadata.get("labels") or {}
    return ResourceMeta(
        api_group=split_api_version(str(obj["apiVersion"]))[0],
        kind=str(obj["kind"]),
        name=str(metadata.get("name", "")),
        namespace=str(metadata.get("namespace") or ""),
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())) if isinstance(labels, dict) else (),
    )


class MemoryRawStore:
    """Raw objects stay in memory with the live ones; redacted when the report reads them."""

    def __init__(self) -> None:
        self._objects: dict[ResourceID, KubeObject] = {}

    def put(self, rid: ResourceID, obj: KubeObject) -> None:
        self._objects[rid] = obj

    def get(self, rid: ResourceID) -> dict[str, Any]:
        return redact(self._objects[rid])

    def close(self) -> None:
        self._objects.clear()


class SpillRawStore:
    """Redacted raw objects appended to a temporary file, read back one at a time by the report."""

    def __init__(self) -> None:
        # Open for the scan's lifetime and closed by close(): a `with` block cannot span it.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="ksbench-raw-")  # noqa: SIM115
        self._where: dict[ResourceID, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def put(self, rid: ResourceID, obj: KubeObject) -> None:
        line = json.dumps(redact(obj), sort_keys=True, separators=(",", ":")).encode()
        with self._lock:
            offset = self._file.seek(0, 2)
            self._file.write(line)
            self._where[rid] = (offset, len(line))

    def get(self, rid: ResourceID) -> dict[str, Any]:
        offset, length = self._where[rid]
        with self._lock:
            self._file.seek(offset)
            loaded: dict[str, Any] = json.loads(self._file.read(length))
        return loaded

    def close(self) -> None:
        self._file.close()


RawStore = MemoryRawStore | SpillRawStore


@dataclass
class CollectionCounters:
    objects_collected: int = 0
    duplicates_dropped: int = 0
    owned_by_controller: int = 0
    invalid_objects: int = 0
    objects_released: int = 0
    objects_held: int = 0
    peak_objects_held: int = 0


class Inventory:
    """Live objects by ID, their metadata, and an index by (api group, version, kind)."""

    def __init__(
        self, raw_store: RawStore, live_form: Callable[[KubeObject], KubeObject] | None = None
    ) -> None:
        self.objects: dict[ResourceID, KubeObject] = {}
        # X1: what evaluation sees may be a pruned copy; the raw store always gets the object as delivered.
        self._live_form = live_form
        self.meta: dict[ResourceID, ResourceMeta] = {}
        self.namespace_of: dict[ResourceID, str] = {}
        self.order: list[ResourceID] = []
        self.raw = raw_store
        self.counters = CollectionCounters()
        self.invalid: list[tuple[ResourceID | str, str]] = []
        # identity → (content digest, where its first copy came from): one rule for every source
        self._seen: dict[str, tuple[bytes, str]] = {}
        self.conflicts: list[SourceProblem] = []
        self._lock = threading.Lock()

    def add(self, obj: Any, where: str = "") -> ResourceID | None:
        """Take one object from a source (`where` names the copy); None when it is a duplicate,
        a conflicting copy, owned, or not an object."""
        why = is_valid_object(obj)
        if why:
            self.counters.invalid_objects += 1
            self.invalid.append((str(obj)[:80], why))
            return None
        obj = with_metadata(obj)
        if owned_by_controller(obj):
            self.counters.owned_by_controller += 1
            return None
        key = identity_key(obj)
        digest = content_digest(obj)
        first = self._seen.get(key)
        if first is not None:
            if first[0] == digest:
                self.counters.duplicates_dropped += 1
            else:
                self._conflict(obj, where, first[1])
            return None
        self._seen[key] = (digest, where)
        rid = resource_id(obj)
        self.raw.put(rid, obj)
        self.objects[rid] = obj if self._live_form is None else self._live_form(obj)
        self.meta[rid] = meta_of(obj)
        self.namespace_of[rid] = namespace_of(obj)
        self.order.append(rid)
        self.counters.objects_collected += 1
        self._held(+1)
        return rid

    def _conflict(self, obj: KubeObject, where: str, first_where: str) -> None:
        """A second copy of an object with other content: a problem on its kind, never a silent pick.

        The first copy stays (it may already be evaluated); every control that reads the kind is
        skipped, so neither copy decides a finding.
        """
        kind = str(obj["kind"])
        self.conflicts.append(
            SourceProblem(
                where or "(unnamed source)",
                f"conflicting duplicate: {resource_id(obj)} is also at {first_where or '(unnamed source)'} "
                f"with other content; controls that read {kind} are skipped",
                kind=kind,
                api_group=split_api_version(str(obj["apiVersion"]))[0],
            )
        )

    def _held(self, delta: int) -> None:
        counters = self.counters
        counters.objects_held += delta
        counters.peak_objects_held = max(counters.peak_objects_held, counters.objects_held)

    def index(self, ids: Iterable[ResourceID]) -> dict[tuple[str, str, str], list[ResourceID]]:
        """The kind index over `ids` (a batch, or everything collected)."""
        index: dict[tuple[str, str, str], list[ResourceID]] = {}
        for rid in ids:
            group, version, _, kind, _ = rid.split("/", 4)
            index.setdefault((group, version, kind), []).append(rid)
        return index

    def release(self, ids: Iterable[ResourceID]) -> None:
        """Forget live objects; their metadata and raw (spilled) form stay for the report."""
        with self._lock:
            for rid in ids:
                if self.objects.pop(rid, None) is not None:
                    self.counters.objects_released += 1
                    self._held(-1)

    def namespaces(self) -> list[str]:
        return sorted({ns for ns in self.namespace_of.values() if ns})

    def raw_objects(self, ids: Iterable[ResourceID]) -> Iterator[tuple[ResourceID, dict[str, Any]]]:
        for rid in ids:
            yield rid, self.raw.get(rid)
