"""The pipeline in one call: source + policies + engine + options → a finished scan's state.

No argument parsing, no printing: scanner.cli does those.
"""

from __future__ import annotations

from scanner.engine import Engine
from scanner.evaluate import Evaluator, ScanOptions, ScanState
from scanner.inventory import Inventory, MemoryRawStore, SpillRawStore
from scanner.policies import Control, Library
from scanner.results import ResultsTable
from scanner.sources import Source


def run_scan(
    source: Source, library: Library, engine: Engine, controls: list[Control], options: ScanOptions
) -> ScanState:
    phases = options.phases
    # Releasing live objects (P5, P6) only saves memory if the report's raw copies live elsewhere.
    raw = SpillRawStore() if (phases.p5 or phases.p6) else MemoryRawStore()
    inventory = Inventory(raw)
    table = ResultsTable(use_sets=phases.p3, presize=phases.p2)
    return Evaluator(library, engine, controls, options).scan(source, inventory, table)


def wanted_kinds(library: Library, controls: list[Control]) -> list[tuple[str, str, str]]:
    """(api group, version, kind) patterns the controls' rules match: what the collector lists."""
    wanted = {
        (g, v, r)
        for control in controls
        for name in control.rule_names
        for entry in library.rules[name].match
        for g in entry.api_groups
        for v in entry.api_versions
        for r in entry.resources
    }
    return sorted(wanted)
