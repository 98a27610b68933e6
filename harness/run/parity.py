"""`ksbench parity`'s loop: every case's findings against the reference's, fail closed.

Runs the scanner in a fresh process per case (harness.run.parity_plan says which) on each
scenario's cluster (the embedded server by default, with the parity faults armed before every
scan) and checks each report with the runner's own pieces: its argv (`runner.scanner_argv`), its
spawner (`runner.spawner`: private temp dir, phases' runtime environment, tracebacks kept) and its
check (`runner.check_report`: the invariants beside the digest, then the digest against the
reference — baseline, 1 worker, sorted controls, default pages and batches). Stops at the first
failure with the minimal explanation.

Must not: print (progress goes to the callable it is given), parse arguments, judge or render.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.clusters.embedded import set_faults
from harness.clusters.target import Target, TargetOpener
from harness.exit_codes import EnvironmentProblem, UsageError
from harness.run import runner
from harness.run.parity_plan import ParityCase, edge_plan, fast_plan, grid_plan, stress_plan, stress_workers
from scanner.phases import PhasesError, parse_combinations

DEFAULT_SCENARIOS = ("adversarial", "edge-2500", "edge-2501")
EDGE_SCENARIOS = ("edge-2500", "edge-2501")  # thousands of objects: the shorter edge plan
STRESS_SCENARIO = "adversarial"  # the fast plan's contention rows run on it
STRESS_CONTROLS = 8  # controls of the library the stress library keeps
STRESS_CLONES = 3  # copies of each (same rules and inputs: one compile key asked for by 4 controls)
STRESS_LIBRARY = "stress-library"  # its folder under the run's output
# Armed before every scan on the embedded backend (beside the scenario's forbidden LISTs): an
# expired continue token mid-LIST (recovered by listing again), a dropped connection and a 500
# (the kind's controls are skipped with the reason) and a slow response. Each is deterministic
# across page sizes, so the findings must not change. ConfigMaps are joined by no relational
# rule: streamed in small batches, the first pages are evaluated and released before the 410, so
# the re-list brings back objects the scanner no longer holds and must still know.
PARITY_FAULTS: tuple[dict[str, Any], ...] = (
    {"resource": "pods", "action": "expire", "on": "continue", "times": 1},
    {"resource": "configmaps", "action": "expire", "on": "continue", "times": 1},
    {"resource": "apps/v1/daemonsets", "action": "drop", "verbs": ["list"]},
    {"resource": "batch/v1/cronjobs", "action": "status", "status": 500, "verbs": ["list"]},
    {"resource": "services", "action": "delay", "delay_seconds": 0.05, "verbs": ["list"], "times": 2},
)


@dataclass(frozen=True)
class ParityRequest:
    """What `ksbench parity` was asked: scenarios, which cases, how to start the scanner, where to keep reports."""

    scenarios: tuple[str, ...]
    out: Path
    combinations: str = "fast"  # fast, or a grid: pairwise, key, all or a ;-separated list
    workers: tuple[int, ...] = (1,)  # grid only
    shuffle_controls: bool = False  # grid only
    seed: int = 1
    faults: bool = True  # embedded backend only
    timeout_seconds: float = 900.0
    scanner: tuple[str, ...] = runner.SCANNER_MODULE
    scan_args: tuple[str, ...] = ()  # e.g. ("--engine", "opa", "--host-data", DIR)
    policies: Path | None = None  # the scanner's library (None: its own)
    stress: bool = True  # fast plan: the contention rows (harness.run.parity_plan.stress_plan)
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)

    def plan(self, scenario: str) -> list[ParityCase]:
        if self.combinations.strip().lower() == "fast":
            if scenario in EDGE_SCENARIOS:
                return edge_plan(self.seed)
            stress: list[ParityCase] = []
            if self.stress and scenario == STRESS_SCENARIO:
                library = str((self.out / STRESS_LIBRARY).resolve())
                stress = stress_plan(self.seed, stress_workers(self.cores), library)
            return fast_plan(self.seed) + stress
        try:
            combinations = [str(c) for c in parse_combinations(self.combinations)]
        except PhasesError as exc:
            raise UsageError(str(exc)) from exc
        orders = ["sorted"] + ([f"shuffled:{self.seed}"] if self.shuffle_controls else [])
        return grid_plan(combinations, list(self.workers), orders)


@dataclass(frozen=True)
class ParityOutcome:
    """How many cases were checked against a reference, and the first failure ('' when none)."""

    checked: int
    scenarios: int
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


@contextlib.contextmanager
def _faults(target: Target, armed: bool) -> Iterator[None]:
    """Faults re-armed before each scan (they count down) and cleared when the scenario is done."""
    try:
        yield
    finally:
        if target.server_url is not None and armed:
            set_faults(target.server_url, None)


def run_parity(
    request: ParityRequest,
    open_target: TargetOpener,
    parity: runner.ParityChecker,
    progress: Callable[[str], None],
) -> ParityOutcome:
    plans = {scenario: request.plan(scenario) for scenario in request.scenarios}  # usage errors first
    libraries = {case.policies for cases in plans.values() for case in cases if case.policies}
    for library in sorted(libraries):
        stress_library(request.policies or own_library(), Path(library))
    checked = 0
    for scenario in request.scenarios:
        # The edge scenarios' point is an exact count: no fault may take objects away from it.
        armed = request.faults and scenario not in EDGE_SCENARIOS
        with open_target(scenario) as target, _faults(target, armed):
            done, failure = _run_scenario(request, target, plans[scenario], armed, parity, progress)
            checked += done
            if failure:
                return ParityOutcome(checked, len(request.scenarios), failure)
    return ParityOutcome(checked, len(request.scenarios))


def _run_scenario(
    request: ParityRequest,
    target: Target,
    cases: Sequence[ParityCase],
    armed: bool,
    parity: runner.ParityChecker,
    progress: Callable[[str], None],
) -> tuple[int, str]:
    """(cases checked against the reference, the first failure or '')."""
    reference: tuple[Path, str] | None = None
    checked = 0
    for index, case in enumerate(cases):
        label = f"{target.scenario} · {case.label}"
        progress(f"[{index + 1}/{len(cases)}] {label}")
        directory = request.out / target.scenario / case.directory
        directory.mkdir(parents=True, exist_ok=True)
        report = directory / "report.json"
        report.unlink(missing_ok=True)
        policies = case.policies or (str(request.policies.resolve()) if request.policies else None)
        scan_args = ["--audit", *case.scanner_args(), *request.scan_args]
        argv = runner.scanner_argv(
            request.scanner, target, report, scan_args + (["--policies", policies] if policies else [])
        )
        spawn = runner.spawner(directory, case.combination, request.timeout_seconds)
        if case.reference:
            reference = None
        for _ in range(case.repeat):
            report.unlink(missing_ok=True)
            if armed and target.server_url is not None:
                set_faults(target.server_url, list(PARITY_FAULTS))
            result = spawn([sys.executable, *argv])
            if not result.ok:
                if reference is None:
                    raise EnvironmentProblem(
                        f"the baseline scan of {target.scenario} failed: {result.describe()}"
                    )
                return checked, f"{label}: no report to compare ({result.describe()})"
            try:
                digest = parity.digest(report)
            except runner.ReportUnreadable as exc:
                return checked, f"{label}: unreadable report ({exc})"
            base = reference or (None, None)
            failure = runner.check_report(parity, label, report, digest, base[0], base[1], limit=20)
            if failure:
                where = (
                    f"  report: {report}" if reference is None else f"  reports: {reference[0]} vs {report}"
                )
                return checked, f"{failure}\n{where}"
            if reference is None:
                reference = (report, digest)
                break  # the reference is scanned once
            checked += 1
    return checked, ""


def own_library() -> Path:
    """The scanner's shipped library folder, found without importing its policies package."""
    spec = importlib.util.find_spec("scanner.policies")
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem("the scanner's policy library cannot be found: pass --policies")
    return Path(next(iter(spec.submodule_search_locations))) / "library"


def stress_library(
    source: Path, target: Path, controls: int = STRESS_CONTROLS, clones: int = STRESS_CLONES
) -> None:
    """The first `controls` controls of `source` (by file name) and `clones` copies of each (IDs
    `<ID>-S<n>`: same rules, same inputs, so the same compile keys); rules and inputs as they are."""
    shutil.rmtree(target, ignore_errors=True)
    # Rules, helpers and inputs as they are; no rule tests (a regolibrary checkout holds MBs of them).
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*", "controls", "frameworks", "test"))
    (target / "controls").mkdir()
    chosen = 0
    for path in sorted((source / "controls").glob("*.json")):
        try:
            control = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: cannot copy this control into the stress library ({exc})") from exc
        if not isinstance(control, dict) or not isinstance(control.get("controlID"), str):
            continue
        for n in range(clones + 1):
            copy = {**control, "controlID": f"{control['controlID']}-S{n}"} if n else control
            (target / "controls" / f"{path.stem}-S{n}.json").write_text(json.dumps(copy), encoding="utf-8")
        chosen += 1
        if chosen == controls:
            break
