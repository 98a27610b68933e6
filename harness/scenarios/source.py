"""A scenario's objects, wherever they come from: the generator, or an imported dump's objects file.

The one place that reads an imported scenario's objects file; everything that needs a
scenario's objects (cluster backends, render, fingerprint, stats) asks here.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from harness.exit_codes import UsageError
from harness.scenarios.format import Scenario
from harness.scenarios.objects import generate


def scenario_objects(scenario: Scenario) -> list[dict[str, Any]]:
    if scenario.imported is None:
        return generate(scenario)
    try:
        with gzip.open(scenario.imported, "rb") as handle:
            document = json.loads(handle.read())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{scenario.imported}: cannot read the imported objects: {exc}") from exc
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise UsageError(f"{scenario.imported}: not a kind: List of objects")
    return items
