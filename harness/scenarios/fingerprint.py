"""Scenario fingerprints: counts and canonical-JSON bytes per kind, and a digest of the content.

Pure: no I/O. A cluster backend stores the fingerprint beside a running cluster to recognise it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.exit_codes import UsageError

FINGERPRINT_FORMAT = "ksbench-fingerprint/1"


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class KindFootprint:
    kind: str
    count: int
    json_bytes: int


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a scenario's content: counts and canonical-JSON bytes per kind, sha256 digest."""

    scenario: str
    total_resources: int
    kinds: tuple[KindFootprint, ...]
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FINGERPRINT_FORMAT,
            "scenario": self.scenario,
            "total_resources": self.total_resources,
            "kinds": {k.kind: {"count": k.count, "json_bytes": k.json_bytes} for k in self.kinds},
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fingerprint:
        if data.get("format_version") != FINGERPRINT_FORMAT:
            raise UsageError(
                f"fingerprint format {data.get('format_version')!r} is not {FINGERPRINT_FORMAT!r}; "
                "bring the cluster down and up again to rebuild it"
            )
        kinds = tuple(KindFootprint(kind, v["count"], v["json_bytes"]) for kind, v in data["kinds"].items())
        return cls(data["scenario"], data["total_resources"], kinds, data["digest"])


def fingerprint(scenario_name: str, objects: Iterable[Mapping[str, Any]]) -> Fingerprint:
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    sizes: dict[str, int] = {}
    total = 0
    for obj in objects:
        data = canonical_json(obj)
        digest.update(data)
        digest.update(b"\n")
        kind = str(obj["kind"])
        counts[kind] = counts.get(kind, 0) + 1
        sizes[kind] = sizes.get(kind, 0) + len(data)
        total += 1
    kinds = tuple(KindFootprint(kind, counts[kind], sizes[kind]) for kind in sorted(counts))
    return Fingerprint(scenario_name, total, kinds, digest.hexdigest())
