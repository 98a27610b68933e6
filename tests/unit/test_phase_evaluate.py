"""The evaluation stage's units (control order, reading a rule's response, recording an outcome,
the P6 release plan, skipping rules a failed LIST starved, the enumerator's data), fast enough
for mutation testing: only the enumerator case starts an engine (regorus)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from scanner import events
from scanner.engine import load_engine
from scanner.evaluate import (
    Evaluator,
    ReleasePlan,
    ScanOptions,
    Task,
    Unit,
    UnitOutcome,
    _read_response,
    merge_parts,
    merged_parts,
    order_controls,
)
from scanner.inventory import Inventory, MemoryRawStore
from scanner.match import WHOLE_CLUSTER
from scanner.phases import Phases
from scanner.policies import Control, Library, MatchEntry, Rule
from scanner.results import FAILED, PASSED, SKIPPED, ResultsTable
from scanner.sources import Page, Source, SourceProblem

T = TypeVar("T")
CONTROLS = [Control(f"C-{n}", f"c{n}", ("r",), 1.0) for n in (3, 1, 2)]


def _pod(name: str, namespace: str = "ns") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


def _rule(name: str, *resources: str) -> Rule:
    return Rule(name, "", (MatchEntry(("",), ("v1",), resources),), (), (), relational=False)


def test_controls_are_sorted_or_shuffled_reproducibly() -> None:
    assert [c.control_id for c in order_controls(CONTROLS, "sorted")] == ["C-1", "C-2", "C-3"]
    shuffled = [c.control_id for c in order_controls(CONTROLS * 3, "shuffled:7")]
    assert shuffled == [c.control_id for c in order_controls(CONTROLS * 3, "shuffled:7")]
    assert sorted(shuffled) == sorted(c.control_id for c in CONTROLS * 3)
    nine = [Control(f"C-{n}", f"c{n}", ("r",), 1.0) for n in range(9)]
    by_seed = {
        seed: [c.control_id for c in order_controls(nine, f"shuffled{seed}")] for seed in ("", ":0", ":7")
    }
    assert by_seed[""] == by_seed[":0"]  # no seed is seed 0
    assert by_seed[":7"] != by_seed[":0"]  # the seed is read (one chance in 9! to be equal by luck)
    with pytest.raises(ValueError, match="control order 'random': use sorted or shuffled:SEED"):
        order_controls(CONTROLS, "random")


def test_a_response_names_its_targets_paths_and_related_objects_once() -> None:
    pod, other = _pod("p"), _pod("q")
    response = {
        "alertObject": {
            "k8sApiObjects": [pod, "not an object", pod],
            "k8SApiObjects": [other],
            "externalObjects": {"kind": "User", "name": "alice"},
        },
        "failedPaths": ["spec.a"],
        "reviewPaths": ["spec.b"],
        "deletePaths": ["spec.c"],
        "fixPaths": [{"path": "spec.d", "value": "true"}, "not a fix", {"path": "spec.e"}, {"value": "v"}],
        "relatedObjects": [{"object": other}, {"object": "no"}, "no"],
    }
    targets, paths, related = _read_response(response)
    assert targets == ("/v1/ns/Pod/p", "/v1/ns/Pod/q", "/v1//User/alice")
    assert paths == (
        ("failedPath", "spec.a"),
        ("reviewPath", "spec.b"),
        ("deletePath", "spec.c"),
        ("fixPath", "spec.d", "true"),
        ("fixPath", "spec.e", ""),
        ("fixPath", "", "v"),
    )
    assert related == ("/v1/ns/Pod/q",)


def test_external_objects_may_be_a_list_and_a_response_may_be_empty() -> None:
    subjects = [{"kind": "Group", "name": "g"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]
    targets, _, _ = _read_response({"alertObject": {"externalObjects": subjects}})
    assert targets == ("/v1//Group/g", "/v1/ns/ServiceAccount/sa")
    assert _read_response({"alertObject": None, "failedPaths": None}) == ((), (), ())
    assert _read_response({"alertObject": {"externalObjects": "x", "k8sApiObjects": {"a": 1}}}) == (
        (),
        (),
        (),
    )


def _unit(ids: tuple[str, ...], scope: str = "cluster") -> Unit:
    return Unit(Task(CONTROLS[1], _rule("r", "Pod")), scope, ids)  # type: ignore[arg-type]


def _statuses(table: ResultsTable) -> dict[str, tuple[str, str, list[Any]]]:
    return {
        rid: (rec.status, rec.reason, list(rec.paths))
        for rid, controls in table.rows().items()
        for rec in controls["C-1"].values()
    }


def test_record_fails_the_alerted_inputs_and_passes_the_others() -> None:
    table = ResultsTable(use_sets=False, presize=False)
    ids = ("/v1/ns/Pod/p", "/v1/ns/Pod/q")
    response = {"alertObject": {"k8sApiObjects": [_pod("p")]}, "failedPaths": ["spec.x"]}
    Evaluator.record(UnitOutcome(_unit(ids), ({**response},)), table)
    assert _statuses(table) == {ids[0]: (FAILED, "", [("failedPath", "spec.x")]), ids[1]: (PASSED, "", [])}


def test_record_files_each_outcome_under_its_rule_with_the_related_objects() -> None:
    ids = ("/v1/ns/Pod/p",)
    response = {"alertObject": {"k8sApiObjects": [_pod("p")]}, "relatedObjects": [{"object": _pod("q")}]}
    table = ResultsTable(use_sets=True, presize=False)
    Evaluator.record(UnitOutcome(_unit(ids), (response,)), table)
    assert {name: list(rec.related) for name, rec in table.rows()[ids[0]]["C-1"].items()} == {
        "r": ["/v1/ns/Pod/q"]
    }
    skipped = ResultsTable(use_sets=True, presize=False)
    Evaluator.record(UnitOutcome(_unit(ids), (), error="boom"), skipped)
    assert {name: rec.status for name, rec in skipped.rows()[ids[0]]["C-1"].items()} == {"r": SKIPPED}


def test_record_passes_only_the_inputs_the_enumerator_evaluated_within_the_scope() -> None:
    table = ResultsTable(use_sets=True, presize=False)
    ids = ("/v1/ns/Pod/p", "/v1/ns/Pod/q", "/v1/ns/Pod/r")
    evaluated = ("/v1/ns/Pod/r", "/v1/other/Pod/outside", "/v1/ns/Pod/p")
    Evaluator.record(UnitOutcome(_unit(ids), (), evaluated), table)
    assert _statuses(table) == {ids[0]: (PASSED, "", []), ids[2]: (PASSED, "", [])}


def test_an_outcome_with_an_error_skips_every_input_with_the_error() -> None:
    table = ResultsTable(use_sets=True, presize=False)
    ids = ("/v1/ns/Pod/p", "/v1/ns/Pod/q")
    failing = ({"alertObject": {"k8sApiObjects": [_pod("p")]}},)
    Evaluator.record(UnitOutcome(_unit(ids), failing, error="rule r failed to evaluate: boom"), table)
    assert _statuses(table) == {rid: (SKIPPED, "rule r failed to evaluate: boom", []) for rid in ids}


def _parts(*ids: tuple[str, ...]) -> list[Unit]:
    """X4's parts of one task: each part's IDs, the task's whole selection shared by all."""
    task = Task(CONTROLS[1], _rule("r", "Pod"))
    whole = tuple(dict.fromkeys(rid for part in ids for rid in part))
    return [Unit(task, f"subjects-{i + 1}", part, i, len(ids), whole) for i, part in enumerate(ids)]  # type: ignore[arg-type]


def test_parts_merge_into_one_outcome_over_the_whole_selection_each_response_once() -> None:
    first, second = _parts(("/v1/ns/Pod/p", "/v1/ns/Pod/b"), ("/v1/ns/Pod/q", "/v1/ns/Pod/b"))
    shared = ((), (("failedPath", "subjects[0]"),), ("/v1/ns/Pod/b",))
    own = (("/v1/ns/Pod/q",), (), ())
    merged = list(
        merged_parts(
            [
                UnitOutcome(first, read=(shared,)),
                UnitOutcome(second, read=(own, shared)),
                UnitOutcome(_unit(("/v1/ns/Pod/z",))),  # an unsplit unit passes through
            ]
        )
    )
    assert [o.unit.ids for o in merged] == [
        ("/v1/ns/Pod/p", "/v1/ns/Pod/b", "/v1/ns/Pod/q"),
        ("/v1/ns/Pod/z",),
    ]
    assert merged[0].read_responses() == (shared, own)
    assert merged[0].unit.scope == WHOLE_CLUSTER and merged[0].evaluated is None


def test_an_error_in_one_part_skips_the_whole_rule_and_enumerated_inputs_are_united() -> None:
    first, second = _parts(("/v1/ns/Pod/p",), ("/v1/ns/Pod/q", "/v1/ns/Pod/r"))
    failed = merge_parts([UnitOutcome(first, read=()), UnitOutcome(second, error="rule r failed")])
    assert (failed.error, failed.unit.ids) == (
        "rule r failed",
        ("/v1/ns/Pod/p", "/v1/ns/Pod/q", "/v1/ns/Pod/r"),
    )
    enumerated = merge_parts(
        [UnitOutcome(first, read=()), UnitOutcome(second, evaluated=("/v1/ns/Pod/r",), read=())]
    )
    assert enumerated.evaluated == (
        "/v1/ns/Pod/p",
        "/v1/ns/Pod/r",
    )  # a part without an enumerator: all its inputs


def test_parts_out_of_order_or_missing_are_refused() -> None:
    first, second = _parts(("/v1/ns/Pod/p",), ("/v1/ns/Pod/q",))
    with pytest.raises(ValueError, match="part 1 of rule r out of order"):
        list(merged_parts([UnitOutcome(second, read=())]))
    with pytest.raises(ValueError, match="1 of 2 parts of rule r"):
        list(merged_parts([UnitOutcome(first, read=())]))


def test_the_release_plan_releases_a_kind_after_the_last_unit_reading_it() -> None:
    inventory = Inventory(MemoryRawStore())
    pods = [inventory.add(_pod(n)) for n in ("a", "b")]
    config = inventory.add(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    )
    unread = inventory.add(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    )
    index = inventory.index(inventory.order)
    pods_task, both_task = (
        Task(CONTROLS[0], _rule("p", "pod")),
        Task(CONTROLS[1], _rule("pc", "Pod", "ConfigMap")),
    )
    units = [
        Unit(pods_task, "a", (pods[0],)),
        Unit(pods_task, "b", (pods[1],)),
        Unit(both_task, "cluster", (*pods, config)),  # type: ignore[arg-type]
    ]
    plan = ReleasePlan(units, index, inventory)
    assert unread not in inventory.objects  # no rule reads Secrets: released at once
    plan.unit_done(units[2])
    assert config not in inventory.objects and all(p in inventory.objects for p in pods)
    plan.unit_done(units[0])
    assert all(p in inventory.objects for p in pods)  # one unit of the pods task is left
    plan.unit_done(units[1])
    assert inventory.objects == {}
    assert inventory.counters.objects_released == 4


class _FailedLists(Source):
    """A source that delivered nothing: each of its LISTs failed."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        self.problems = problems
        self.description = "failed lists"

    def pages(self) -> Iterator[Page]:
        return iter(())


def test_a_failed_list_skips_exactly_the_rules_that_select_its_kind() -> None:
    rules = {
        "any-group": Rule("any-group", "", (MatchEntry(("*",), ("v1",), ("Pod",)),), (), (), False),
        "core": Rule("core", "", (MatchEntry(("",), ("v1",), ("Pod",)),), (), (), False),
        "apps": Rule("apps", "", (MatchEntry(("apps",), ("v1",), ("Deployment",)),), (), (), False),
        "maps": Rule("maps", "", (MatchEntry(("",), ("v1",), ("ConfigMap",)),), (), (), False),
    }
    control = Control("C-1", "one", tuple(rules), 1.0)
    library = Library(Path("."), {}, {"C-1": control}, rules, {}, {})
    problems = [
        SourceProblem("/v1/pods", "forbidden", kind="Pod"),
        SourceProblem("other.io/v1/deployments", "timed out", kind="Deployment", api_group="other.io"),
        SourceProblem("a.yaml:1:1", "malformed YAML"),
    ]
    evaluator = Evaluator(library, None, [control], ScanOptions())  # type: ignore[arg-type]
    state = evaluator.scan(_FailedLists(problems), Inventory(MemoryRawStore()), ResultsTable(True, False))
    reason = "inputs incomplete: /v1/pods: forbidden"
    assert state.skipped_rules == {("C-1", "any-group"): reason, ("C-1", "core"): reason}


ENUMERATOR_RULE = Rule(
    "limited",
    'package armo_builtins\ndeny contains {"alertObject": {"k8sApiObjects": [input[0]]}} if { input[0] }\n',
    (MatchEntry(("",), ("v1",), ("Pod",)),),
    (),
    (),
    False,
    enumerator_source=(
        "package armo_builtins\n"
        'deny contains {"alertObject": {"k8sApiObjects": [o]}} if {\n'
        "  some o in input\n"
        "  o.metadata.name in data.postureControlInputs.evaluated\n"
        "}\n"
    ),
)


def test_the_resource_enumerator_sees_the_controls_fixed_input() -> None:
    control = Control("C-1", "one", ("limited",), 1.0, fixed_input={"evaluated": ["b"]})
    library = Library(Path("."), {}, {"C-1": control}, {"limited": ENUMERATOR_RULE}, {}, {})
    inventory = Inventory(MemoryRawStore())
    ids = tuple(inventory.add(_pod(n)) for n in ("a", "b", "c"))
    evaluator = Evaluator(library, load_engine("regorus"), [control], ScanOptions())
    outcome = evaluator.run_unit(Unit(evaluator.tasks[0], "cluster", ids), inventory)  # type: ignore[arg-type]
    assert outcome.error is None
    assert outcome.evaluated == (ids[1],)
    assert [r["alertObject"]["k8sApiObjects"][0]["metadata"]["name"] for r in outcome.responses] == ["a"]


def test_the_audit_counts_kinds_by_group_and_version_even_for_names_with_slashes() -> None:
    inventory = Inventory(MemoryRawStore())
    for name in ("a", "team/b"):
        inventory.add(_pod(name))
    inventory.add(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d/1", "namespace": "x"}}
    )
    library = Library(Path("."), {}, {}, {}, {}, {})
    evaluator = Evaluator(library, None, [], ScanOptions())  # type: ignore[arg-type]
    assert evaluator.audit(inventory)["kind_counts"] == {"apps/v1/Deployment": 1, "v1/Pod": 2}


class _Pages(Source):
    """Pages of pods of the given sizes; pod n lives in namespaces[n % len(namespaces)]."""

    def __init__(self, *sizes: int, namespaces: tuple[str, ...] = ("ns",)) -> None:
        self.problems = []
        self.description = "pages"
        self._sizes = sizes
        self._namespaces = namespaces

    def pages(self) -> Iterator[Page]:
        count = 0
        for size in self._sizes:
            n = range(count, count + size)
            yield Page(tuple(_pod(f"p{i}", self._namespaces[i % len(self._namespaces)]) for i in n))
            count += size


@pytest.mark.parametrize(("sizes", "batches"), [((2, 3), 3), ((4,), 2), ((1,), 1)])
def test_streaming_counts_each_batch_and_the_cluster_size_threshold_is_strict(
    sizes: tuple[int, ...], batches: int
) -> None:
    library = Library(Path("."), {}, {}, {}, {}, {})
    size = sum(sizes)
    for p5, expected_batches in ((True, batches), (False, 1)):
        for threshold, large in ((size, False), (size - 1, True)):
            options = ScanOptions(
                phases=Phases.of({5} if p5 else set()), batch_size=2, large_cluster_size=threshold
            )
            evaluator = Evaluator(library, None, [], options)  # type: ignore[arg-type]
            state = evaluator.scan(_Pages(*sizes), Inventory(MemoryRawStore()), ResultsTable(True, False))
            assert (state.counters["batches"], state.large_cluster) == (expected_batches, large)
            assert state.counters["objects_collected"] == size


def _recorded_events(tmp_path: Path, run: Callable[[], T]) -> tuple[T, list[dict[str, Any]]]:
    """What `run` returns, and the stage events it recorded (the file's first line is its header)."""
    events.install(str(tmp_path / "events.jsonl"))
    try:
        result = run()
    finally:
        events.uninstall()
    return result, [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()[1:]]


@pytest.mark.parametrize("p5", [True, False])
def test_the_scan_marks_its_collect_and_match_stages_for_the_timeline(tmp_path: Path, p5: bool) -> None:
    library = Library(Path("."), {}, {}, {}, {}, {})
    evaluator = Evaluator(
        library, None, [], ScanOptions(phases=Phases.of({5} if p5 else set()), batch_size=2)
    )  # type: ignore[arg-type]
    _, lines = _recorded_events(
        tmp_path, lambda: evaluator.scan(_Pages(2, 1), Inventory(MemoryRawStore()), ResultsTable(True, False))
    )
    stages = [(e["stage"], e["edge"], e.get("scope")) for e in lines]
    if p5:  # batches are matched inside collection, relational rules over the whole cluster after it
        assert stages == [
            ("collect", "begin", None),
            ("match", "begin", "batch-1"),
            ("match", "end", "batch-1"),
            ("match", "begin", "batch-2"),
            ("match", "end", "batch-2"),
            ("collect", "end", None),
            ("match", "begin", "cluster"),
            ("match", "end", "cluster"),
        ]
    else:
        assert stages == [
            ("collect", "begin", None),
            ("collect", "end", None),
            ("match", "begin", "cluster"),
            ("match", "end", "cluster"),
        ]


POD_RULE = Rule(
    "pods",
    'package armo_builtins\ndeny contains {"alertObject": {"k8sApiObjects": [input[0]]}} if { input[0] }\n',
    (MatchEntry(("",), ("v1",), ("Pod",)),),
    (),
    (),
    False,
)


def test_streaming_with_the_grouping_cache_forgets_each_batch_once_it_is_evaluated() -> None:
    """P4×P5: a finished batch's selections leave the cache, so it never holds the whole cluster."""
    evaluator = _evaluator(ScanOptions(phases=Phases.of({4, 5}), batch_size=2), POD_RULE)
    table = ResultsTable(True, False)
    state = evaluator.scan(_Pages(2, 2, 1), Inventory(MemoryRawStore()), table)
    assert state.counters["batches"] == 3
    assert evaluator.grouper.computations == 3  # one selection per batch, each made while it was held
    assert evaluator.grouper.held_batches() == set()
    assert len(table.rows()) == 5  # every pod failed C-1: none was lost with a forgotten batch


def _evaluator(options: ScanOptions, *rules: Rule, fixed_input: dict[str, Any] | None = None) -> Evaluator:
    """One control, C-1, made of `rules`, evaluated by regorus."""
    control = Control("C-1", "one", tuple(r.name for r in rules), 1.0, fixed_input=fixed_input or {})
    library = Library(Path("."), {}, {"C-1": control}, {r.name: r for r in rules}, {}, {})
    return Evaluator(library, load_engine("regorus"), [control], options)


def _scan_pods(
    options: ScanOptions, *rules: Rule, sizes: tuple[int, ...] = (2,), namespaces: tuple[str, ...] = ("ns",)
) -> tuple[Evaluator, Any]:
    evaluator = _evaluator(options, *rules)
    source = _Pages(*sizes, namespaces=namespaces)
    state = evaluator.scan(source, Inventory(MemoryRawStore()), ResultsTable(True, False))
    return evaluator, state


@pytest.mark.parametrize(("threshold", "evaluations", "scope"), [(2, 1, "cluster"), (1, 2, "namespace")])
def test_a_whole_scan_splits_by_namespace_only_above_the_threshold(
    tmp_path: Path, threshold: int, evaluations: int, scope: str
) -> None:
    """Two pods in two namespaces: one unit for the cluster, or one per namespace when it is large."""
    options = ScanOptions(phases=Phases.of({4}), large_cluster_size=threshold)
    (evaluator, state), marks = _recorded_events(
        tmp_path, lambda: _scan_pods(options, POD_RULE, namespaces=("a", "b"))
    )
    assert state.counters["evaluations"] == evaluations
    assert [e.get("scope") for e in marks if e["stage"] == "match"] == [scope, scope]
    evaluated = [(e["edge"], e["rule"], e["control"], e["scope"]) for e in marks if e["stage"] == "evaluate"]
    units = ["*"] if scope == "cluster" else ["a", "b"]
    assert evaluated == [(edge, "pods", "C-1", unit) for unit in units for edge in ("begin", "end")]
    assert evaluator.grouper.held_batches() == {0}  # the whole cluster's selections are batch 0


def test_streaming_evaluates_a_batch_as_soon_as_it_is_full() -> None:
    """Pages of one object, batches of two: never more than two objects held at once."""
    _, state = _scan_pods(ScanOptions(phases=Phases.of({5}), batch_size=2), POD_RULE, sizes=(1, 1, 1, 1))
    assert (state.counters["batches"], state.counters["peak_objects_held"]) == (2, 2)


RELATIONAL_RULE = dataclasses.replace(POD_RULE, name="joined", relational=True)


@pytest.mark.parametrize("p6", [True, False])
def test_streaming_holds_joined_objects_for_the_relational_pass_and_p6_releases_them_after_it(
    p6: bool,
) -> None:
    options = ScanOptions(phases=Phases.of({4, 5, 6} if p6 else {4, 5}), batch_size=2)
    evaluator, state = _scan_pods(options, RELATIONAL_RULE, sizes=(2, 1))
    assert state.counters["batches"] == 2
    assert state.counters["objects_released"] == (3 if p6 else 0)
    assert evaluator.grouper.held_batches() == {0}  # the relational pass selects over the whole cluster


def test_the_audit_counts_an_object_evaluated_twice_by_one_rule_in_one_scope_and_batches_are_one_scope() -> (
    None
):
    evaluator = Evaluator(Library(Path("."), {}, {}, {}, {}, {}), None, [], ScanOptions(audit=True))  # type: ignore[arg-type]
    inventory = Inventory(MemoryRawStore())
    rid = inventory.add({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}})
    streamed = inventory.add(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q", "namespace": "ns"}}
    )
    assert rid is not None and streamed is not None
    task = Task(CONTROLS[0], POD_RULE)
    evaluator._audit(Unit(task, "ns", (rid,)), inventory)
    evaluator._audit(
        Unit(task, WHOLE_CLUSTER, (rid,)), inventory
    )  # another scope: a namespace unit and the cluster
    assert evaluator.repeated_evaluations == 0
    evaluator._audit(Unit(task, "batch-1", (streamed,)), inventory)
    evaluator._audit(
        Unit(task, "batch-2", (streamed,)), inventory
    )  # two batches are one scope: the cluster's
    evaluator._audit(Unit(task, "batch-3", (streamed,)), inventory)
    assert evaluator.repeated_evaluations == 2


def test_the_audit_counts_one_object_back_under_another_api_version_as_evaluated_twice() -> None:
    """An identity (group, namespace, kind, name) is one object whatever its version or resource ID."""
    evaluator = Evaluator(Library(Path("."), {}, {}, {}, {}, {}), None, [], ScanOptions(audit=True))  # type: ignore[arg-type]
    inventory = Inventory(MemoryRawStore())
    widget = {
        "apiVersion": "ksbench.example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "ns"},
    }
    first = inventory.add(widget)
    assert first is not None
    inventory.release([first])
    # What a scanner that forgot the identity on release would hold: the same object as a second resource.
    inventory._seen.clear()
    second = inventory.add({**widget, "apiVersion": "ksbench.example.com/v1beta1"})
    assert second is not None and second != first
    task = Task(CONTROLS[0], POD_RULE)
    evaluator._audit(Unit(task, "batch-1", (first,)), inventory)
    evaluator._audit(Unit(task, "batch-2", (second,)), inventory)
    assert evaluator.repeated_evaluations == 1


DIVIDES_BY_ZERO = "package armo_builtins\ndeny contains x if { x := 1 / 0 }\n"
EVERY_INPUT = (
    'package armo_builtins\ndeny contains {"alertObject": {"k8sApiObjects": [o]}} if { some o in input }\n'
)


@pytest.mark.parametrize(
    ("aggregator", "alerted", "error"),
    [
        ("apiserver-pod", ["kube-apiserver-1"], None),
        ("nope", [], "rule agg: resourcesAggregator 'nope' is not implemented"),
    ],
)
def test_a_rule_with_an_aggregator_is_evaluated_on_what_it_derives(
    aggregator: str, alerted: list[str], error: str | None
) -> None:
    rule = Rule(
        "agg", EVERY_INPUT, (MatchEntry(("",), ("v1",), ("Pod",)),), (), (), False, aggregator=aggregator
    )
    inventory = Inventory(MemoryRawStore())
    ids = tuple(inventory.add(_pod(n, "kube-system")) for n in ("kube-apiserver-1", "coredns"))
    evaluator = _evaluator(ScanOptions(), rule)
    outcome = evaluator.run_unit(Unit(evaluator.tasks[0], "*", ids), inventory)  # type: ignore[arg-type]
    assert outcome.error == error
    assert [r["alertObject"]["k8sApiObjects"][0]["metadata"]["name"] for r in outcome.responses] == alerted


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (
            dataclasses.replace(POD_RULE, name="bad", source="package armo_builtins\ndeny contains"),
            "rule bad does not compile: ",
        ),
        (
            dataclasses.replace(POD_RULE, name="agg", aggregator="nope"),
            "rule agg: resourcesAggregator 'nope' is not implemented",
        ),
        (
            dataclasses.replace(POD_RULE, name="fails", source=DIVIDES_BY_ZERO),
            "rule fails failed to evaluate: ",
        ),
        (
            dataclasses.replace(POD_RULE, name="enum", enumerator_source=DIVIDES_BY_ZERO),
            "rule enum: resource enumerator failed: ",
        ),
    ],
)
def test_a_unit_that_cannot_run_is_skipped_counted_and_still_releases_its_objects(
    rule: Rule, reason: str
) -> None:
    options = ScanOptions(phases=Phases.of({6}), large_cluster_size=1)  # one unit per namespace
    _, state = _scan_pods(options, rule, namespaces=("a", "b"))
    assert state.counters["evaluation_errors"] == 2
    assert state.counters["objects_released"] == 2  # P6: the failed unit was the pods' last use
    records = [rec for controls in state.table.rows().values() for rec in controls["C-1"].values()]
    assert [rec.status for rec in records] == [SKIPPED, SKIPPED]
    assert all(rec.reason.startswith(reason) for rec in records), records


def test_streamed_units_are_scoped_by_their_batch(tmp_path: Path) -> None:
    options = ScanOptions(phases=Phases.of({5}), batch_size=2)
    _, marks = _recorded_events(tmp_path, lambda: _scan_pods(options, POD_RULE, sizes=(2, 1)))
    assert [e["scope"] for e in marks if e["stage"] == "evaluate" and e["edge"] == "begin"] == [
        "batch-1",
        "batch-2",
    ]


@pytest.mark.parametrize(("rule", "compiled"), [(POD_RULE, 1), (ENUMERATOR_RULE, 2)])
def test_p1_closes_each_compiled_rule_after_its_last_planned_unit(rule: Rule, compiled: int) -> None:
    """Two namespace units share one compiled rule (and its enumerator): compiled once, closed once,
    and closed by the plan when the last unit is done, not by the scan's final close."""
    evaluator = _evaluator(ScanOptions(phases=Phases.of({1})), rule, fixed_input={"evaluated": ["p0"]})
    inventory = Inventory(MemoryRawStore())
    for n, namespace in enumerate(("a", "b")):
        inventory.add(_pod(f"p{n}", namespace))
    index = inventory.index(inventory.order)
    units = evaluator.units_for(evaluator.tasks, index, inventory, "namespace", 0)
    assert len(units) == 2
    evaluator.plan_compilations(units)
    evaluator.run_units(units, inventory, ResultsTable(True, False))
    compiler = evaluator.compiler
    assert (compiler.compilations, compiler.compiled_opened, compiler.compiled_closed) == (compiled,) * 3
    assert compiler.closes_unmatched == 0


class _ThreadRecorder(Evaluator):
    """Runs no rule: each unit records the thread it ran on, waiting for a second unit to run beside it."""

    def __init__(self, workers: int) -> None:
        super().__init__(Library(Path("."), {}, {}, {}, {}, {}), None, [], ScanOptions(workers=workers))  # type: ignore[arg-type]
        self.threads: list[str] = []
        self.third_ran_beside = False
        self._pair = threading.Barrier(2, timeout=10) if workers > 1 else None
        self._three = threading.Barrier(3, timeout=0.5)

    def run_unit(self, unit: Unit, inventory: Inventory) -> UnitOutcome:
        if self._pair is not None:
            # A third unit at once would mean more threads than workers. The wait can only end
            # early when that happens, so a slow machine never fails the real pool.
            try:
                self._three.wait()
                self.third_ran_beside = True
            except threading.BrokenBarrierError:
                pass
            self._pair.wait()  # two units at once: the pool really has two workers
        self.threads.append(threading.current_thread().name)
        return UnitOutcome(unit, ())


@pytest.mark.parametrize("workers", [1, 2])
def test_units_run_on_the_callers_thread_or_on_exactly_the_workers_asked_for(workers: int) -> None:
    evaluator = _ThreadRecorder(workers)
    units = [_unit((f"/v1/ns/Pod/p{n}",)) for n in range(4)]
    table = ResultsTable(True, False)
    evaluator.run_units(units, Inventory(MemoryRawStore()), table)
    if workers == 1:
        assert set(evaluator.threads) == {threading.current_thread().name}
    else:
        assert len(set(evaluator.threads)) == 2 and not evaluator.third_ran_beside
        assert all(name.startswith("ksbench-eval") for name in evaluator.threads)
    assert list(table.rows()) == [f"/v1/ns/Pod/p{n}" for n in range(4)]  # recorded in schedule order


def test_namespace_mode_gives_every_namespace_its_cluster_scoped_inputs() -> None:
    """A namespace none of whose objects the rule selects still gets a unit: the cluster-scoped inputs."""
    rule = Rule("pods-and-nodes", EVERY_INPUT, (MatchEntry(("",), ("v1",), ("Pod", "Node")),), (), (), False)
    evaluator = _evaluator(ScanOptions(), rule)
    inventory = Inventory(MemoryRawStore())
    pod = inventory.add(_pod("p", "a"))
    inventory.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "b"}})
    node = inventory.add({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}})
    units = evaluator.units_for(evaluator.tasks, inventory.index(inventory.order), inventory, "namespace", 0)
    assert [(u.scope, u.ids) for u in units] == [("a", (pod, node)), ("b", (node,))]


class _PodThenFailedPage(Source):
    """One page with a pod, then a LIST page that failed; a problem without a kind comes first."""

    def __init__(self) -> None:
        self.problems = []
        self.description = "partial"

    def pages(self) -> Iterator[Page]:
        yield Page((_pod("p"),))
        self.problems.extend(
            [
                SourceProblem("a.yaml:1:1", "malformed YAML"),
                SourceProblem("/v1/pods", "forbidden", kind="Pod"),
            ]
        )


def test_a_rule_whose_kind_failed_to_list_is_skipped_with_the_failure_even_after_other_problems() -> None:
    evaluator = _evaluator(ScanOptions(), POD_RULE)
    state = evaluator.scan(_PodThenFailedPage(), Inventory(MemoryRawStore()), ResultsTable(True, False))
    [record] = state.table.rows()["/v1/ns/Pod/p"]["C-1"].values()
    assert (record.status, record.reason) == (SKIPPED, "inputs incomplete: /v1/pods: forbidden")


def test_the_counters_name_every_figure_a_report_carries() -> None:
    _, state = _scan_pods(
        ScanOptions(phases=Phases.of({1}), large_cluster_size=1), POD_RULE, namespaces=("a", "b")
    )
    assert list(state.counters) == [
        "objects_collected",
        "duplicates_dropped",
        "owned_by_controller_skipped",
        "objects_released",
        "peak_objects_held",
        "compilations",
        "compile_cache_hits",
        "match_computations",
        "match_cache_hits",
        "evaluations",
        "evaluation_errors",
        "batches",
        "rules_relational_by_reads",
        "rules_relational_undecided",
        "subject_split_rules",
        "subject_groups",
        "subject_split_refused",
        "namespace_split_rules",
        "namespace_groups",
        "namespace_split_refused",
    ]
    assert (state.counters["compilations"], state.counters["compile_cache_hits"]) == (1, 1)
    # POD_RULE has no Rego: it reads nothing of input, so it is per-object and decided.
    assert (state.counters["rules_relational_by_reads"], state.counters["rules_relational_undecided"]) == (
        0,
        0,
    )


@pytest.mark.parametrize(
    ("phases", "audit", "distinct", "repeats"),
    [
        (Phases.of({1}), True, 1, 0),
        (Phases.of({1, 5}), True, None, 0),
        (Phases.of({1}), False, 1, None),
        (Phases(), True, None, 0),
    ],
)
def test_the_audit_reports_closes_distinct_keys_repeats_and_kinds(
    phases: Phases, audit: bool, distinct: int | None, repeats: int | None
) -> None:
    options = ScanOptions(phases=phases, audit=audit, large_cluster_size=1, batch_size=1)
    _, state = _scan_pods(options, POD_RULE, namespaces=("a", "b"))
    compiled = 1 if phases == Phases.of({1}) else 2  # without P1 each unit compiles; with P5 each batch
    assert state.audit == {
        "compiled_opened": compiled,
        "compiled_closed": compiled,
        "closes_unmatched": 0,
        "distinct_compile_keys": distinct,
        "repeated_evaluations": repeats,
        "kind_counts": {"v1/Pod": 2},
    }
