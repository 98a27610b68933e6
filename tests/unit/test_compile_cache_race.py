"""The compile cache's per-key lock matters: with a compile that sleeps (the race window held open),
threads that ask for one key at once compile it once and every compiled rule is closed exactly
once; with the lock made a no-op (what `LEAKY_SCANNER=nolock` injects) the same run compiles it
once per thread and leaks every copy but the last — what the parity invariants then report."""

from __future__ import annotations

import contextlib
import threading
import time
import types
from typing import Any

import pytest

import scanner.engine.cache as cache
from scanner.engine import DENY_QUERY, load_engine
from scanner.engine.cache import RuleCompiler

MODULE = {"r/raw.rego": 'package armo_builtins\ndeny contains {"n": data.n} if { input[_] }\n'}
THREADS = 6


class _SleepingEngine:
    """The real engine, but every compile sleeps first: the race window is as wide as we like."""

    def __init__(self, engine: Any, seconds: float) -> None:
        self._engine, self._seconds, self.info = engine, seconds, engine.info

    def compile(self, modules: Any, data: Any, query: str) -> Any:
        time.sleep(self._seconds)
        return self._engine.compile(modules, data, query)


def _race(compiler: RuleCompiler) -> list[Any]:
    start = threading.Barrier(THREADS)
    got: list[Any] = []

    def get() -> None:
        start.wait(timeout=30)  # every thread asks at the same moment
        got.append(compiler.get("r", MODULE, {"n": 1}, DENY_QUERY))

    threads = [threading.Thread(target=get) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return got


@pytest.mark.parametrize("locked", [True, False], ids=["per-key lock", "lock removed"])
def test_the_per_key_lock_is_what_keeps_one_compilation_and_one_close_per_key(
    locked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not locked:
        monkeypatch.setattr(cache, "threading", types.SimpleNamespace(Lock=contextlib.nullcontext))
    compiler = RuleCompiler(_SleepingEngine(load_engine("regorus"), 0.5), cache_enabled=True)  # type: ignore[arg-type]
    got = _race(compiler)
    compiler.close()
    assert len(got) == THREADS
    if locked:
        assert compiler.compilations == 1 and all(g is got[0] for g in got)
        assert compiler.compiled_opened == compiler.compiled_closed == 1
    else:
        # Every thread found the key missing while the others slept in compile: one compile each,
        # and only the copy left in the cache is closed (the parity invariant: opened != closed).
        assert compiler.compilations == THREADS
        assert compiler.compiled_opened == THREADS and compiler.compiled_closed == 1
