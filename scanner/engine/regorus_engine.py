"""regorus (Microsoft's Rust Rego engine, as `gordon-to-regorus`): the only module importing it.

regorus holds the GIL and its Engine is not re-entrant (input is set, then queried). Its Engine
is also a pyo3 `unsendable` class: used from any thread but the one that created it, it panics,
and dropped on another thread it raises. So every regorus call (create, add, evaluate, drop) runs
on one dedicated thread, and compiled rules can be shared by the scanner's worker threads (P1).
JSON in and out: sets of objects are unhashable in Python.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any, TypeVar

from scanner.engine import CompileError, EngineInfo, EngineUnavailable, EvalOutcome, responses_from
from scanner.engine.lenient import lenient_modules

# When set, every engine error captures a backtrace, which is slow.
os.environ.pop("RUST_BACKTRACE", None)

try:
    import regorus
except Exception as exc:
    raise EngineUnavailable(f"regorus engine unavailable: pip install gordon-to-regorus ({exc})") from exc


_T = TypeVar("_T")
_REGORUS_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ksbench-regorus")


def _thread_for_child() -> None:
    """A forked child (mutation testing forks per mutant) has no copy of the thread: start its own."""
    global _REGORUS_THREAD
    _REGORUS_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ksbench-regorus")


os.register_at_fork(after_in_child=_thread_for_child)


def _on_regorus_thread(fn: Callable[..., _T], *args: Any) -> _T:
    return _REGORUS_THREAD.submit(fn, *args).result()


def _new_engine(modules: Mapping[str, str], data: Mapping[str, Any]) -> Any:
    engine = regorus.Engine()
    try:
        for name, source in modules.items():
            engine.add_policy(name, source)
        if data:
            engine.add_data_json(json.dumps(dict(data)))
    except RuntimeError as exc:
        del engine  # dropped here, on the regorus thread, not with the traceback elsewhere
        raise CompileError(str(exc).strip()) from None
    return engine


class RegorusCompiledRule:
    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> None:
        self._query = query
        self._engine: Any = _on_regorus_thread(_new_engine, dict(modules), dict(data))

    def _eval(self, payload: str) -> str:
        self._engine.set_input_json(payload)
        try:
            raw: str = self._engine.eval_query_as_json(self._query)
        finally:
            # The engine keeps its input until the next one: a cached rule (P1) would otherwise hold
            # its last batch of parsed objects for the rest of the scan.
            self._engine.set_input_json("null")
        return raw

    def evaluate(self, objects: list[dict[str, Any]]) -> EvalOutcome:
        try:
            raw = _on_regorus_thread(self._eval, json.dumps(objects))
        except RuntimeError as exc:
            return EvalOutcome(error=str(exc).strip())
        results = json.loads(raw).get("result") or []
        if not results:
            return EvalOutcome(responses=())
        return responses_from(results[0]["expressions"][0]["value"])

    def _drop(self) -> None:
        self._engine = None

    def close(self) -> None:
        """Free the Rust engine on the thread that owns it."""
        if self._engine is not None:
            _on_regorus_thread(self._drop)

    def __del__(self) -> None:
        # Not closed (a caller that only evaluates): the last reference must still go on the owner thread.
        box = [getattr(self, "_engine", None)]
        self._engine = None
        if box[0] is not None:
            with contextlib.suppress(RuntimeError):  # RuntimeError: interpreter shutting down
                _REGORUS_THREAD.submit(box.clear)


class RegorusRegoEngine:
    def __init__(self) -> None:
        self.info = EngineInfo(
            name="regorus",
            version=metadata.version("gordon-to-regorus"),
            rego_version="regorus, Rego v1",
        )

    def compile(self, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> RegorusCompiledRule:
        return RegorusCompiledRule(lenient_modules(modules), data, query)


def create() -> RegorusRegoEngine:
    return RegorusRegoEngine()
