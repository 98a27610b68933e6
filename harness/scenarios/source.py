"""A scenario's objects, wherever they come from: the generator, or an imported dump's objects file,
with the fields a derived scenario strips taken out.

The one place that reads an imported scenario's objects file and applies a derivation;
everything that needs a scenario's objects (cluster backends, render, fingerprint, stats) asks here.
"""

from __future__ import annotations

import gzip
from typing import Any

from harness.exit_codes import UsageError
from harness.scenarios.format import Scenario
from harness.scenarios.objects import generate
from scanner.bounded import MIB
from scanner.decode import Budget, Meter, OverBudget, load_json
from scanner.parity import strip_fields

# kubescape's 15,267-object fixture imports to ~60 MB of JSON; four times that is not a dump.
IMPORTED_MAX_BYTES = 256 * MIB


def scenario_objects(scenario: Scenario) -> list[dict[str, Any]]:
    objects = _own_objects(scenario)
    if scenario.strip:
        return [strip_fields(obj, scenario.strip) for obj in objects]
    return objects


def _own_objects(scenario: Scenario) -> list[dict[str, Any]]:
    if scenario.imported is None:
        return generate(scenario)
    try:
        with gzip.open(scenario.imported, "rb") as handle:
            data = handle.read(IMPORTED_MAX_BYTES + 1)  # decompressed bytes, bounded: no gzip bomb
        if len(data) > IMPORTED_MAX_BYTES:
            raise UsageError(
                f"{scenario.imported}: expands beyond {IMPORTED_MAX_BYTES:,} bytes: not an imported scenario"
            )
        document = load_json(data, Meter(Budget.for_bytes(IMPORTED_MAX_BYTES)))
    except OverBudget as exc:
        raise UsageError(f"{scenario.imported}: not read: {exc}: not an imported scenario") from exc
    except (OSError, ValueError) as exc:
        raise UsageError(f"{scenario.imported}: cannot read the imported objects: {exc}") from exc
    except RecursionError as exc:
        raise UsageError(f"{scenario.imported}: nested too deeply to be imported objects") from exc
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise UsageError(f"{scenario.imported}: not a kind: List of objects")
    return items
