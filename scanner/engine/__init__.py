"""The Rego engine boundary: load modules → compile once → evaluate input + data → rule responses.

Each implementation lives in its own module and is the only place that imports its engine.
Engine errors become values (CompileError at compile time, EvalOutcome.error at evaluation),
never a crash of the scan. Nothing here knows about controls, phases or reports.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

ENGINE_NAMES = ("opa", "regorus", "regopy")
DENY_QUERY = "data.armo_builtins.deny"
# What a scan evaluates: the rule's whole package, like kubescape, so every result set counts.
PACKAGE_QUERY = "data.armo_builtins"


class EngineUnavailable(RuntimeError):
    """The engine's package is not installed or cannot load on this machine."""


class CompileError(RuntimeError):
    """The rule's modules do not parse or compile."""


@dataclass(frozen=True)
class EvalOutcome:
    """What one evaluation returned: the deny set's values, or why there are none."""

    responses: tuple[dict[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str
    rego_version: str
    notes: tuple[str, ...] = field(default=())


def responses_from(value: Any) -> EvalOutcome:
    """An evaluated document → its rule responses.

    A set (one rule's values) is taken as it is. A package (an object) gives the values of each
    of its sets, in rule-name order, as kubescape reads every result set of `armo_builtins`;
    its other members (constants, objects) are not responses and are left out.
    """
    if isinstance(value, list):
        return EvalOutcome(responses=tuple(value))
    if isinstance(value, dict):
        return EvalOutcome(
            responses=tuple(
                item
                for _, members in sorted(value.items())
                if isinstance(members, list)
                for item in members
                if isinstance(item, dict)
            )
        )
    return EvalOutcome(error=f"rule returned {type(value).__name__}, expected a set")


class CompiledRule(Protocol):
    """A rule compiled with its helper modules and data; safe to evaluate from several threads."""

    def evaluate(self, objects: list[dict[str, Any]]) -> EvalOutcome: ...

    def close(self) -> None: ...


class Engine(Protocol):
    info: EngineInfo

    def compile(
        self, modules: Mapping[str, str], data: Mapping[str, Any], query: str = DENY_QUERY
    ) -> CompiledRule:
        """Parse and compile `modules` (file name → source) with `data`; raise CompileError."""
        ...


def load_engine(name: str) -> Engine:
    """Instantiate the engine called `name`; raise EngineUnavailable with the reason."""
    if name not in ENGINE_NAMES:
        raise EngineUnavailable(f"unknown engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}")
    module = importlib.import_module(f"scanner.engine.{name}_engine")
    engine: Engine = module.create()
    return engine


def default_engine_name() -> str:
    """`opa` where its binding imports, else `regorus` (see docs/engines.md)."""
    try:
        load_engine("opa")
    except EngineUnavailable:
        return "regorus"
    return "opa"
