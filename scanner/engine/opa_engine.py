"""Real OPA in process through opa-golib-python-bindings (kubescape's own engine).

The only module that imports `opa_bindings`. Compiling = a fresh OpaEngine with the modules and
data added (OPA parses and compiles on add); the binding serialises evaluations per engine and
releases the GIL while Go runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

from scanner.engine import CompileError, EngineInfo, EngineUnavailable, EvalOutcome, responses_from
from scanner.engine.lenient import lenient_modules

try:
    from opa_bindings import OpaEngine, OpaError, OpaUndefinedError
except Exception as exc:  # ImportError, or the shared library failing to load
    raise EngineUnavailable(
        "OPA engine unavailable: install it with "
        "`pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4` "
        f"({exc})"
    ) from exc

OPA_VERSION = "v1.20.2"  # the OPA release linked into opa-golib-python-bindings 0.4.4


class OpaCompiledRule:
    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> None:
        self._path = query.removeprefix("data.")
        self._engine = OpaEngine()
        try:
            for name, source in modules.items():
                self._engine.add_policy(name, source)
            if data:
                self._engine.add_data(dict(data))
        except OpaError as exc:
            self._engine.close()
            raise CompileError(exc.message or str(exc)) from exc

    def evaluate(self, objects: list[dict[str, Any]]) -> EvalOutcome:
        try:
            value = self._engine.eval_document(self._path, objects)
        except OpaUndefinedError:
            return EvalOutcome(responses=())
        except OpaError as exc:
            return EvalOutcome(error=f"{exc.code}: {exc.message}")
        return responses_from(value)

    def close(self) -> None:
        self._engine.close()


class OpaRegoEngine:
    def __init__(self) -> None:
        self.info = EngineInfo(
            name="opa",
            version=metadata.version("opa-golib-python-bindings"),
            rego_version=f"OPA {OPA_VERSION}, Rego v1",
        )

    def compile(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> OpaCompiledRule:
        return OpaCompiledRule(lenient_modules(modules), data, query)


def create() -> OpaRegoEngine:
    try:
        probe = OpaEngine()
        probe.close()
    except Exception as exc:
        raise EngineUnavailable(f"OPA engine failed to start: {exc}") from exc
    return OpaRegoEngine()


__all__ = ["OpaRegoEngine", "create"]
