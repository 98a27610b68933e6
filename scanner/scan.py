"""The pipeline in one call: source + policies + engine + options → a finished scan's state.

No argument parsing, no printing: scanner.cli does those.
"""

from __future__ import annotations

import functools

from scanner.engine import Engine
from scanner.evaluate import Evaluator, ScanOptions, ScanState
from scanner.inventory import Inventory, MemoryRawStore, SpillRawStore
from scanner.policies import Control, Library
from scanner.results import ResultsTable
from scanner.sources import Source
from scanner.unread import prune, unread_fields


def run_scan(
    source: Source, library: Library, engine: Engine, controls: list[Control], options: ScanOptions
) -> ScanState:
    phases = options.phases
    # Releasing or pruning live objects (P5, P6, X1) only saves memory if the report's raw copies live elsewhere.
    raw = SpillRawStore() if (phases.has(5) or phases.has(6) or phases.has_candidate(1)) else MemoryRawStore()
    live_form = None
    if phases.has_candidate(1):
        fields = unread_fields(rule_sources(library, controls))
        live_form = functools.partial(prune, fields=fields) if fields.any else None
    inventory = Inventory(raw, live_form)
    table = ResultsTable(use_sets=phases.has(3), presize=phases.has(2))
    return Evaluator(library, engine, controls, options).scan(source, inventory, table)


def rule_sources(library: Library, controls: list[Control]) -> list[str]:
    """Every Rego module the selected controls' rules load (helpers and resource enumerators included)."""
    sources: list[str] = []
    for name in sorted({n for control in controls for n in control.rule_names}):
        rule = library.rules[name]
        sources.extend(library.modules_for(rule).values())
        if rule.enumerator_source:
            sources.append(rule.enumerator_source)
    return sources


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
