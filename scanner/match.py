"""rule.match → the objects it selects, and how they are split into evaluation scopes.

P4 lives here: with the grouping cache on, a selection is computed once per key and reused by
every rule that asks for the same one. The key holds everything that changes a selection: the
match entries (normalised), the scope (namespace or whole cluster) and the batch.
Pure apart from the counters it updates; evaluates nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from scanner.policies import MatchEntry
from scanner.sources.objects import ResourceID

# (api group, version, kind) → IDs of the objects collected under it, in collection order.
KindIndex = Mapping[tuple[str, str, str], list[ResourceID]]
WHOLE_CLUSTER = "*"


def match_key(match: tuple[MatchEntry, ...]) -> tuple[tuple[str, str, str], ...]:
    """The selection a match block makes, independent of how its entries are spelled or ordered."""
    return tuple(
        sorted(
            {
                (g, v, r)
                for entry in match
                for g in entry.api_groups
                for v in entry.api_versions
                for r in entry.resources
            }
        )
    )


def _accepts(pattern: str, value: str) -> bool:
    # kubescape writes the core group as "" or "core".
    return pattern == "*" or pattern == value or (pattern == "core" and value == "")


def selects(wanted: tuple[str, str, str], key: tuple[str, str, str]) -> bool:
    """Whether a (group, version, resource) pattern selects an index key; kinds compare like
    kubescape's: `*`, or equal ignoring case."""
    group, version, resource = wanted
    return (
        _accepts(group, key[0])
        and _accepts(version, key[1])
        and (resource == "*" or resource.lower() == key[2].lower())
    )


def select(match: tuple[MatchEntry, ...], index: KindIndex, dedupe_with_set: bool) -> list[ResourceID]:
    """Every object the match selects, in index order, each once.

    Without P3 duplicates are found by a linear `in` over the list built so far, as kubescape's
    baseline does with slices.Contains; with P3 an insertion-ordered set does it.
    """
    wanted = match_key(match)
    keys = [key for key in index if any(selects(w, key) for w in wanted)]
    if dedupe_with_set:
        chosen: dict[ResourceID, None] = {}
        for key in keys:
            chosen.update(dict.fromkeys(index[key]))
        return list(chosen)
    selected: list[ResourceID] = []
    for key in keys:
        for resource_id in index[key]:
            if resource_id not in selected:
                selected.append(resource_id)
    return selected


def split_by_namespace(
    selected: Iterable[ResourceID], namespace_of: Mapping[ResourceID, str], namespaces: Iterable[str]
) -> list[tuple[str, list[ResourceID]]]:
    """One scope per namespace: its objects plus every cluster-scoped object (kubescape's large-cluster mode)."""
    cluster_scoped: list[ResourceID] = []
    by_namespace: dict[str, list[ResourceID]] = {ns: [] for ns in namespaces}
    for resource_id in selected:
        namespace = namespace_of[resource_id]
        if namespace:
            by_namespace.setdefault(namespace, []).append(resource_id)
        else:
            cluster_scoped.append(resource_id)
    scopes = [(ns, ids + cluster_scoped) for ns, ids in sorted(by_namespace.items()) if ids or cluster_scoped]
    if not scopes and cluster_scoped:
        scopes = [(WHOLE_CLUSTER, cluster_scoped)]
    return scopes


@dataclass
class Grouper:
    """Computes selections, caching them by key when P4 is on; safe under concurrent use."""

    cache_enabled: bool
    dedupe_with_set: bool
    computations: int = 0
    cache_hits: int = 0
    _cache: dict[tuple[object, ...], list[ResourceID]] = field(default_factory=dict)
    _scopes: dict[tuple[object, ...], list[tuple[str, list[ResourceID]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def objects_for(
        self, match: tuple[MatchEntry, ...], index: KindIndex, scope: str, batch: int
    ) -> list[ResourceID]:
        if not self.cache_enabled:
            with self._lock:
                self.computations += 1
            return select(match, index, self.dedupe_with_set)
        key = (match_key(match), scope, batch)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self.cache_hits += 1
                return cached
        selected = select(match, index, self.dedupe_with_set)
        with self._lock:
            self.computations += 1
            return self._cache.setdefault(key, selected)

    def scopes_for(
        self, key: tuple[object, ...], compute: Callable[[], list[tuple[str, list[ResourceID]]]]
    ) -> list[tuple[str, list[ResourceID]]]:
        """The split of a selection into scopes, cached like selections when P4 is on."""
        if not self.cache_enabled:
            return compute()
        with self._lock:
            cached = self._scopes.get(key)
            if cached is not None:
                self.cache_hits += 1
                return cached
        scopes = compute()
        with self._lock:
            return self._scopes.setdefault(key, scopes)

    def held_batches(self) -> set[int]:
        """The batches whose selections or splits the cache still holds (0: the whole cluster)."""
        with self._lock:
            return {int(k[2]) for k in (*self._cache, *self._scopes)}  # type: ignore[call-overload]

    def forget_batch(self, batch: int) -> None:
        """Drop the selections of a finished batch, so the cache does not hold the cluster."""
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if k[2] != batch}
            self._scopes = {k: v for k, v in self._scopes.items() if k[2] != batch}
