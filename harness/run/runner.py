"""The measuring matrix: scenario × combination × instrument × repetition, one fresh process each.

Owns the order of runs (a warm-up; blocks in which the baseline, a second baseline for the A/A
noise floor and every candidate run once, shuffled by a seeded RNG so that position effects
average out; race runs with 2 workers and a shuffled control order; one profiled run per
combination and profiler), the per-run directory with its report and artefacts, the parity
check of every report against the baseline's before its figures are kept, the live progress
line, resume, and the atomic results file.

A run that fails to measure (profiler missing or failing, scanner crash or time-out, cluster
gone) is recorded as what it is and the other runs go on. A findings mismatch stops the bench
(fail closed) with the minimal diff.

Must not: spawn processes itself (harness.run.process does), name an instrument (it asks
harness.run.instruments.registry), compute statistics or judge gates (`--repeat auto` asks the
RepeatPolicy it is given), or import the scanner's pipeline (reports are read through a
ParityChecker).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import re
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from harness import results
from harness.clusters.target import Target, TargetOpener
from harness.exit_codes import FindingsMismatch, UsageError
from harness.results import CLEAN, RESULTS_FILE, Machine, Role, Run, ScenarioInfo, Status, Suite
from harness.run import process
from harness.run.instruments import registry
from harness.run.instruments.base import Call, Spawn
from harness.run.variants import Variant, VariantError, target_values

SCANNER_MODULE = ("-m", "scanner", "scan")
SCANNER_UNREACHABLE_EXIT = 4  # the scanner's "no source could be read at all"
RETRY_ON_RESUME = (results.CLUSTER_LOST,)


class ReportUnreadable(Exception):
    """A report that is missing or not in the scanner's format."""


class ParityChecker(Protocol):
    """How the runner reads reports: the digest that must match, and the minimal diff when not."""

    # `ignoring`: fields taken out of the raw resources first (a comparison across a cluster and
    # its stripped copy: scanner.parity.STRIPPABLE names).
    def digest(self, report: Path, ignoring: tuple[str, ...] = ()) -> str: ...

    def differences(
        self, baseline: Path, candidate: Path, limit: int, ignoring: tuple[str, ...] = ()
    ) -> list[str]: ...

    def violations(self, baseline: Path | None, candidate: Path) -> list[str]: ...


class ScannerParity:
    """Reports read through the scanner's report reader: a ksbench report, or kubescape's own by its shape."""

    def __init__(self) -> None:
        try:
            from scanner import reader
        except ImportError as exc:
            from harness.exit_codes import EnvironmentProblem

            raise EnvironmentProblem(f"the scanner's report readers are not available ({exc})") from exc
        self._reader: Any = reader

    def _load(self, path: Path, ignoring: tuple[str, ...] = ()) -> Any:
        try:
            return self._reader.load_findings(path, ignoring)
        except Exception as exc:  # ReportError and friends: unreadable, or a wrong format_version
            raise ReportUnreadable(f"{path.name}: {exc}") from exc

    def digest(self, report: Path, ignoring: tuple[str, ...] = ()) -> str:
        return str(self._load(report, ignoring).digest())

    def differences(
        self, baseline: Path, candidate: Path, limit: int, ignoring: tuple[str, ...] = ()
    ) -> list[str]:
        found: list[str] = self._reader.differences(
            self._load(baseline, ignoring), self._load(candidate, ignoring), limit
        )
        return found

    def violations(self, baseline: Path | None, candidate: Path) -> list[str]:
        """The parity invariants beside the digest (closes, compilations, releases, counts)."""
        base = self._load(baseline) if baseline is not None else None
        found: list[str] = self._reader.violations(base, self._load(candidate))
        return found


# How many clean blocks a scenario needs under `--repeat auto`, from the results so far
# (harness.judge.noise.repetitions: the runner computes no statistics itself).
RepeatPolicy = Callable[[Suite, str], int]


def scanner_prefix(text: str) -> tuple[str, ...]:
    """`--scanner '-m scanner scan'` (or a script path) → the argv after `python`."""
    prefix = tuple(shlex.split(text))
    if not prefix:
        raise UsageError("--scanner is empty")
    return prefix


@dataclass(frozen=True)
class Plan:
    scenarios: tuple[str, ...]
    combinations: tuple[str, ...]  # canonical spellings; the baseline is always added
    instruments: tuple[str, ...]
    repeat: int | None  # None: `--repeat auto`
    timeout_seconds: float = 900.0
    scanner: tuple[str, ...] = SCANNER_MODULE
    scan_args: tuple[str, ...] = ()  # e.g. ("--engine", "opa")
    race_seeds: tuple[int, ...] = (1, 2)
    seed: int = 1  # shuffles the order inside each block
    profile_repeat: int = 1
    # Command lines under test instead of the scanner's phase combinations (their names are the
    # combinations; `baseline` first); `gated` is the one the plan's gates judge.
    variants: tuple[Variant, ...] = ()
    gated: str = "all"
    shard: tuple[int, int] | None = None  # (K, N): this machine runs blocks K, K+N, K+2N, … only
    # On a findings mismatch: False stops after `confirm_runs` more runs of each side (findings only,
    # to tell a nondeterministic variant from a findings change); True measures on, figures untrusted.
    measure_anyway: bool = False
    confirm_runs: int = 2
    builds: Mapping[str, Any] = field(default_factory=dict)  # variant → kubescape build record
    # Scale runs (`--lean`): no warm-up and no A/A run, when one baseline scan costs many minutes.
    # The ratios' intervals still come from the blocks; the A/A noise floor is then not measured.
    lean: bool = False

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def config(self) -> dict[str, Any]:
        """What must match for --resume to continue a run (paths and names only: no secrets)."""
        commands: dict[str, Any] = {}
        if self.variants:
            commands = {"variants": {v.name: v.config() for v in self.variants}, "gated": self.gated}
        if self.shard is not None:
            commands["shard"] = f"{self.shard[0]}/{self.shard[1]}"
        if self.measure_anyway:
            commands["measure_anyway"] = True
        if self.lean:
            commands["lean"] = True
        return commands | {
            "scenarios": list(self.scenarios),
            "combinations": list(self.combinations),
            "instruments": list(self.instruments),
            "repeat": "auto" if self.repeat is None else self.repeat,
            "timeout_seconds": self.timeout_seconds,
            "scanner": list(self.scanner),
            "scan_args": list(self.scan_args),
            "race_seeds": list(self.race_seeds),
            "seed": self.seed,
            "profile_repeat": self.profile_repeat,
        }


@dataclass(frozen=True)
class Step:
    scenario: str
    combination: str
    instrument: str
    role: Role
    repetition: int
    variant: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, int, str]:
        return (self.scenario, self.combination, self.instrument, self.role, self.repetition, self.variant)

    def variant_args(self) -> list[str]:
        args: list[str] = []
        for part in filter(None, self.variant.split(",")):
            name, _, value = part.partition("=")
            args += [{"workers": "--workers", "order": "--control-order"}[name], value]
        return args

    def directory(self, out: Path) -> Path:
        tail = f"{self.instrument}-{self.role}-r{self.repetition}"
        if self.variant:
            tail += "-" + re.sub(r"[^A-Za-z0-9.+-]", "_", self.variant)
        return out / "runs" / self.scenario / self.combination / tail


def block_steps(plan: Plan, scenario: str, repetition: int) -> list[Step]:
    """One block of clean runs: baseline, A/A baseline (unless lean), every candidate; seeded shuffle."""
    steps = [Step(scenario, "baseline", CLEAN, results.BASELINE, repetition)]
    if not plan.lean:
        steps.append(Step(scenario, "baseline", CLEAN, results.AA, repetition))
    steps += [
        Step(scenario, c, CLEAN, results.CANDIDATE, repetition) for c in plan.combinations if c != "baseline"
    ]
    random.Random(f"{plan.seed}/{scenario}/{repetition}").shuffle(steps)
    return steps


def tail_steps(plan: Plan, scenario: str) -> list[Step]:
    """After the clean blocks: race runs of all phases, then one profiled run per combination."""
    steps: list[Step] = []
    if "all" in plan.combinations and not plan.variants:
        steps += [
            Step(scenario, "all", CLEAN, results.RACE, i, f"workers=2,order=shuffled:{seed}")
            for i, seed in enumerate(plan.race_seeds)
        ]
    for instrument in registry.explaining():
        if instrument.name not in plan.instruments:
            continue
        # memray and py-spy see Python only: a compiled scanner under test gets clean runs alone.
        profiled = [c for c in plan.combinations if (v := plan.variant(c)) is None or v.is_python]
        for repetition in range(plan.profile_repeat):
            if "baseline" in profiled:
                steps.append(Step(scenario, "baseline", instrument.name, results.BASELINE, repetition))
            steps += [
                Step(scenario, c, instrument.name, results.CANDIDATE, repetition)
                for c in profiled
                if c != "baseline"
            ]
    return steps


def shard_of(plan: Plan, scenario: str, repetition: int, repeats: int) -> bool:
    """Whether this machine runs the block: whole blocks are dealt round-robin over the shards."""
    if plan.shard is None:
        return True
    number, count = plan.shard
    ordinal = plan.scenarios.index(scenario) * repeats + repetition
    return ordinal % count == number - 1


def tail_shard_of(plan: Plan, scenario: str) -> bool:
    """Race and profiled runs of a scenario go to one shard, by the scenario's position."""
    return plan.shard is None or plan.scenarios.index(scenario) % plan.shard[1] == plan.shard[0] - 1


class Progress:
    """One live line on stderr: what runs, how many are left, and an estimate of the time left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.durations: dict[tuple[str, str], list[float]] = {}  # (scenario, instrument) → seconds
        self.tty = self.stream.isatty()

    def show(self, step: Step, done: int, total: int, remaining: Sequence[Step]) -> None:
        eta = sum(self._typical(s.scenario, s.instrument) for s in remaining)
        variant = f" [{step.variant}]" if step.variant else ""
        line = (
            f"[{done + 1}/{total}] {step.scenario} · {step.combination}{variant} · {step.instrument} · "
            f"{step.role} r{step.repetition} · {total - done - 1} left · ETA {_duration(eta)}"
        )
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finished(self, step: Step, seconds: float, outcome: str) -> None:
        self.durations.setdefault((step.scenario, step.instrument), []).append(seconds)
        if outcome != results.OK:
            self.note(f"{step.scenario} · {step.combination} · {step.instrument}: {outcome}")

    def note(self, text: str) -> None:
        self.stream.write(("\r\x1b[2K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _typical(self, scenario: str, instrument: str) -> float:
        # Same scenario and instrument first: a larger scenario's runs take longer than the last one's.
        seen = (
            self.durations.get((scenario, instrument))
            or [d for (name, _), ds in self.durations.items() if name == scenario for d in ds]
            or [d for ds in self.durations.values() for d in ds]
        )
        return sum(seen) / len(seen) if seen else 0.0


def _duration(seconds: float) -> str:
    if seconds <= 0:
        return "?"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def machine_metadata(repo: Path, engine: str | None) -> Machine:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ksbench_version = version("ksbench")
    except PackageNotFoundError:
        ksbench_version = "unknown"
    commit, dirty = process.git_state(repo)
    return Machine.describe(
        registry.tool_versions(),
        python_version=platform.python_version(),
        python_implementation=platform.python_implementation(),
        platform=platform.platform(),
        cpu_count=os.cpu_count(),
        ksbench_version=ksbench_version,
        engine=engine,
        git_commit=commit,
        git_dirty=dirty,
    )


def _engine_of(report: Path) -> str | None:
    try:
        engine = json.loads(report.read_text(encoding="utf-8"))["metadata"]["engine"]
        return f"{engine['name']} {engine['version']} (rego {engine.get('rego_version', '?')})"
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _fingerprints(info: ScenarioInfo) -> dict[str, str | None]:
    """The bench scenario's fingerprint and each variant cluster's, by what scanned it."""
    found: dict[str, str | None] = {"": info.fingerprint}
    found.update({name: cluster.get("fingerprint") for name, cluster in info.clusters.items()})
    return found


def _short_prints(info: ScenarioInfo) -> str:
    return ", ".join(f"{name or info.name}: {(fp or '?')[:12]}" for name, fp in _fingerprints(info).items())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Bench:
    """Runs a Plan into an output directory; `results.json` there is rewritten after every run."""

    def __init__(
        self,
        plan: Plan,
        out: Path,
        parity: ParityChecker,
        *,
        resume: bool = False,
        progress: Progress | None = None,
        repo: Path | None = None,
        cwd: Path | None = None,
        repeat_policy: RepeatPolicy | None = None,
    ) -> None:
        if plan.repeat is None and repeat_policy is None:
            raise ValueError("`--repeat auto` needs a repeat policy (harness.judge.noise.repetitions)")
        self.plan, self.out, self.parity = plan, out, parity
        self.repeat_policy = repeat_policy
        self.progress = progress or Progress()
        self.cwd = cwd
        self.path = out / RESULTS_FILE
        self.attempted: set[tuple[str, str, str, str, int, str]] = set()
        self.finished = 0  # runs done in this session, for the progress line
        # The scenario being run: the variants' own clusters, and what parity ignores across them.
        self._variant_targets: dict[str, Target] = {}
        self._ignoring: tuple[str, ...] = ()
        if self.path.exists():
            if not resume:
                raise UsageError(
                    f"{out} already holds results: pass --resume to continue them, or choose another --out"
                )
            self.suite = results.load(self.path)
            if dict(self.suite.config) != plan.config():
                raise UsageError(
                    f"the results in {out} were made with other arguments: resume with the same ones, or choose another --out"
                )
        else:
            machine = replace(machine_metadata(repo or Path.cwd(), None), builds=dict(plan.builds))
            self.suite = Suite(machine, plan.config(), (), (), _now())

    # --- the plan ---------------------------------------------------------------------------

    def repetitions(self, scenario: str) -> int:
        if self.plan.repeat is not None:
            return self.plan.repeat
        assert self.repeat_policy is not None  # checked in __init__
        return self.repeat_policy(self.suite, scenario)

    def planned(self, scenario: str) -> list[Step]:
        repeats = self.repetitions(scenario)
        steps: list[Step] = []
        for repetition in range(repeats):
            if shard_of(self.plan, scenario, repetition, repeats):
                steps += block_steps(self.plan, scenario, repetition)
        if tail_shard_of(self.plan, scenario):
            steps += tail_steps(self.plan, scenario)
        if not steps or self.plan.lean:
            return steps
        return [Step(scenario, "baseline", CLEAN, results.WARMUP, -1), *steps]

    def _pending(self, steps: Sequence[Step]) -> list[Step]:
        # A cluster-lost run from an earlier session is retried; within this session never again.
        done = {run.key for run in self.suite.runs() if run.status not in RETRY_ON_RESUME} | self.attempted
        return [s for s in steps if s.key not in done]

    # --- running ----------------------------------------------------------------------------

    def run(self, open_target: TargetOpener) -> Suite:
        """Every scenario in turn: stand its cluster up (and the variants' own), run what is left, take them down."""
        try:
            for index, scenario in enumerate(self.plan.scenarios):
                if not self._pending(self.planned(scenario)):
                    continue
                with contextlib.ExitStack() as stack:
                    target = stack.enter_context(open_target(scenario))
                    self._variant_targets = self._open_variant_clusters(stack, open_target, target)
                    self._ignoring = self._parity_ignores(target)
                    self._record_scenario(target)
                    self._run_scenario(target, self.plan.scenarios[index + 1 :])
        except KeyboardInterrupt:
            self.progress.note(f"interrupted: finished runs are kept in {self.path}; continue with --resume")
            raise
        finally:
            self.progress.done()
        return self.suite

    def _open_variant_clusters(
        self, stack: contextlib.ExitStack, open_target: TargetOpener, target: Target
    ) -> dict[str, Target]:
        """Variant name → the cluster it scans where that is not `target`'s; every one stays up for the block."""
        opened: dict[str, Target] = {}
        by_scenario: dict[str, Target] = {target.scenario: target}
        for variant in self.plan.variants:
            name = variant.scenario_for(target.scenario)
            if name == target.scenario:
                continue
            if name not in by_scenario:
                other = stack.enter_context(open_target(name))
                if other.derived_from != target.scenario:
                    raise UsageError(
                        f"variant {variant.name} scans {other.scenario}, which is not derived from "
                        f"{target.scenario} (`ksbench scenario derive {target.scenario} --strip …`): "
                        "the findings of two unrelated clusters cannot match"
                    )
                by_scenario[name] = other
            opened[variant.name] = by_scenario[name]
        return opened

    def _parity_ignores(self, target: Target) -> tuple[str, ...]:
        """Across clusters: the fields either cluster is served without, ignored in raw resources."""
        if not self._variant_targets:
            return ()
        fields = [*target.stripped, *(f for other in self._variant_targets.values() for f in other.stripped)]
        return tuple(dict.fromkeys(fields))

    def _record_scenario(self, target: Target) -> None:
        clusters = {
            name: {
                "scenario": other.scenario,
                "fingerprint": other.fingerprint,
                "resource_count": other.resource_count,
                "stripped": list(other.stripped),
            }
            for name, other in self._variant_targets.items()
        }
        info = ScenarioInfo(
            target.scenario,
            target.resource_count,
            target.fingerprint,
            target.backend,
            clusters,
            self._ignoring,
        )
        known = self.suite.scenario(target.scenario)
        if (
            known is not None
            and _fingerprints(known) != _fingerprints(info)
            and all(_fingerprints(known).values())
            and all(_fingerprints(info).values())
        ):
            raise UsageError(
                f"scenario {target.scenario} (or a variant's cluster) has changed since these results were "
                f"made (fingerprints {_short_prints(known)} → {_short_prints(info)}): use another --out"
            )
        self.suite = self.suite.with_scenario(info)
        self._save()

    def _cluster_gone(self, step: Step, target: Target) -> str | None:
        """Why the scenario's cluster (or the one this step's variant scans) is gone; None while both answer."""
        for one in (target, self._variant_targets.get(step.combination)):
            if one is not None and one.check_alive is not None:
                gone = one.check_alive()
                if gone is not None:
                    return gone
        return None

    def _run_scenario(self, target: Target, later: Sequence[str]) -> None:
        lost: str | None = None
        while True:
            # Re-planned after each run: `--repeat auto` settles its count once the pilot blocks ran.
            pending = self._pending(self.planned(target.scenario))
            if not pending:
                return
            remaining = pending[1:] + [s for name in later for s in self._pending(self.planned(name))]
            step = pending[0]
            self.progress.show(step, self.finished, self.finished + 1 + len(remaining), remaining)
            started = time.perf_counter()
            if lost is not None:
                run = self._unmeasured(step, results.CLUSTER_LOST, lost)
            else:
                run = self._measure(step, target)
                # A command's own exit codes cannot say "unreachable": a crash is checked against the clusters too.
                if run.status in (results.CLUSTER_LOST, results.CRASHED):
                    lost = self._cluster_gone(step, target)
                    if lost is not None:
                        run = replace(run, status=results.CLUSTER_LOST, reason=lost, metrics={})
            self.progress.finished(step, time.perf_counter() - started, run.status)
            self.attempted.add(step.key)
            self.finished += 1
            self._keep(run)
            if run.status == results.MISMATCH:
                if self.plan.measure_anyway:
                    self.progress.note("findings differ: measuring on (--measure-anyway), figures untrusted")
                    continue
                self._confirm(run, target)
                raise FindingsMismatch(run.reason)

    def _keep(self, run: Run) -> None:
        self.suite = self.suite.with_run(run)
        if self.suite.machine.engine is None and run.ok and "report" in run.artefacts:
            engine = _engine_of(self.out / run.artefacts["report"])
            if engine:
                self.suite = replace(self.suite, machine=replace(self.suite.machine, engine=engine))
        self._save()

    def _confirm(self, mismatched: Run, target: Target) -> None:
        """More findings-only runs of both sides, so the verdict can tell nondeterminism from a change."""
        sides = list(dict.fromkeys([results.BASELINE_COMBINATION, mismatched.combination]))
        steps = [
            Step(mismatched.scenario, side, CLEAN, results.STABILITY, number)
            for number in range(self.plan.confirm_runs)
            for side in sides
        ]
        steps = self._pending(steps)
        if not steps:
            return
        self.progress.note(
            f"findings differ: {len(steps)} more runs of {' and '.join(sides)} to see whether each agrees with itself"
        )
        first = self.out / mismatched.artefacts["report"] if "report" in mismatched.artefacts else None
        for step in steps:
            run = self._measure(step, target)
            own = first if step.combination == mismatched.combination else None
            if own is not None and run.report_digest not in (None, mismatched.report_digest):
                run = replace(run, reason=self._own_diff(run, own))
            self.attempted.add(step.key)
            self._keep(replace(run, metrics={}))

    def _own_diff(self, run: Run, first: Path) -> str:
        """How a run differs from the first run of its own combination: the variant's findings A/A."""
        try:
            diff = self.parity.differences(first, self.out / run.artefacts["report"], 10)
        except (ReportUnreadable, KeyError) as exc:
            diff = [f"(cannot diff: {exc})"]
        lines = [f"{run.scenario} · {run.combination}: differs from its own first mismatching run", *diff]
        return "\n".join([lines[0], *(f"  {d}" for d in lines[1:])])

    def _save(self) -> None:
        results.dump(self.suite, self.path)

    def _unmeasured(self, step: Step, status: Status, reason: str) -> Run:
        return Run(
            step.scenario, step.combination, step.instrument, step.role, step.repetition, status, step.variant,
            reason, started_at=_now(),
        )  # fmt: skip

    def scanner_argv(self, step: Step, target: Target, report: Path) -> list[str]:
        variant = self.plan.variant(step.combination)
        if variant is not None:
            try:
                argv = variant.argv(target_values(target.source_args, report))
            except VariantError as exc:
                raise UsageError(str(exc)) from exc
            # A Python variant's interpreter is the trampoline: it runs the script or module in process.
            return argv[1:] if variant.is_python else argv
        return scanner_argv(
            self.plan.scanner,
            target,
            report,
            ["--phases", step.combination, *step.variant_args(), *self.plan.scan_args],
        )

    def _measure(self, step: Step, target: Target) -> Run:
        target = self._variant_targets.get(step.combination, target)
        directory = step.directory(self.out)
        directory.mkdir(parents=True, exist_ok=True)
        report = directory / "report.json"
        report.unlink(missing_ok=True)
        instrument = registry.get(step.instrument)
        missing = instrument.unavailable()
        if missing is not None:
            return self._unmeasured(step, results.TOOL_MISSING, missing)
        started_at = _now()
        variant = self.plan.variant(step.combination)
        call = Call(
            tuple(self.scanner_argv(step, target, report)),
            directory,
            self.out,
            f"{step.scenario} · {step.combination}",
            self.plan.timeout_seconds,
            self._spawner(directory, step.combination, dict(variant.env) if variant else {}),
            python=variant is None or variant.is_python,
        )
        measured = instrument.measure(call)
        status, reason = self._outcome(measured.result, unreachable_exit=not self.plan.variants)
        digest: str | None = None
        if status == results.OK:
            try:
                digest = self.parity.digest(report, self._ignoring)
            except ReportUnreadable as exc:
                status, reason = results.NO_REPORT, str(exc)
        if digest is not None:
            mismatch = self._check(step, report, digest)
            if mismatch:
                status, reason = results.MISMATCH, mismatch
        if status == results.OK and measured.problem is not None:
            status, reason = measured.problem.status, measured.problem.reason
        # Figures of a failed run must never be used (a tool failure keeps the scanner's own); with
        # --measure-anyway a mismatching run keeps them, stored as untrusted (Run.untrusted).
        kept = status in (results.OK, results.TOOL_FAILED) or (
            status == results.MISMATCH and self.plan.measure_anyway
        )
        metrics = measured.metrics if kept else {}
        artefacts = {"report": call.rel(report), "stderr": call.rel(directory / "stderr.txt")}
        artefacts.update(measured.artefacts)
        return Run(
            step.scenario, step.combination, step.instrument, step.role, step.repetition, status, step.variant,
            reason, measured.result.returncode, dict(metrics), digest, artefacts, started_at,
            dict(measured.peak_stages) if kept else {},
        )  # fmt: skip

    def _spawner(self, directory: Path, combination: str, variant_env: dict[str, str]) -> Spawn:
        return spawner(directory, combination, self.plan.timeout_seconds, cwd=self.cwd, extra_env=variant_env)

    @staticmethod
    def _outcome(result: process.ProcessResult, unreachable_exit: bool = True) -> tuple[Status, str]:
        if result.error is not None:
            return results.CRASHED, result.describe()
        if result.timed_out:
            return results.TIMEOUT, result.describe()
        # Exit 4 means "cluster unreachable" for ksbench's scanner only; a command's codes are its own.
        if unreachable_exit and result.returncode == SCANNER_UNREACHABLE_EXIT:
            return results.CLUSTER_LOST, result.describe()
        if result.returncode != 0:
            return results.CRASHED, result.describe()
        return results.OK, ""

    def _check(self, step: Step, report: Path, digest: str) -> str:
        """'' when the report matches the scenario's reference and keeps the invariants, else why not."""
        reference = self.suite.reference(step.scenario)
        where = f"{step.scenario} · {step.combination}{' [' + step.variant + ']' if step.variant else ''}"
        other = self._variant_targets.get(step.combination)
        if other is not None:
            where += (
                f" (scanned {other.scenario}; raw resources compared without {', '.join(self._ignoring)})"
            )
        base_report = None
        if reference is not None:
            try:  # a resumed bench's stored path: followed only inside --out
                base_report = results.artefact_file(self.out, reference.artefacts["report"])
            except results.ArtefactOutside as exc:
                return f"{where}: the reference report cannot be read: {exc}"
        base_digest = reference.report_digest if reference is not None else None
        # No reference yet: this run becomes it (a baseline) or is checked by late_mismatches.
        return check_report(
            self.parity, where, report, digest, base_report, base_digest, limit=10, ignoring=self._ignoring
        )


def scanner_argv(prefix: Sequence[str], target: Target, report: Path, scan_args: Sequence[str]) -> list[str]:
    """The scanner's argv after `python`: its source, a JSON report at `report`, pinned time, then `scan_args`."""
    return [
        *prefix, *target.source_args, "--format", "json", "--output", str(report), "--pin-time", *scan_args,
    ]  # fmt: skip


def spawner(
    directory: Path,
    combination: str,
    timeout_seconds: float,
    *,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Spawn:
    """process.run bound to a run's output files, time-out, private temp directory and environment."""
    # A private temp dir per run: the kubernetes client caches discovery in the temp dir,
    # shared across processes, so otherwise only the first run would pay for discovery.
    scratch = directory / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    phases = results.phases_of(combination)
    # X3 is the Go runtime's GC target, read once at process start: it travels in the environment.
    runtime = phases.runtime_environment() if phases is not None else {}
    # A crash's traceback is kept in the run's stderr.txt; a user's scan prints one line.
    env = {**os.environ, "TMPDIR": str(scratch), "KSBENCH_TRACEBACK": "1", **runtime, **(extra_env or {})}

    def spawn(
        argv: Sequence[str],
        *,
        stats_path: Path | None = None,
        attach: Callable[[int], Sequence[str]] | None = None,
        attach_stderr_path: Path | None = None,
        on_start: Callable[[int], object] | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> process.ProcessResult:
        return process.run(
            argv,
            timeout_seconds=timeout_seconds,
            cwd=cwd,
            env={**env, **(extra_env or {})},
            on_start=on_start,
            stdout_path=directory / "stdout.txt",
            stderr_path=directory / "stderr.txt",
            stats_path=stats_path,
            attach=attach,
            attach_stderr_path=attach_stderr_path,
        )

    return spawn


def check_report(
    parity: ParityChecker,
    where: str,
    report: Path,
    digest: str,
    base_report: Path | None,
    base_digest: str | None,
    *,
    limit: int,
    ignoring: tuple[str, ...] = (),
) -> str:
    """'' when `report` keeps the invariants and (with a reference) has its digest; else why not, with the minimal diff."""
    try:
        broken = parity.violations(base_report, report)
    except ReportUnreadable as exc:
        broken = [f"(cannot check: {exc})"]
    if broken:
        return "\n".join([f"{where}: invariants broken", *(f"  {b}" for b in broken)])
    if base_report is None or base_digest is None or base_digest == digest:
        return ""
    try:
        diff = parity.differences(base_report, report, limit, ignoring)
    except ReportUnreadable as exc:
        diff = [f"(cannot diff: {exc})"]
    lines = [f"{where}: findings differ from the baseline ({len(diff)} shown)", *(f"  {d}" for d in diff)]
    return "\n".join(lines)
