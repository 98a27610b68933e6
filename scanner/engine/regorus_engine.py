"""regorus (Microsoft's Rust Rego engine, as `gordon-to-regorus`): the only module importing it.

regorus holds the GIL and its Engine is not re-entrant (input is set, then queried), so one
compiled rule evaluates under a lock. JSON in and out: sets of objects are unhashable in Python.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from scanner.engine import CompileError, EngineInfo, EngineUnavailable, EvalOutcome

# When set, every engine error captures a backtrace, which is slow.
os.environ.pop("RUST_BACKTRACE", None)

try:
    import regorus
except Exception as exc:
    raise EngineUnavailable(f"regorus engine unavailable: pip install gordon-to-regorus ({exc})") from exc


class RegorusCompiledRule:
    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> None:
        self._query = query
        self._lock = threading.Lock()
        self._engine = regorus.Engine()
        try:
            for name, source in modules.items():
                self._engine.add_policy(name, source)
            if data:
                self._engine.add_data_json(json.dumps(dict(data)))
        except RuntimeError as exc:
            raise CompileError(str(exc).strip()) from exc

    def evaluate(self, objects: list[dict[str, Any]]) -> EvalOutcome:
        with self._lock:
            try:
                self._engine.set_input_json(json.dumps(objects))
                raw = self._engine.eval_query_as_json(self._query)
            except RuntimeError as exc:
                return EvalOutcome(error=str(exc).strip())
        results = json.loads(raw).get("result") or []
        if not results:
            return EvalOutcome(responses=())
        value = results[0]["expressions"][0]["value"]
        if not isinstance(value, list):
            return EvalOutcome(error=f"rule returned {type(value).__name__}, expected a set")
        return EvalOutcome(responses=tuple(value))

    def close(self) -> None:
        """Nothing to release: the Rust engine is freed with the object."""


class RegorusRegoEngine:
    def __init__(self) -> None:
        self.info = EngineInfo(
            name="regorus",
            version=metadata.version("gordon-to-regorus"),
            rego_version="regorus, Rego v1",
        )

    def compile(
        self, modules: Mapping[str, str], data: Mapping[str, Any], query: str
    ) -> RegorusCompiledRule:
        return RegorusCompiledRule(modules, data, query)


def create() -> RegorusRegoEngine:
    return RegorusRegoEngine()
