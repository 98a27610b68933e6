"""The phase code's own units (compile cache, match grouping), fast enough for mutation testing:
each assertion pins a behaviour a parity run depends on, on the real regorus engine."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from scanner.engine import DENY_QUERY, CompileError, load_engine
from scanner.engine.cache import RuleCompiler, compile_key
from scanner.match import WHOLE_CLUSTER, Grouper, match_key, select, split_by_namespace
from scanner.policies import MatchEntry
from scanner.sources.objects import ResourceID

MODULE = {"r/raw.rego": 'package armo_builtins\ndeny contains {"n": data.n} if { input[_] }\n'}
BROKEN = {"r/raw.rego": "package armo_builtins\ndeny contains x if {"}


@pytest.fixture
def engine() -> Any:
    return load_engine("regorus")


def test_the_compile_key_changes_with_every_input(engine: Any) -> None:
    base = compile_key(engine, "r", MODULE, {"n": 1}, DENY_QUERY)
    assert base == compile_key(engine, "r", dict(MODULE), {"n": 1}, DENY_QUERY)
    others = [
        compile_key(engine, "r#filter", MODULE, {"n": 1}, DENY_QUERY),
        compile_key(engine, "r", {"r/raw.rego": MODULE["r/raw.rego"] + "\n"}, {"n": 1}, DENY_QUERY),
        compile_key(engine, "r", {"s/raw.rego": MODULE["r/raw.rego"]}, {"n": 1}, DENY_QUERY),
        compile_key(engine, "r", MODULE, {"n": 2}, DENY_QUERY),
        compile_key(engine, "r", MODULE, {"n": 1}, "data.other.deny"),
    ]
    assert len({base, *others}) == 6


def test_without_the_cache_every_get_compiles_and_release_closes(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=False)
    first = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    second = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    assert first is not second
    assert (compiler.compilations, compiler.cache_hits, compiler.compiled_opened) == (2, 0, 2)
    compiler.release(first)
    compiler.release(second)
    assert (compiler.compiled_closed, compiler.closes_unmatched) == (2, 0)
    compiler.release(first)
    assert compiler.closes_unmatched == 1


def test_with_the_cache_a_key_compiles_once_and_closes_after_its_last_planned_use(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    key = compiler.key("r", MODULE, {"n": 1}, DENY_QUERY)
    other = compiler.key("r", MODULE, {"n": 2}, DENY_QUERY)
    compiler.plan({key: 2, other: 1})
    first = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    assert compiler.get("r", MODULE, {"n": 1}, DENY_QUERY) is first
    assert (compiler.compilations, compiler.cache_hits, compiler.distinct_keys) == (1, 1, 1)
    compiler.release(first)
    assert compiler.compiled_closed == 0  # one planned use left
    compiler.release(first)
    assert compiler.compiled_closed == 1
    again = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)  # used beyond the plan: compiled again
    assert again is not first and compiler.compilations == 2 and compiler.distinct_keys == 1
    compiler.get("r", MODULE, {"n": 2}, DENY_QUERY)
    assert compiler.distinct_keys == 2
    compiler.close()
    assert compiler.compiled_opened == compiler.compiled_closed == 3
    assert compiler.closes_unmatched == 0


def test_a_new_plan_closes_cached_rules_it_does_not_name(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    kept = compiler.get("r", MODULE, {"n": 2}, DENY_QUERY)
    compiler.plan({compiler.key("r", MODULE, {"n": 2}, DENY_QUERY): 1})
    assert compiler.compiled_closed == 1
    assert compiler.get("r", MODULE, {"n": 2}, DENY_QUERY) is kept
    compiler.release(kept)  # not the last use of the plan's one: closed now
    assert compiler.compiled_closed == 2
    compiler.release(kept)  # a release of what the cache already closed is ignored
    assert compiler.closes_unmatched == 0


def test_without_a_plan_release_keeps_the_cached_rule(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    compiled = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    compiler.release(compiled)
    assert compiler.get("r", MODULE, {"n": 1}, DENY_QUERY) is compiled
    assert compiler.compiled_closed == 0
    compiler.plan({})  # a plan without it: closed
    assert compiler.compiled_closed == 1


def test_compile_errors_are_raised_and_cached(engine: Any) -> None:
    for cached in (False, True):
        compiler = RuleCompiler(engine, cache_enabled=cached)
        for _ in range(2):
            with pytest.raises(CompileError):
                compiler.get("bad", BROKEN, {}, DENY_QUERY)
        assert compiler.compilations == (1 if cached else 2)
        assert compiler.cache_hits == (1 if cached else 0)
        compiler.close()
        assert compiler.compiled_opened == compiler.compiled_closed == 0


def test_concurrent_gets_of_one_key_compile_it_once(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    got: list[Any] = []
    threads = [
        threading.Thread(target=lambda: got.append(compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compiler.compilations == 1 and compiler.cache_hits == 7
    assert all(g is got[0] for g in got)


def _rid(group: str, version: str, namespace: str, kind: str, name: str) -> ResourceID:
    return ResourceID(f"{group}/{version}/{namespace}/{kind}/{name}")


POD_A = _rid("", "v1", "a", "Pod", "p")
POD_B = _rid("", "v1", "b", "Pod", "q")
NODE = _rid("", "v1", "", "Node", "n")
DEPLOY = _rid("apps", "v1", "a", "Deployment", "d")
DEPLOY_BETA = _rid("apps", "v1beta1", "a", "Deployment", "d")
INDEX = {
    ("", "v1", "Pod"): [POD_A, POD_B, POD_A],
    ("", "v1", "Node"): [NODE],
    ("apps", "v1", "Deployment"): [DEPLOY],
    ("apps", "v1beta1", "Deployment"): [DEPLOY_BETA],
}
PODS_AND_NODES = (MatchEntry(("",), ("v1",), ("Pod", "Node")),)
ANY_DEPLOYMENT = (MatchEntry(("apps",), ("*",), ("Deployment",)),)


def test_the_match_key_ignores_spelling_and_order() -> None:
    split = (MatchEntry(("",), ("v1",), ("Node",)), MatchEntry(("",), ("v1",), ("Pod", "Pod")))
    assert match_key(split) == match_key(PODS_AND_NODES) == (("", "v1", "Node"), ("", "v1", "Pod"))


@pytest.mark.parametrize("with_set", [False, True])
def test_select_takes_each_matching_object_once_in_index_order(with_set: bool) -> None:
    assert select(PODS_AND_NODES, INDEX, with_set) == [POD_A, POD_B, NODE]
    assert select(ANY_DEPLOYMENT, INDEX, with_set) == [DEPLOY, DEPLOY_BETA]
    assert select((MatchEntry(("*",), ("v1",), ("Deployment",)),), INDEX, with_set) == [DEPLOY]
    assert select((MatchEntry(("apps",), ("v1",), ("Pod",)),), INDEX, with_set) == []


def test_split_by_namespace_adds_cluster_scoped_objects_to_every_namespace() -> None:
    namespace_of = {POD_A: "a", POD_B: "b", NODE: ""}
    scopes = split_by_namespace([POD_B, NODE, POD_A], namespace_of, ["c", "b", "a"])
    assert scopes == [("a", [POD_A, NODE]), ("b", [POD_B, NODE]), ("c", [NODE])]
    assert split_by_namespace([POD_A], namespace_of, ["b"]) == [("a", [POD_A])]
    assert split_by_namespace([NODE], namespace_of, []) == [(WHOLE_CLUSTER, [NODE])]
    assert split_by_namespace([], namespace_of, ["a"]) == []


@pytest.mark.parametrize("cached", [False, True])
def test_the_grouper_caches_by_match_scope_and_batch(cached: bool) -> None:
    grouper = Grouper(cache_enabled=cached, dedupe_with_set=True)
    first = grouper.objects_for(PODS_AND_NODES, INDEX, "*", 1)
    assert first == [POD_A, POD_B, NODE]
    grouper.objects_for(PODS_AND_NODES[::-1], INDEX, "*", 1)
    grouper.objects_for(PODS_AND_NODES, INDEX, "*", 2)
    grouper.objects_for(PODS_AND_NODES, INDEX, "a", 1)
    assert (grouper.computations, grouper.cache_hits) == ((3, 1) if cached else (4, 0))
    grouper.forget_batch(1)
    grouper.objects_for(PODS_AND_NODES, INDEX, "*", 2)  # another batch's selection stays cached
    assert (grouper.computations, grouper.cache_hits) == ((3, 2) if cached else (5, 0))
    grouper.objects_for(PODS_AND_NODES, INDEX, "*", 1)  # the forgotten batch's is computed again
    assert (grouper.computations, grouper.cache_hits) == ((4, 2) if cached else (6, 0))


@pytest.mark.parametrize("cached", [False, True])
def test_the_grouper_caches_scopes_until_their_batch_is_forgotten(cached: bool) -> None:
    grouper = Grouper(cache_enabled=cached, dedupe_with_set=False)
    calls: list[int] = []

    def compute() -> list[tuple[str, list[ResourceID]]]:
        calls.append(1)
        return [("a", [POD_A])]

    key_1, key_2 = (match_key(PODS_AND_NODES), "namespace", 1), (match_key(PODS_AND_NODES), "namespace", 2)
    assert grouper.scopes_for(key_1, compute) == [("a", [POD_A])]
    grouper.scopes_for(key_1, compute)
    grouper.scopes_for(key_2, compute)
    assert len(calls) == (2 if cached else 3)
    assert grouper.cache_hits == (1 if cached else 0)
    grouper.scopes_for(key_2, compute)
    assert grouper.cache_hits == (2 if cached else 0)
    grouper.forget_batch(1)
    grouper.scopes_for(key_2, compute)  # another batch's split stays cached
    assert len(calls) == (2 if cached else 5)
    grouper.scopes_for(key_1, compute)  # the forgotten batch's is computed again
    assert len(calls) == (3 if cached else 6)


# Mutation-testing fixtures: each kills mutants that survived the tests above (docs/mutation.md).


def test_the_compile_key_ignores_the_order_of_the_data(engine: Any) -> None:
    assert compile_key(engine, "r", MODULE, {"a": 1, "b": 2}, DENY_QUERY) == compile_key(
        engine, "r", MODULE, {"b": 2, "a": 1}, DENY_QUERY
    )


@pytest.mark.parametrize("cached", [False, True])
def test_a_compiled_rule_answers_its_own_query(engine: Any, cached: bool) -> None:
    compiler = RuleCompiler(engine, cache_enabled=cached)
    compiled = compiler.get("r", MODULE, {"n": 3}, DENY_QUERY)
    assert compiled.evaluate([{"kind": "Pod"}]).responses == ({"n": 3},)
    compiler.release(compiled)
    compiler.close()


def test_every_hit_and_every_stray_close_is_counted(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    compiled = compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    for _ in range(3):
        compiler.get("r", MODULE, {"n": 1}, DENY_QUERY)
    assert compiler.cache_hits == 3
    uncached = RuleCompiler(engine, cache_enabled=False)
    for _ in range(3):
        uncached.release(compiled)  # never opened by `uncached`
    assert uncached.closes_unmatched == 3
    compiler.close()


def test_a_plan_drops_a_cached_compile_error_without_closing_it(engine: Any) -> None:
    compiler = RuleCompiler(engine, cache_enabled=True)
    with pytest.raises(CompileError):
        compiler.get("bad", BROKEN, {}, DENY_QUERY)
    compiler.plan({})  # the error is stale: dropped, and there is nothing to close
    with pytest.raises(CompileError):
        compiler.get("bad", BROKEN, {}, DENY_QUERY)
    assert compiler.compilations == 2 and compiler.closes_unmatched == 0


class _SlowEngine:
    """The real engine, with compile held until `go` is set (to line threads up on one key)."""

    def __init__(self, engine: Any) -> None:
        self.info = engine.info
        self._engine = engine
        self.started = threading.Event()
        self.go = threading.Event()

    def compile(self, modules: Any, data: Any, query: str) -> Any:
        self.started.set()
        self.go.wait(timeout=30)
        return self._engine.compile(modules, data, query)


def test_threads_that_waited_for_a_compilation_each_count_a_hit(engine: Any) -> None:
    slow = _SlowEngine(engine)
    compiler = RuleCompiler(slow, cache_enabled=True)  # type: ignore[arg-type]
    got: list[Any] = []

    def get() -> None:
        got.append(compiler.get("r", MODULE, {"n": 1}, DENY_QUERY))

    first = threading.Thread(target=get)
    first.start()
    assert slow.started.wait(timeout=30)
    waiting = [threading.Thread(target=get) for _ in range(2)]
    for thread in waiting:
        thread.start()
    threading.Event().wait(0.2)  # both reach the key's lock while the first compiles
    slow.go.set()
    for thread in [first, *waiting]:
        thread.join(timeout=30)
    assert compiler.compilations == 1 and compiler.cache_hits == 2
    assert len(got) == 3 and all(g is got[0] for g in got)
    compiler.close()
