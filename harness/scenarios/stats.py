"""Size statistics of a scenario's objects: per kind count, median, p90 and total JSON bytes, and
the shares of managedFields, the last-applied annotation and status.

Pure: no I/O. Bytes are canonical JSON (as fingerprints count them). Helm release Secrets are a
row of their own, `Secret (Helm release)`: their sizes are nothing like other Secrets'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.scenarios.fingerprint import canonical_json

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
HELM_RELEASE_ROW = "Secret (Helm release)"
STATS_FORMAT = "ksbench-scenario-stats/1"


@dataclass(frozen=True)
class KindStats:
    kind: str
    count: int
    median_bytes: int
    p90_bytes: int
    max_bytes: int
    total_bytes: int
    managed_fields_bytes: int
    last_applied_bytes: int
    status_bytes: int
    with_managed_fields: int  # objects that carry managedFields

    def share(self, part_bytes: int) -> float:
        return part_bytes / self.total_bytes if self.total_bytes else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "median_bytes": self.median_bytes,
            "p90_bytes": self.p90_bytes,
            "max_bytes": self.max_bytes,
            "total_bytes": self.total_bytes,
            "managed_fields_share": round(self.share(self.managed_fields_bytes), 4),
            "last_applied_share": round(self.share(self.last_applied_bytes), 4),
            "status_share": round(self.share(self.status_bytes), 4),
            "with_managed_fields": self.with_managed_fields,
        }


@dataclass(frozen=True)
class ScenarioStats:
    scenario: str
    kinds: tuple[KindStats, ...]

    @property
    def total_bytes(self) -> int:
        return sum(k.total_bytes for k in self.kinds)

    @property
    def count(self) -> int:
        return sum(k.count for k in self.kinds)

    def kind(self, name: str) -> KindStats | None:
        return next((k for k in self.kinds if k.kind == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": STATS_FORMAT,
            "scenario": self.scenario,
            "objects": self.count,
            "total_bytes": self.total_bytes,
            "kinds": {k.kind: k.to_json() for k in self.kinds},
        }


def _percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, int(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def row_of(obj: Mapping[str, Any]) -> str:
    if obj.get("kind") == "Secret" and obj.get("type") == "helm.sh/release.v1":
        return HELM_RELEASE_ROW
    return str(obj.get("kind"))


def scenario_stats(name: str, objects: Iterable[Mapping[str, Any]]) -> ScenarioStats:
    sizes: dict[str, list[int]] = {}
    parts: dict[
        str, list[int]
    ] = {}  # row → [managedFields, last-applied, status, objects with managedFields]
    for obj in objects:
        row = row_of(obj)
        sizes.setdefault(row, []).append(len(canonical_json(obj)))
        meta = obj.get("metadata") or {}
        managed = meta.get("managedFields")
        last_applied = (meta.get("annotations") or {}).get(LAST_APPLIED, "")
        totals = parts.setdefault(row, [0, 0, 0, 0])
        totals[0] += len(canonical_json(managed)) if managed else 0
        # The annotation's value as it sits in the JSON: escaped quotes count.
        totals[1] += len(canonical_json(last_applied)) if last_applied else 0
        totals[2] += len(canonical_json(obj["status"])) if obj.get("status") else 0
        totals[3] += 1 if managed else 0
    kinds = []
    for row in sorted(sizes):
        values = sorted(sizes[row])
        managed_bytes, applied_bytes, status_bytes, with_managed = parts[row]
        kinds.append(
            KindStats(
                kind=row,
                count=len(values),
                median_bytes=_percentile(values, 0.5),
                p90_bytes=_percentile(values, 0.9),
                max_bytes=values[-1],
                total_bytes=sum(values),
                managed_fields_bytes=managed_bytes,
                last_applied_bytes=applied_bytes,
                status_bytes=status_bytes,
                with_managed_fields=with_managed,
            )
        )
    return ScenarioStats(name, tuple(kinds))


def render_stats(stats: ScenarioStats) -> str:
    """The text table `ksbench scenario stats` prints; "with mF" counts the objects that carry managedFields."""
    lines = [
        f"scenario {stats.scenario}: {stats.count} objects, {stats.total_bytes:,} bytes of JSON",
        f"{'kind':<26} {'count':>7} {'median B':>10} {'p90 B':>10} {'max B':>10} {'total B':>13}"
        f" {'managedF':>9} {'last-app':>9} {'status':>7} {'with mF':>8}",
    ]
    for k in stats.kinds:
        lines.append(
            f"{k.kind:<26} {k.count:>7} {k.median_bytes:>10,} {k.p90_bytes:>10,} {k.max_bytes:>10,}"
            f" {k.total_bytes:>13,} {k.share(k.managed_fields_bytes):>9.0%}"
            f" {k.share(k.last_applied_bytes):>9.0%} {k.share(k.status_bytes):>7.0%}"
            f" {k.with_managed_fields:>8}"
        )
    return "\n".join(lines)
