"""The instruments a bench can use, by name, in the order a scenario's profiled runs happen.

Adding an instrument: write its module (see harness.run.instruments.base.Instrument) and add it
to BUILT_IN here; nothing else in the harness names instruments (docs/architecture.md).

Must not: measure anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.run.instruments import clean, memray, pyspy
from harness.run.instruments.base import Instrument

BUILT_IN: tuple[Instrument, ...] = (clean.INSTRUMENT, memray.INSTRUMENT, pyspy.INSTRUMENT)
_registered: dict[str, Instrument] = {one.name: one for one in BUILT_IN}


def register(instrument: Instrument) -> None:
    """Add (or replace) an instrument under its name: for tests and plug-ins."""
    _registered[instrument.name] = instrument


def unregister(name: str) -> None:
    if name == clean.NAME:
        raise ValueError("the clean instrument gives the gated figures: it cannot be removed")
    _registered.pop(name, None)


def names() -> tuple[str, ...]:
    return tuple(_registered)


def get(name: str) -> Instrument:
    try:
        return _registered[name]
    except KeyError:
        raise ValueError(f"unknown instrument {name!r}: choose from {', '.join(names())}") from None


def all_instruments() -> tuple[Instrument, ...]:
    return tuple(_registered.values())


def explaining() -> tuple[Instrument, ...]:
    """Instruments whose figures explain and are never gated: one profiled run per combination each."""
    return tuple(one for one in _registered.values() if not one.gated)


def parse_instruments(text: str) -> list[str]:
    """`--instruments clean,py-spy` → ["clean", "pyspy"] (dashes and underscores ignored)."""
    chosen = [part.strip().replace("-", "").replace("_", "") for part in text.split(",") if part.strip()]
    bad = [name for name in chosen if name not in _registered]
    if bad or not chosen:
        raise ValueError(f"unknown instrument {bad[0] if bad else text!r}: choose from {', '.join(names())}")
    return list(dict.fromkeys(chosen))


def tool_versions() -> dict[str, str | None]:
    """Tool → version (None: missing), for every registered instrument that uses a tool."""
    return {one.tool: one.version() for one in _registered.values() if one.tool is not None}


def linked_artefacts() -> Mapping[str, str]:
    """Artefact name → what a report calls it, over every instrument, in registry order."""
    return {name: label for one in _registered.values() for name, label in one.linked_artefacts.items()}
