"""Per-resource results: status per (resource, control, rule), merged across scopes and batches.

P2 and P3 live here. P2 (pre-sizing): rows are an ordinal-indexed list allocated in one step from
the collected count, instead of a dict grown one resource at a time. P3 (set de-duplication):
paths and related IDs are insertion-ordered sets instead of lists searched with `in` before
every append. Both keep first-seen order, so output is unchanged.
Pure: no I/O. Records what rules found; a control's status, exceptions and counts are
scanner.aggregate's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scanner.sources.objects import ResourceID

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_RANK = {PASSED: 0, SKIPPED: 1, FAILED: 2}  # failed > skipped > passed when scopes disagree


def _add_all(target: list[Any] | dict[Any, None], items: Iterable[Any]) -> None:
    if isinstance(target, dict):
        for item in items:
            target[item] = None
        return
    for item in items:
        if item not in target:
            target.append(item)


@dataclass
class RuleRecord:
    status: str
    paths: list[Any] | dict[Any, None]
    related: list[ResourceID] | dict[ResourceID, None]
    reason: str = ""

    def merge(self, status: str, paths: Iterable[Any], related: Iterable[ResourceID], reason: str) -> None:
        if _RANK[status] > _RANK[self.status]:
            self.status = status
            self.reason = reason
        elif status == self.status and reason and not self.reason:
            self.reason = reason
        _add_all(self.paths, paths)
        _add_all(self.related, related)


@dataclass
class ResultsTable:
    """Rows per resource → control → rule; safe to record into from several threads."""

    use_sets: bool
    presize: bool
    ordinals: dict[ResourceID, int] = field(default_factory=dict)
    _rows: list[dict[str, dict[str, RuleRecord]] | None] = field(default_factory=list)
    _by_id: dict[ResourceID, dict[str, dict[str, RuleRecord]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self, ids: list[ResourceID]) -> None:
        """P2: allocate rows for `ids` in one step (the whole collection, or one streamed batch)."""
        if not self.presize:
            return
        with self._lock:
            # A row is reserved once: an ID reserved again keeps its row (and no ordinal is orphaned).
            ids = [rid for rid in dict.fromkeys(ids) if rid not in self.ordinals]
            start = len(self._rows)
            self._rows.extend([None] * len(ids))
            self.ordinals.update(zip(ids, range(start, start + len(ids)), strict=True))

    def _row(self, rid: ResourceID) -> dict[str, dict[str, RuleRecord]]:
        if self.presize and rid in self.ordinals:
            ordinal = self.ordinals[rid]
            row = self._rows[ordinal]
            if row is None:
                row = self._rows[ordinal] = {}
            return row
        return self._by_id.setdefault(rid, {})

    def record(
        self,
        rid: ResourceID,
        control_id: str,
        rule_name: str,
        status: str,
        paths: Iterable[Any] = (),
        related: Iterable[ResourceID] = (),
        reason: str = "",
    ) -> None:
        with self._lock:
            rules = self._row(rid).setdefault(control_id, {})
            record = rules.get(rule_name)
            if record is None:
                empty_paths: list[Any] | dict[Any, None] = {} if self.use_sets else []
                empty_related: list[ResourceID] | dict[ResourceID, None] = {} if self.use_sets else []
                record = rules[rule_name] = RuleRecord(status, empty_paths, empty_related, reason)
            record.merge(status, paths, related, reason)

    def skip_rule(self, control_id: str, rule_name: str, reason: str) -> None:
        """A rule whose inputs were incomplete reports nothing but `skipped`, whatever it found."""
        with self._lock:
            for _, controls in self._iter_rows():
                record = controls.get(control_id, {}).get(rule_name)
                if record is not None:
                    record.status, record.reason = SKIPPED, reason

    def _iter_rows(self) -> Iterator[tuple[ResourceID, dict[str, dict[str, RuleRecord]]]]:
        if self.presize:
            by_ordinal = {ordinal: rid for rid, ordinal in self.ordinals.items()}
            for ordinal, row in enumerate(self._rows):
                if row is not None:
                    yield by_ordinal[ordinal], row
        yield from self._by_id.items()

    def forget(self, rid: ResourceID) -> None:
        """X2: drop a resource's row once the report has written it (nothing records after the scan)."""
        with self._lock:
            if self.presize and rid in self.ordinals:
                self._rows[self.ordinals[rid]] = None
            self._by_id.pop(rid, None)

    def rows(self) -> dict[ResourceID, dict[str, dict[str, RuleRecord]]]:
        """Every resource with at least one result, by ID."""
        return dict(self._iter_rows())
