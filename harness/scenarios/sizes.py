"""Object sizes: per-kind targets (median and p90 JSON bytes) and the log-normal draw that meets them.

Pure: no I/O. The defaults are what a scenario file gets when it names no size for a kind; the
ranges they were calibrated against are in scenarios/README.md.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# The Kubernetes API server refuses objects over 1.5 MiB (etcd's request limit); Helm and
# kubectl stay under 1 MiB. Generated objects stay below this, with room for metadata.
MAX_OBJECT_BYTES = 1_000_000
_Z90 = 1.2815515655446004  # the standard normal's 90th percentile

# Kinds whose size a scenario sets. Pods through their pod templates (so a Deployment, its
# ReplicaSets and Pods grow together); the others through their data or schema.
SIZED_KINDS = ("Pod", "ConfigMap", "Secret", "HelmReleaseSecret", "CustomResourceDefinition")


@dataclass(frozen=True)
class SizeTarget:
    """A log-normal size distribution given by its median and 90th percentile, in JSON bytes."""

    median_bytes: int
    p90_bytes: int

    def draw(self, rng: random.Random, *, ceiling: int = MAX_OBJECT_BYTES) -> int:
        sigma = math.log(self.p90_bytes / self.median_bytes) / _Z90
        return min(ceiling, round(rng.lognormvariate(math.log(self.median_bytes), sigma)))


def default_sizes() -> dict[str, SizeTarget]:
    return {
        "Pod": SizeTarget(6_000, 9_500),
        "ConfigMap": SizeTarget(1_800, 16_000),
        "Secret": SizeTarget(1_400, 4_500),
        "HelmReleaseSecret": SizeTarget(60_000, 300_000),
        "CustomResourceDefinition": SizeTarget(60_000, 350_000),
    }
