"""Runs the selected controls' rules over the collected objects and records what they found.

Owns the scan's schedule: which rule sees which objects when. Baseline: collect everything,
then evaluate each rule once over its selection (per namespace above the large-cluster size,
compiling again for each evaluation). P5 evaluates non-relational rules batch by batch as pages
arrive and keeps only the objects relational rules join; P6 releases objects once the last rule
that selects their kind is done. Recording happens in schedule order whatever the worker count,
so the results never depend on it. Engine calls go through scanner.engine only.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scanner import events
from scanner.engine import PACKAGE_QUERY, CompileError, Engine
from scanner.engine.cache import RuleCompiler
from scanner.inventory import Inventory
from scanner.match import WHOLE_CLUSTER, Grouper, KindIndex, match_key, selects, split_by_namespace
from scanner.namespaces import JOIN_KEY as NAMESPACE_JOIN_KEY
from scanner.namespaces import split_by_namespace_key
from scanner.phases import BASELINE, Phases
from scanner.policies import Control, Library, Rule
from scanner.policies.aggregators import UnknownAggregator, aggregate
from scanner.results import FAILED, PASSED, SKIPPED, ResultsTable
from scanner.sources import KubeObject, Source, SourceProblem
from scanner.sources.objects import ResourceID, external_id, resource_id
from scanner.subjects import JOIN_KEY, Unsplittable, split_by_subject

SUBJECT_SCOPE = "subjects-"  # X4: the scope of one part of a rule split by subject
NAMESPACE_SCOPE = "namespaces-"  # X5: the scope of one part of a rule split by namespace
# The join keys a rule may declare, and the candidate phase that splits by each.
_JOIN_CANDIDATES: dict[str, int] = {JOIN_KEY: 4, NAMESPACE_JOIN_KEY: 5}
LARGE_CLUSTER_SIZE = 2500  # kubescape's threshold; compared with `>` on the count frozen after collection
DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class ScanOptions:
    phases: Phases = BASELINE
    workers: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    large_cluster_size: int = LARGE_CLUSTER_SIZE
    control_order: str = "sorted"  # or "shuffled:SEED"
    audit: bool = False  # count objects evaluated twice by one rule in one scope (costs a set per rule)


@dataclass(frozen=True, eq=False)  # one Task per (control, rule) in the schedule: identity is equality
class Task:
    control: Control
    rule: Rule


@dataclass(frozen=True)
class Unit:
    """One evaluation: a task over one scope (a namespace, a batch, the whole cluster, or with X4 or
    X5 one part of a split join, whose parts are merged into one outcome over `whole`)."""

    task: Task
    scope: str
    ids: tuple[ResourceID, ...]
    part: int = 0
    parts: int = 1
    whole: tuple[ResourceID, ...] = ()  # X4: every input of the split task, shared by its parts


# A response as recording reads it: (the resources it fails, its paths, the related resources).
ReadResponse = tuple[tuple[ResourceID, ...], tuple[tuple[str, ...], ...], tuple[ResourceID, ...]]


@dataclass(frozen=True)
class UnitOutcome:
    unit: Unit
    responses: tuple[dict[str, Any], ...] = ()
    evaluated: tuple[ResourceID, ...] | None = None  # None: every input was evaluated
    error: str | None = None
    # X4's parts keep only what recording reads, so a split join never holds every response whole.
    read: tuple[ReadResponse, ...] | None = None

    def read_responses(self) -> tuple[ReadResponse, ...]:
        if self.read is not None:
            return self.read
        return tuple(_read_response(r) for r in self.responses)


@dataclass
class ScanState:
    """Everything a finished scan hands to the report."""

    inventory: Inventory
    table: ResultsTable
    controls: list[Control]
    problems: list[SourceProblem]
    skipped_rules: dict[tuple[str, str], str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    large_cluster: bool = False


def order_controls(controls: list[Control], control_order: str) -> list[Control]:
    ordered = sorted(controls, key=lambda c: c.control_id)
    if control_order.startswith("shuffled"):
        _, _, seed = control_order.partition(":")
        random.Random(seed or "0").shuffle(ordered)
    elif control_order != "sorted":
        raise ValueError(f"control order {control_order!r}: use sorted or shuffled:SEED")
    return ordered


class Evaluator:
    def __init__(
        self, library: Library, engine: Engine, controls: list[Control], options: ScanOptions
    ) -> None:
        self.library = library
        self.options = options
        phases = options.phases
        self.controls = order_controls(controls, options.control_order)
        self.tasks = [Task(c, library.rules[name]) for c in self.controls for name in c.rule_names]
        self.compiler = RuleCompiler(engine, cache_enabled=phases.has(1))
        self.grouper = Grouper(cache_enabled=phases.has(4), dedupe_with_set=phases.has(3))
        self.evaluations = 0
        self.evaluation_errors = 0
        self.batches = 0
        self._lock = threading.Lock()
        self._release_plan: ReleasePlan | None = None
        self.repeated_evaluations = 0
        # X4: rule evaluations split by subject, the groups they formed, and splits refused.
        self.subject_split_tasks = 0
        self.subject_groups = 0
        self.subject_split_refused = 0
        # X5: rule evaluations split by namespace, the groups they formed, and splits refused.
        self.namespace_split_tasks = 0
        self.namespace_groups = 0
        self.namespace_split_refused = 0
        # Audit: the identities (group, namespace, kind, name: no version) each rule evaluated per scope.
        self._evaluated: dict[tuple[Task, str], set[tuple[str, str, str, str]]] | None = (
            {} if options.audit else None
        )

    # -- one evaluation ---------------------------------------------------------------

    def _compile_args(
        self, rule: Rule, control: Control, source: str | None
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        modules = self.library.modules_for(rule)
        if source is not None:
            modules = {**modules, f"{rule.name}/filter.rego": source}
            del modules[f"{rule.name}/raw.rego"]
        name = rule.name if source is None else f"{rule.name}#filter"
        return name, modules, self.library.data_for(rule, control)

    def _compiled(self, rule: Rule, control: Control, source: str | None = None) -> Any:
        name, modules, data = self._compile_args(rule, control, source)
        return self.compiler.get(name, modules, data, PACKAGE_QUERY)

    def plan_compilations(self, units: list[Unit]) -> None:
        """P1: tell the compile cache how often each compiled rule will be used, so it can close it after."""
        if not self.options.phases.has(1):
            return
        uses: dict[str, int] = {}
        keys: dict[Task, list[str]] = {}
        for unit in units:
            task = unit.task
            if task not in keys:
                sources = [None] + ([task.rule.enumerator_source] if task.rule.enumerator_source else [])
                keys[task] = [
                    self.compiler.key(*self._compile_args(task.rule, task.control, src), PACKAGE_QUERY)
                    for src in sources
                ]
            for key in keys[task]:
                uses[key] = uses.get(key, 0) + 1
        self.compiler.plan(uses)

    def run_unit(self, unit: Unit, inventory: Inventory) -> UnitOutcome:
        task = unit.task
        with events.span("evaluate", rule=task.rule.name, control=task.control.control_id, scope=unit.scope):
            return self._run_unit(unit, inventory)

    def _run_unit(self, unit: Unit, inventory: Inventory) -> UnitOutcome:
        rule, control = unit.task.rule, unit.task.control
        objects = [inventory.objects[rid] for rid in unit.ids]
        with self._lock:
            self.evaluations += 1
        if rule.aggregator:
            try:
                objects = aggregate(rule.aggregator, objects)
            except UnknownAggregator as exc:
                return self._finish(unit, UnitOutcome(unit, error=f"rule {rule.name}: {exc}"))
        try:
            compiled = self._compiled(rule, control)
        except CompileError as exc:
            return self._finish(unit, UnitOutcome(unit, error=f"rule {rule.name} does not compile: {exc}"))
        try:
            outcome = compiled.evaluate(objects)
        finally:
            self.compiler.release(compiled)
        if outcome.error is not None:
            return self._finish(
                unit, UnitOutcome(unit, error=f"rule {rule.name} failed to evaluate: {outcome.error}")
            )
        evaluated: tuple[ResourceID, ...] | None = None
        if rule.enumerator_source is not None:
            evaluated, error = self._enumerate(rule, control, objects)
            if error:
                return self._finish(unit, UnitOutcome(unit, error=error))
        if unit.parts > 1:
            read = tuple(_read_response(r) for r in outcome.responses)
            return self._finish(unit, UnitOutcome(unit, evaluated=evaluated, read=read))
        return self._finish(unit, UnitOutcome(unit, outcome.responses, evaluated))

    def _enumerate(
        self, rule: Rule, control: Control, objects: list[dict[str, Any]]
    ) -> tuple[tuple[ResourceID, ...], str | None]:
        """The resource enumerator (filter.rego) says which inputs the rule really evaluated."""
        try:
            compiled = self._compiled(rule, control, rule.enumerator_source)
        except CompileError as exc:
            return (), f"rule {rule.name}: resource enumerator does not compile: {exc}"
        try:
            outcome = compiled.evaluate(objects)
        finally:
            self.compiler.release(compiled)
        if outcome.error is not None:
            return (), f"rule {rule.name}: resource enumerator failed: {outcome.error}"
        ids = [
            resource_id(o) for r in outcome.responses for o in _alerted_objects(r.get("alertObject") or {})
        ]
        return tuple(dict.fromkeys(ids)), None

    def _finish(self, unit: Unit, outcome: UnitOutcome) -> UnitOutcome:
        if outcome.error is not None:
            with self._lock:
                self.evaluation_errors += 1
        if self._release_plan is not None:
            self._release_plan.unit_done(unit)
        return outcome

    # -- recording --------------------------------------------------------------------

    def _audit(self, unit: Unit, inventory: Inventory) -> None:
        """Audit: an object a rule already evaluated in this scope (batches are one scope) is counted,
        by identity, not resource ID: the same object back under another API version counts too."""
        if self._evaluated is None:
            return
        scope = WHOLE_CLUSTER if unit.scope.startswith("batch-") else unit.scope
        seen = self._evaluated.setdefault((unit.task, scope), set())
        for rid in unit.ids:
            meta = inventory.meta[rid]
            identity = (meta.api_group, meta.namespace, meta.kind, meta.name)
            if identity in seen:
                self.repeated_evaluations += 1
            seen.add(identity)

    @staticmethod
    def record(outcome: UnitOutcome, table: ResultsTable) -> None:
        unit = outcome.unit
        control_id, rule_name = unit.task.control.control_id, unit.task.rule.name
        if outcome.error is not None:
            for rid in unit.ids:
                table.record(rid, control_id, rule_name, SKIPPED, reason=outcome.error)
            return
        failed: dict[ResourceID, None] = {}
        for targets, paths, related in outcome.read_responses():
            for rid in targets:
                failed[rid] = None
                table.record(rid, control_id, rule_name, FAILED, paths, related)
        if outcome.evaluated is None:
            inputs: Iterable[ResourceID] = unit.ids
        else:
            in_scope = set(unit.ids)
            inputs = [rid for rid in outcome.evaluated if rid in in_scope]
        for rid in inputs:
            if rid not in failed:
                table.record(rid, control_id, rule_name, PASSED)

    def run_units(self, units: list[Unit], inventory: Inventory, table: ResultsTable) -> None:
        """Evaluate with the configured workers; record in schedule order (X4's parts merged first)."""
        run: Callable[[Unit], UnitOutcome] = lambda unit: self.run_unit(unit, inventory)  # noqa: E731
        if self.options.workers <= 1:
            for outcome in merged_parts(map(run, units)):
                self._audit(outcome.unit, inventory)
                self.record(outcome, table)
            return
        with ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="ksbench-eval") as pool:
            for outcome in merged_parts(pool.map(run, units)):
                self._audit(outcome.unit, inventory)
                self.record(outcome, table)

    # -- schedules --------------------------------------------------------------------

    def units_for(
        self, tasks: list[Task], index: KindIndex, inventory: Inventory, scope_mode: str, batch: int
    ) -> list[Unit]:
        units: list[Unit] = []
        namespaces = inventory.namespaces() if scope_mode == "namespace" else []
        for task in tasks:
            rule = task.rule
            selected = self.grouper.objects_for(
                rule.inputs, index, WHOLE_CLUSTER if scope_mode != "batch" else f"batch-{batch}", batch
            )
            if not selected:
                continue
            if scope_mode == "namespace" and not rule.relational:
                scopes = self.grouper.scopes_for(
                    (match_key(rule.inputs), "namespace", batch),
                    functools.partial(split_by_namespace, selected, inventory.namespace_of, namespaces),
                )
            elif scope_mode != "batch" and (join := self.join_split(rule)):
                scopes = self.grouper.scopes_for(
                    (match_key(rule.inputs), join, batch),
                    functools.partial(self._join_scopes, join, rule, selected, inventory),
                )
                if len(scopes) > 1:
                    with self._lock:
                        if join == JOIN_KEY:
                            self.subject_split_tasks += 1
                        else:
                            self.namespace_split_tasks += 1
                    whole = tuple(selected)  # what the merged parts are recorded over
                    units.extend(
                        Unit(task, scope, tuple(ids), i, len(scopes), whole)
                        for i, (scope, ids) in enumerate(scopes)
                    )
                    continue
            else:
                scopes = [(WHOLE_CLUSTER if scope_mode != "batch" else f"batch-{batch}", selected)]
            units.extend(Unit(task, scope, tuple(ids)) for scope, ids in scopes)
        return units

    def join_split(self, rule: Rule) -> str:
        """The join key this scan splits the rule by (X4: subject, X5: namespace), or "".

        Only a relational rule that declares the key, and derives no input (an aggregator builds
        its objects from the whole selection), is split, and only when its candidate is on."""
        candidate = _JOIN_CANDIDATES.get(rule.join_key)
        if candidate is None or not rule.relational or rule.aggregator:
            return ""
        return rule.join_key if self.options.phases.has_candidate(candidate) else ""

    def _join_scopes(
        self, join: str, rule: Rule, selected: list[ResourceID], inventory: Inventory
    ) -> list[tuple[str, list[ResourceID]]]:
        by_subject = join == JOIN_KEY
        split = split_by_subject if by_subject else split_by_namespace_key
        try:
            groups, packs = split(selected, inventory.objects, self.options.batch_size)
        except Unsplittable as exc:
            with self._lock:
                if by_subject:
                    self.subject_split_refused += 1
                else:
                    self.namespace_split_refused += 1
            events.mark(f"{join}-split", "refused", rule=rule.name, reason=str(exc))
            return [(WHOLE_CLUSTER, selected)]
        with self._lock:
            if by_subject:
                self.subject_groups += groups
            else:
                self.namespace_groups += groups
        if len(packs) == 1:
            return [(WHOLE_CLUSTER, selected)]
        prefix = SUBJECT_SCOPE if by_subject else NAMESPACE_SCOPE
        return [(f"{prefix}{i + 1}", ids) for i, ids in enumerate(packs)]

    def scan(self, source: Source, inventory: Inventory, table: ResultsTable) -> ScanState:
        if self.options.phases.has(5):
            large = self._scan_streaming(source, inventory, table)
        else:
            large = self._scan_whole(source, inventory, table)
        problems = [*source.problems, *inventory.conflicts]
        state = ScanState(inventory, table, self.controls, problems, large_cluster=large)
        self._skip_incomplete(state)
        self.compiler.close()
        state.counters = self.counters(inventory)
        state.audit = self.audit(inventory)
        return state

    def _scan_whole(self, source: Source, inventory: Inventory, table: ResultsTable) -> bool:
        with events.span("collect"):
            for obj, where in _placed(source):
                inventory.add(obj, where)
        table.reserve(inventory.order)
        large = inventory.counters.objects_collected > self.options.large_cluster_size
        with events.span("match", scope="namespace" if large else "cluster"):
            index = inventory.index(inventory.order)
            units = self.units_for(self.tasks, index, inventory, "namespace" if large else "cluster", 0)
        if self.options.phases.has(6):
            self._release_plan = ReleasePlan(units, index, inventory)
        self.plan_compilations(units)
        self.run_units(units, inventory, table)
        self.batches = 1
        return large

    def _scan_streaming(self, source: Source, inventory: Inventory, table: ResultsTable) -> bool:
        relational = [t for t in self.tasks if t.rule.relational]
        per_object = [t for t in self.tasks if not t.rule.relational]
        joined = {key for t in relational for key in match_key(t.rule.inputs)}
        pending: list[ResourceID] = []

        def process(ids: list[ResourceID]) -> None:
            self.batches += 1
            table.reserve(ids)
            with events.span("match", scope=f"batch-{self.batches}"):
                index = inventory.index(ids)
                units = self.units_for(per_object, index, inventory, "batch", self.batches)
            # Closed after their last use in this batch: an OPA engine kept for the next batch holds
            # ~1 MiB of Go heap from its evaluations, and 40 of them set the peak (P1×P5).
            self.plan_compilations(units)
            self.run_units(units, inventory, table)
            self.grouper.forget_batch(self.batches)
            keep = {key for key in index if _selected_by(key, joined)}
            inventory.release(rid for key, rids in index.items() if key not in keep for rid in rids)

        events.mark("collect", "begin")  # streaming: batches are matched and evaluated inside collection
        for page_number, page in enumerate(source.pages(), 1):
            for position, obj in enumerate(page.objects):
                rid = inventory.add(obj, page.place(position) or f"page {page_number}")
                if rid is not None:
                    pending.append(rid)
            while len(pending) >= self.options.batch_size:
                process(pending[: self.options.batch_size])
                pending = pending[self.options.batch_size :]
        if pending:
            process(pending)
        events.mark("collect", "end")
        with events.span("match", scope="cluster"):
            held = [rid for rid in inventory.order if rid in inventory.objects]
            index = inventory.index(held)
            units = self.units_for(relational, index, inventory, "cluster", 0)
        if self.options.phases.has(6):
            self._release_plan = ReleasePlan(units, index, inventory)
        self.plan_compilations(units)  # the batches' compiled rules are closed: no batch comes after
        self.run_units(units, inventory, table)
        return inventory.counters.objects_collected > self.options.large_cluster_size

    def _skip_incomplete(self, state: ScanState) -> None:
        """Rules that select a kind whose LIST failed are skipped, with the failure as the reason."""
        for problem in state.problems:
            if problem.kind is None:
                continue
            for task in self.tasks:
                if any(
                    _accepts(g, problem.api_group or "") and r == problem.kind
                    for g, _, r in match_key(task.rule.match)
                ):
                    reason = f"inputs incomplete: {problem.where}: {problem.reason}"
                    key = (task.control.control_id, task.rule.name)
                    state.skipped_rules.setdefault(key, reason)
                    state.table.skip_rule(*key, reason)

    def counters(self, inventory: Inventory) -> dict[str, int]:
        c = inventory.counters
        return {
            "objects_collected": c.objects_collected,
            "duplicates_dropped": c.duplicates_dropped,
            "owned_by_controller_skipped": c.owned_by_controller,
            "objects_released": c.objects_released,
            "peak_objects_held": c.peak_objects_held,
            "compilations": self.compiler.compilations,
            "compile_cache_hits": self.compiler.cache_hits,
            "match_computations": self.grouper.computations,
            "match_cache_hits": self.grouper.cache_hits,
            "evaluations": self.evaluations,
            "evaluation_errors": self.evaluation_errors,
            "batches": self.batches,
            # Rules whose Rego joins objects of input (scanner.policies.reads), and of those the
            # ones that could not be decided and are relational to be safe.
            "rules_relational_by_reads": len({t.rule.name for t in self.tasks if t.rule.reads.relational}),
            "rules_relational_undecided": len(
                {t.rule.name for t in self.tasks if t.rule.reads.relational and not t.rule.reads.decided}
            ),
            # X4 (scanner.subjects): evaluations split by subject, their groups, splits refused.
            "subject_split_rules": self.subject_split_tasks,
            "subject_groups": self.subject_groups,
            "subject_split_refused": self.subject_split_refused,
            # X5 (scanner.namespaces): evaluations split by namespace, their groups, splits refused.
            "namespace_split_rules": self.namespace_split_tasks,
            "namespace_groups": self.namespace_groups,
            "namespace_split_refused": self.namespace_split_refused,
        }

    def audit(self, inventory: Inventory) -> dict[str, Any]:
        """What the parity invariants read (`metadata.audit`): closes, distinct compile keys, repeats, kinds."""
        kinds: dict[str, int] = {}
        for rid in inventory.meta:
            group, version, _, kind, _ = rid.split("/", 4)
            name = f"{group}/{version}/{kind}" if group else f"{version}/{kind}"
            kinds[name] = kinds.get(name, 0) + 1
        return {
            "compiled_opened": self.compiler.compiled_opened,
            "compiled_closed": self.compiler.compiled_closed,
            "closes_unmatched": self.compiler.closes_unmatched,
            # With P5, P1 closes a compiled rule after its last use in each batch and compiles it again
            # in the next: one compilation per key holds only without streaming.
            "distinct_compile_keys": self.compiler.distinct_keys
            if self.options.phases.has(1) and not self.options.phases.has(5)
            else None,
            "repeated_evaluations": self.repeated_evaluations if self.options.audit else None,
            "kind_counts": dict(sorted(kinds.items())),
        }


def _accepts(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value


def _placed(source: Source) -> Iterator[tuple[KubeObject, str]]:
    """Each object the source delivers, with where it came from (its page's number if unnamed)."""
    for page_number, page in enumerate(source.pages(), 1):
        for index, obj in enumerate(page.objects):
            yield obj, page.place(index) or f"page {page_number}"


def _selected_by(key: tuple[str, str, str], wanted: Iterable[tuple[str, str, str]]) -> bool:
    return any(selects(w, key) for w in wanted)


class ReleasePlan:
    """P6: decided before evaluation, the number of units still to read each kind; at zero, release it."""

    def __init__(self, units: list[Unit], index: KindIndex, inventory: Inventory) -> None:
        self._inventory = inventory
        self._index = index
        self._keys_of_task: dict[Task, list[tuple[str, str, str]]] = {}
        self._units_left: dict[Task, int] = {}
        self._readers: dict[tuple[str, str, str], int] = {}
        for unit in units:
            self._units_left[unit.task] = self._units_left.get(unit.task, 0) + 1
        for task in self._units_left:
            keys = [key for key in index if _selected_by(key, match_key(task.rule.inputs))]
            self._keys_of_task[task] = keys
            for key in keys:
                self._readers[key] = self._readers.get(key, 0) + 1
        self._lock = threading.Lock()
        # Kinds no rule reads are released at once.
        inventory.release(rid for key, rids in index.items() if key not in self._readers for rid in rids)

    def unit_done(self, unit: Unit) -> None:
        released: list[tuple[str, str, str]] = []
        with self._lock:
            self._units_left[unit.task] -= 1
            if self._units_left[unit.task]:
                return
            for key in self._keys_of_task[unit.task]:
                self._readers[key] -= 1
                if self._readers[key] == 0:
                    released.append(key)
        self._inventory.release(rid for key in released for rid in self._index[key])


def merged_parts(outcomes: Iterable[UnitOutcome]) -> Iterator[UnitOutcome]:
    """Outcomes in schedule order, the consecutive parts of each split task (X4, X5) merged into one."""
    parts: list[UnitOutcome] = []
    for outcome in outcomes:
        if outcome.unit.parts <= 1:
            yield outcome
            continue
        if outcome.unit.part != len(parts):
            raise ValueError(f"part {outcome.unit.part} of rule {outcome.unit.task.rule.name} out of order")
        parts.append(outcome)
        if len(parts) == outcome.unit.parts:
            yield merge_parts(parts)
            parts = []
    if parts:
        raise ValueError(
            f"{len(parts)} of {parts[0].unit.parts} parts of rule {parts[0].unit.task.rule.name}"
        )


def merge_parts(parts: list[UnitOutcome]) -> UnitOutcome:
    """One task's parts as the one evaluation they replace: over every input of the task, each
    response once however many parts emitted it (a binding or role is in every group that names
    it), and the first error, if any, for the whole (the whole evaluation would have failed)."""
    first = parts[0].unit
    whole = Unit(first.task, WHOLE_CLUSTER, first.whole)
    error = next((p.error for p in parts if p.error is not None), None)
    if error is not None:
        return UnitOutcome(whole, error=error)
    read = tuple(dict.fromkeys(r for p in parts for r in p.read_responses()))
    evaluated: tuple[ResourceID, ...] | None = None
    if any(p.evaluated is not None for p in parts):
        evaluated = tuple(
            dict.fromkeys(rid for p in parts for rid in (p.unit.ids if p.evaluated is None else p.evaluated))
        )
    return UnitOutcome(whole, evaluated=evaluated, read=read)


def _read_response(response: dict[str, Any]) -> ReadResponse:
    """A rule response → (the resources it fails, its paths, the related resources)."""
    alert = response.get("alertObject") or {}
    targets = [resource_id(o) for o in _alerted_objects(alert)]
    external = alert.get("externalObjects")
    for subject in (
        external if isinstance(external, list) else [external] if isinstance(external, dict) else []
    ):
        targets.append(external_id(subject))
    paths: list[tuple[str, ...]] = []
    for key, label in (
        ("failedPaths", "failedPath"),
        ("reviewPaths", "reviewPath"),
        ("deletePaths", "deletePath"),
    ):
        paths.extend((label, str(p)) for p in response.get(key) or [])
    for fix in response.get("fixPaths") or []:
        if isinstance(fix, dict):
            paths.append(("fixPath", str(fix.get("path", "")), str(fix.get("value", ""))))
    related = [
        resource_id(item["object"])
        for item in response.get("relatedObjects") or []
        if isinstance(item, dict) and isinstance(item.get("object"), dict)
    ]
    return tuple(dict.fromkeys(targets)), tuple(paths), tuple(related)


def _alerted_objects(alert: dict[str, Any]) -> list[dict[str, Any]]:
    """The API objects a response fails, under either spelling kubescape accepts."""
    objects: list[dict[str, Any]] = []
    for key in ("k8sApiObjects", "k8SApiObjects"):
        value = alert.get(key)
        if isinstance(value, list):
            objects.extend(o for o in value if isinstance(o, dict))
    return objects
