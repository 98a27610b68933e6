"""P1: compiled rules kept for the scan instead of compiled for every evaluation.

The key holds everything that changes the compiled result: rule name, the full source of every
module, the data, the query, the engine and its Rego version. Safe under concurrent use: a key
is compiled once even when several threads ask for it at the same moment.
Without P1 every `get` compiles afresh and the caller closes what it got.
With a plan (how many evaluations will use each key, known before evaluation starts), a compiled
rule is closed after its last planned use: the cache saves every recompilation without holding
every rule's compiled form for the whole scan (OPA keeps ~0.5 MB of Go heap per compiled rule).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.engine import CompiledRule, CompileError, Engine


def compile_key(
    engine: Engine, rule_name: str, modules: Mapping[str, str], data: Mapping[str, Any], query: str
) -> str:
    digest = hashlib.sha256()
    for part in (engine.info.name, engine.info.version, engine.info.rego_version, rule_name, query):
        digest.update(part.encode() + b"\0")
    for name in sorted(modules):
        digest.update(name.encode() + b"\0" + modules[name].encode() + b"\0")
    digest.update(json.dumps(data, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class RuleCompiler:
    engine: Engine
    cache_enabled: bool
    compilations: int = 0
    cache_hits: int = 0
    # Audit counters for the parity invariants: each compiled rule closed exactly once; with the
    # cache, one compilation per distinct key.
    compiled_closed: int = 0
    closes_unmatched: int = 0
    _open: dict[int, CompiledRule] = field(default_factory=dict)
    _keys_seen: set[str] = field(default_factory=set)
    _cache: dict[str, CompiledRule | CompileError] = field(default_factory=dict)
    _uses_left: dict[str, int] = field(default_factory=dict)
    _key_of: dict[int, str] = field(default_factory=dict)
    _key_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _compile(
        self, modules: Mapping[str, str], data: Mapping[str, Any], query: str
    ) -> CompiledRule | CompileError:
        with self._lock:
            self.compilations += 1
        try:
            compiled = self.engine.compile(modules, data, query)
        except CompileError as exc:
            return exc
        with self._lock:
            self._open[id(compiled)] = compiled
        return compiled

    def _closed(self, compiled: CompiledRule) -> None:
        """Close `compiled` and count it (the caller holds `_lock`); closing what is not open is counted apart."""
        if self._open.pop(id(compiled), None) is None:
            self.closes_unmatched += 1
        else:
            self.compiled_closed += 1
        compiled.close()

    @property
    def compiled_opened(self) -> int:
        return self.compiled_closed + len(self._open)

    @property
    def distinct_keys(self) -> int:
        return len(self._keys_seen)

    def key(self, rule_name: str, modules: Mapping[str, str], data: Mapping[str, Any], query: str) -> str:
        return compile_key(self.engine, rule_name, modules, data, query)

    def plan(self, uses: Mapping[str, int]) -> None:
        """Planned evaluations per key (from `key`); cached rules not in the plan are closed now."""
        if not self.cache_enabled:
            return
        with self._lock:
            self._uses_left = dict(uses)
            stale = [k for k in self._cache if k not in self._uses_left]
            for key in stale:
                self._close_key(key)

    def _close_key(self, key: str) -> None:
        compiled = self._cache.pop(key, None)
        if compiled is not None and not isinstance(compiled, CompileError):
            self._key_of.pop(id(compiled), None)
            self._closed(compiled)

    def get(
        self, rule_name: str, modules: Mapping[str, str], data: Mapping[str, Any], query: str
    ) -> CompiledRule:
        """A compiled rule; raises CompileError. Without the cache the caller must `release` it."""
        if not self.cache_enabled:
            result = self._compile(modules, data, query)
        else:
            key = self.key(rule_name, modules, data, query)
            with self._lock:
                self._keys_seen.add(key)
                cached = self._cache.get(key)
                if cached is not None:
                    self.cache_hits += 1
                key_lock = self._key_locks.setdefault(key, threading.Lock())
            if cached is None:
                with key_lock:
                    cached = self._cache.get(key)
                    if cached is None:
                        cached = self._compile(modules, data, query)
                        with self._lock:
                            self._cache[key] = cached
                            if not isinstance(cached, CompileError):
                                self._key_of[id(cached)] = key
                    else:
                        with self._lock:
                            self.cache_hits += 1
            result = cached
        if isinstance(result, CompileError):
            raise result
        return result

    def release(self, compiled: CompiledRule) -> None:
        """One evaluation is done with `compiled`: close it now, or after its last planned use."""
        if not self.cache_enabled:
            with self._lock:
                self._closed(compiled)
            return
        with self._lock:
            key = self._key_of.get(id(compiled))
            if key is None or key not in self._uses_left:
                return
            self._uses_left[key] -= 1
            if self._uses_left[key] <= 0:
                del self._uses_left[key]
                self._close_key(key)

    def close(self) -> None:
        with self._lock:
            for compiled in self._cache.values():
                if not isinstance(compiled, CompileError):
                    self._closed(compiled)
            self._cache.clear()
