"""What the identity rule costs a scan: the content digest of every collected object.

Adds a scenario's objects to an Inventory with the real digest and with a constant one
(interleaved, fresh inventory each time, median of the repeats), and times one baseline scan of
the same objects for scale. Usage:
    .venv/bin/python tests/hostile/measure_identity_cost.py [SCENARIO] [REPEATS] > docs/data/identity-cost.txt
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from typing import Any

import scanner.inventory as inventory_module
from harness.scenarios.format import load_scenario
from harness.scenarios.source import scenario_objects
from scanner.engine import load_engine
from scanner.evaluate import ScanOptions
from scanner.inventory import Inventory, MemoryRawStore
from scanner.policies import load_library
from scanner.scan import run_scan
from scanner.sources import Page, Source


class _Objects(Source):
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects, self.problems, self.description = objects, [], "objects in memory"

    def pages(self) -> Any:
        for start in range(0, len(self.objects), 500):
            yield Page(tuple(self.objects[start : start + 500]), f"page {start // 500 + 1}")


def _fresh(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    copied: list[dict[str, Any]] = json.loads(json.dumps(objects))  # as a LIST page parses them
    return copied


def _add_all(objects: list[dict[str, Any]]) -> float:
    inventory = Inventory(MemoryRawStore())
    started = time.process_time()
    for obj in objects:
        inventory.add(obj, "page")
    return time.process_time() - started


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "medium"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    objects = scenario_objects(load_scenario(name))
    real = inventory_module.content_digest
    with_digest: list[float] = []
    without: list[float] = []
    for _ in range(repeats):
        inventory_module.content_digest = real  # type: ignore[attr-defined]
        with_digest.append(_add_all(_fresh(objects)))
        inventory_module.content_digest = lambda obj: b""  # type: ignore[attr-defined]
        without.append(_add_all(_fresh(objects)))
    inventory_module.content_digest = real  # type: ignore[attr-defined]
    library = load_library()
    started = time.process_time()
    state = run_scan(
        _Objects(_fresh(objects)), library, load_engine("opa"), library.select([], []), ScanOptions()
    )
    scan_seconds = time.process_time() - started
    state.inventory.raw.close()
    digest_seconds = statistics.median(with_digest) - statistics.median(without)
    count = len(objects)
    print(f"scenario {name}: {count} objects, {repeats} repeats, load {os.getloadavg()[0]:.1f}")
    print(
        f"inventory.add, CPU s (median): with digest {statistics.median(with_digest):.3f}, constant digest {statistics.median(without):.3f}"
    )
    print(f"digest: {digest_seconds * 1e6 / count:.0f} us per object, {digest_seconds:.3f} s in all")
    print(f"one baseline scan (opa, every control), CPU s: {scan_seconds:.2f}")
    print(f"digest share of that scan's CPU: {100 * digest_seconds / scan_seconds:.1f}%")


if __name__ == "__main__":
    main()
