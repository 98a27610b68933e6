"""Derived scenarios: the same cluster as another scenario, with some fields stripped from its objects.

`derive` writes NAME.toml (`derived_from`, `strip`) and nothing else: the objects are the parent's
(generated, or read from an imported dump) with the fields taken out as they are served
(harness.scenarios.source), so a derived scenario is fingerprinted as its own and follows its
parent when that changes. What each field name removes is scanner.parity's `strip_fields`:
`managed-fields` and `last-applied` are exactly what the scanner's X1 drops. Must not talk to a
cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.exit_codes import UsageError
from harness.results import writing
from harness.scenarios.fingerprint import Fingerprint, fingerprint
from harness.scenarios.format import Scenario, load_scenario
from harness.scenarios.source import scenario_objects
from scanner.parity import parse_strippable, strip_fields


@dataclass(frozen=True)
class DeriveResult:
    scenario_file: Path
    parent: Fingerprint
    derived: Fingerprint


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)


def _parent_reference(parent: Scenario, out_dir: Path) -> str:
    """The parent by name when it sits in out_dir (or is found by name there), else by its file's path."""
    source = parent.source_path
    if source is None or source.resolve().parent == out_dir.resolve():
        return parent.name
    return str(source.resolve())


def derive(parent_name: str, strip: str, name: str | None, out_dir: Path) -> DeriveResult:
    """Write scenario `name` (default PARENT-stripped) as `parent_name` without the fields in `strip`."""
    try:
        fields = parse_strippable(strip)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    beside = out_dir / f"{parent_name}.toml"
    # A parent named bare is looked for where the derived one goes first (an import there, say).
    parent = load_scenario(beside if beside.is_file() else parent_name)
    name = name or f"{parent.name}-stripped"
    if not all(c.isalnum() or c in "-_" for c in name):
        raise UsageError(f"scenario name {name!r} is not allowed; letters, digits, '-' and '_' are")
    if name == parent.name:
        raise UsageError(f"the derived scenario needs a name of its own, not {name!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    scenario_file = out_dir / f"{name}.toml"
    described = f"{parent.name} without {', '.join(fields)} (ksbench scenario derive)."
    lines = [
        f"name = {_toml_string(name)}",
        f"description = {_toml_string(described)}",
        f"derived_from = {_toml_string(_parent_reference(parent, out_dir))}",
        f"strip = [{', '.join(_toml_string(f) for f in fields)}]",
        "",
    ]
    tmp = out_dir / f".{scenario_file.name}.tmp"
    with writing(scenario_file):
        tmp.write_text("\n".join(lines), encoding="utf-8")
    try:
        derived = load_scenario(tmp)
    except UsageError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(scenario_file)
    objects = scenario_objects(parent)
    # The parent's objects are generated once: stripping them again is what serving the derived one does.
    after = fingerprint(name, (strip_fields(obj, derived.strip) for obj in objects))
    return DeriveResult(scenario_file, fingerprint(parent.name, objects), after)
