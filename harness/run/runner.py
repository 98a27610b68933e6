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

Must not: spawn processes itself (harness.run.process does), compute statistics or judge gates,
or import the scanner's pipeline (reports are read through a ParityChecker).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from harness import results
from harness.exit_codes import FindingsMismatch, UsageError
from harness.judge import stats
from harness.results import Machine, Run, ScenarioInfo, Suite
from harness.run import instruments, process
from harness.run.instruments import CLEAN, MEMRAY, PYSPY

RESULTS_FILE = "results.json"
SCANNER_MODULE = ("-m", "scanner", "scan")
SCANNER_UNREACHABLE_EXIT = 4  # the scanner's "no source could be read at all"
RETRY_ON_RESUME = (results.CLUSTER_LOST,)


class ReportUnreadable(Exception):
    """A report that is missing or not in the scanner's format."""


class ParityChecker(Protocol):
    """How the runner reads reports: the digest that must match, and the minimal diff when not."""

    def digest(self, report: Path) -> str: ...

    def differences(self, baseline: Path, candidate: Path, limit: int) -> list[str]: ...


class ScannerParity:
    """Reports read through the scanner's own readers (scanner.report, scanner.parity)."""

    def __init__(self) -> None:
        try:
            from scanner import parity, reader
        except ImportError as exc:
            from harness.exit_codes import EnvironmentProblem

            raise EnvironmentProblem(f"the scanner's report readers are not available ({exc})") from exc
        self._parity: Any = parity
        self._reader: Any = reader

    def _load(self, path: Path) -> Any:
        try:
            return self._reader.load_report(path)
        except (OSError, ValueError) as exc:
            raise ReportUnreadable(f"{path.name}: {exc}") from exc
        except Exception as exc:  # ReportError and friends: a wrong format_version
            raise ReportUnreadable(f"{path.name}: {exc}") from exc

    def digest(self, report: Path) -> str:
        return str(self._parity.digest(self._load(report)))

    def differences(self, baseline: Path, candidate: Path, limit: int) -> list[str]:
        found = self._parity.differences(self._load(baseline), self._load(candidate), limit=limit)
        return [str(d) for d in found]


@dataclass(frozen=True)
class Target:
    """A scenario ready to be scanned, and how the scanner reaches it."""

    scenario: str
    resource_count: int | None
    source_args: tuple[str, ...]  # ("MANIFEST_DIR",) or ("--kubeconfig", F, "--context", C)
    fingerprint: str | None = None
    backend: str | None = None
    # None while the cluster answers; otherwise why not (the cluster disappeared).
    check_alive: Callable[[], str | None] | None = field(default=None, compare=False)


# Stands a scenario's cluster up (or reuses it) for the duration of its runs.
TargetOpener = Callable[[str], contextlib.AbstractContextManager[Target]]


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

    def config(self) -> dict[str, Any]:
        """What must match for --resume to continue a run (paths and names only: no secrets)."""
        return {
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
    role: str
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
    """One block of clean runs: baseline, A/A baseline, every candidate; seeded shuffle."""
    steps = [Step(scenario, "baseline", CLEAN, results.BASELINE, repetition)]
    steps.append(Step(scenario, "baseline", CLEAN, results.AA, repetition))
    steps += [
        Step(scenario, c, CLEAN, results.CANDIDATE, repetition) for c in plan.combinations if c != "baseline"
    ]
    random.Random(f"{plan.seed}/{scenario}/{repetition}").shuffle(steps)
    return steps


def tail_steps(plan: Plan, scenario: str) -> list[Step]:
    """After the clean blocks: race runs of all phases, then one profiled run per combination."""
    steps: list[Step] = []
    if "all" in plan.combinations:
        steps += [
            Step(scenario, "all", CLEAN, results.RACE, i, f"workers=2,order=shuffled:{seed}")
            for i, seed in enumerate(plan.race_seeds)
        ]
    for instrument in (MEMRAY, PYSPY):
        if instrument not in plan.instruments:
            continue
        for repetition in range(plan.profile_repeat):
            steps.append(Step(scenario, "baseline", instrument, results.BASELINE, repetition))
            steps += [
                Step(scenario, c, instrument, results.CANDIDATE, repetition)
                for c in plan.combinations
                if c != "baseline"
            ]
    return steps


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
    tools = instruments.tool_versions()
    commit, dirty = process.git_state(repo)
    return Machine(
        python_version=platform.python_version(),
        python_implementation=platform.python_implementation(),
        platform=platform.platform(),
        cpu_count=os.cpu_count(),
        ksbench_version=ksbench_version,
        memray_version=tools["memray"],
        pyspy_version=tools["py-spy"],
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
    ) -> None:
        self.plan, self.out, self.parity = plan, out, parity
        self.progress = progress or Progress()
        self.cwd = cwd
        self.path = out / RESULTS_FILE
        self.attempted: set[tuple[str, str, str, str, int, str]] = set()
        self.finished = 0  # runs done in this session, for the progress line
        self.references: dict[str, Run] = {}  # scenario → the baseline run whose report is the reference
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
            self.suite = Suite(machine_metadata(repo or Path.cwd(), None), plan.config(), (), (), _now())
        for run in self.suite.runs():
            if run.role in (results.WARMUP, results.BASELINE) and run.ok and run.report_digest:
                self.references.setdefault(run.scenario, run)

    # --- the plan ---------------------------------------------------------------------------

    def repetitions(self, scenario: str) -> int:
        if self.plan.repeat is not None:
            return self.plan.repeat
        floors = []
        for metric in ("cpu_seconds", "wall_seconds", "peak_rss_bytes"):
            base: dict[int, float] = {}
            aa: dict[int, float] = {}
            for one in self.suite.find(scenario, "baseline", CLEAN, results.BASELINE):
                base.update(one.values(metric))
            for one in self.suite.find(scenario, "baseline", CLEAN, results.AA):
                aa.update(one.values(metric))
            floor = stats.noise_floor(metric, aa, base)
            if floor is not None:
                floors.append(floor)
        return stats.repetitions_for(floors) if len(floors) == 3 else stats.MIN_REPEAT

    def planned(self, scenario: str) -> list[Step]:
        steps = [Step(scenario, "baseline", CLEAN, results.WARMUP, -1)]
        for repetition in range(self.repetitions(scenario)):
            steps += block_steps(self.plan, scenario, repetition)
        return steps + tail_steps(self.plan, scenario)

    def _pending(self, steps: Sequence[Step]) -> list[Step]:
        # A cluster-lost run from an earlier session is retried; within this session never again.
        done = {run.key for run in self.suite.runs() if run.status not in RETRY_ON_RESUME} | self.attempted
        return [s for s in steps if s.key not in done]

    # --- running ----------------------------------------------------------------------------

    def run(self, open_target: TargetOpener) -> Suite:
        """Every scenario in turn: stand its cluster up, run what is left, take it down."""
        try:
            for index, scenario in enumerate(self.plan.scenarios):
                if not self._pending(self.planned(scenario)):
                    continue
                with open_target(scenario) as target:
                    self._record_scenario(target)
                    self._run_scenario(target, self.plan.scenarios[index + 1 :])
        except KeyboardInterrupt:
            self.progress.note(f"interrupted: finished runs are kept in {self.path}; continue with --resume")
            raise
        finally:
            self.progress.done()
        return self.suite

    def _record_scenario(self, target: Target) -> None:
        info = ScenarioInfo(target.scenario, target.resource_count, target.fingerprint, target.backend)
        known = self.suite.scenario(target.scenario)
        if (
            known is not None
            and known.fingerprint
            and target.fingerprint
            and known.fingerprint != target.fingerprint
        ):
            raise UsageError(
                f"scenario {target.scenario} has changed since these results were made "
                f"(fingerprint {known.fingerprint[:12]} → {target.fingerprint[:12]}): use another --out"
            )
        self.suite = self.suite.with_scenario(info)
        self._save()

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
                if run.status == results.CLUSTER_LOST and target.check_alive is not None:
                    lost = target.check_alive()
                    if lost is not None:
                        run = replace(run, reason=lost)
            self.progress.finished(step, time.perf_counter() - started, run.status)
            self.attempted.add(step.key)
            self.finished += 1
            self._keep(run)

    def _keep(self, run: Run) -> None:
        if run.ok and run.report_digest is not None and run.role in (results.WARMUP, results.BASELINE):
            self.references.setdefault(run.scenario, run)
        self.suite = self.suite.with_run(run)
        if self.suite.machine.engine is None and run.ok and "report" in run.artefacts:
            engine = _engine_of(self.out / run.artefacts["report"])
            if engine:
                self.suite = replace(self.suite, machine=replace(self.suite.machine, engine=engine))
        self._save()
        if run.status == results.MISMATCH:
            raise FindingsMismatch(run.reason)

    def _save(self) -> None:
        results.dump(self.suite, self.path)

    def _unmeasured(self, step: Step, status: str, reason: str) -> Run:
        return Run(
            step.scenario, step.combination, step.instrument, step.role, step.repetition, status, step.variant,
            reason, started_at=_now(),
        )  # fmt: skip

    def scanner_argv(self, step: Step, target: Target, report: Path) -> list[str]:
        return [
            *self.plan.scanner,
            *target.source_args,
            "--format",
            "json",
            "--output",
            str(report),
            "--pin-time",
            "--phases",
            step.combination,
            *step.variant_args(),
            *self.plan.scan_args,
        ]

    def _measure(self, step: Step, target: Target) -> Run:
        directory = step.directory(self.out)
        directory.mkdir(parents=True, exist_ok=True)
        report = directory / "report.json"
        report.unlink(missing_ok=True)
        scan = self.scanner_argv(step, target, report)
        stats_path = directory / "child-stats.txt"
        stdout_path, stderr_path = directory / "stdout.txt", directory / "stderr.txt"
        # A private temp dir per run: the kubernetes client caches discovery in the temp dir,
        # shared across processes, so otherwise only the first run would pay for discovery.
        scratch = directory / "tmp"
        scratch.mkdir(exist_ok=True)
        env = {**os.environ, "TMPDIR": str(scratch)}
        started_at = _now()
        metrics: dict[str, float] = {}
        artefacts = {"report": self._rel(report), "stderr": self._rel(directory / "stderr.txt")}
        tool: instruments.ToolProblem | None = None
        spawn = functools.partial(
            process.run,
            timeout_seconds=self.plan.timeout_seconds,
            cwd=self.cwd,
            env=env,
            stdout_path=stdout_path,
            stderr_path=stderr_path,
        )

        if step.instrument == MEMRAY:
            if not instruments.memray_available():
                return self._unmeasured(step, results.TOOL_MISSING, "memray is not installed")
            capture = directory / "memray.bin"
            capture.unlink(missing_ok=True)
            result = spawn(instruments.memray_argv(scan, capture))
            metrics["wall_seconds"] = result.wall_seconds  # under memray: explains, never gated
            if result.ok:
                tool = self._memray_artefacts(capture, directory, metrics, artefacts)
        elif step.instrument == PYSPY:
            pyspy = instruments.find_pyspy()
            if pyspy is None:
                return self._unmeasured(step, results.TOOL_MISSING, "py-spy is not installed")
            raw = directory / "pyspy.txt"
            raw.unlink(missing_ok=True)
            result = spawn(
                instruments.clean_argv(scan, stats_path),
                stats_path=stats_path,
                attach=lambda pid: instruments.pyspy_attach_argv(pyspy, pid, raw),
                attach_stderr_path=directory / "pyspy-stderr.txt",
            )
            self._clean_metrics(result, metrics)
            if result.ok:
                tool = self._pyspy_artefacts(result, raw, directory, step, metrics, artefacts)
        else:
            result = spawn(instruments.clean_argv(scan, stats_path), stats_path=stats_path)
            self._clean_metrics(result, metrics)
            if result.ok and result.stats is None:
                tool = instruments.ToolProblem(results.TOOL_FAILED, "the trampoline wrote no stats")

        status, reason = self._outcome(result)
        digest: str | None = None
        if status == results.OK:
            try:
                digest = self.parity.digest(report)
            except ReportUnreadable as exc:
                status, reason = results.NO_REPORT, str(exc)
        if digest is not None:
            mismatch = self._check(step, report, digest)
            if mismatch:
                status, reason = results.MISMATCH, mismatch
        if status == results.OK and tool is not None:
            status, reason = tool.status, tool.reason
        if status != results.OK and status != results.TOOL_FAILED:
            metrics = {}  # figures of a failed run must never be used
        return Run(
            step.scenario, step.combination, step.instrument, step.role, step.repetition, status, step.variant,
            reason, result.returncode, metrics, digest, artefacts, started_at,
        )  # fmt: skip

    def _rel(self, path: Path) -> str:
        return str(path.relative_to(self.out))

    @staticmethod
    def _clean_metrics(result: process.ProcessResult, metrics: dict[str, float]) -> None:
        metrics["wall_seconds"] = result.wall_seconds
        if result.stats is not None:
            metrics["cpu_seconds"] = result.stats.cpu_seconds
            metrics["peak_rss_bytes"] = float(result.stats.peak_rss_bytes)

    @staticmethod
    def _outcome(result: process.ProcessResult) -> tuple[str, str]:
        if result.error is not None:
            return results.CRASHED, result.describe()
        if result.timed_out:
            return results.TIMEOUT, result.describe()
        if result.returncode == SCANNER_UNREACHABLE_EXIT:
            return results.CLUSTER_LOST, result.describe()
        if result.returncode != 0:
            return results.CRASHED, result.describe()
        return results.OK, ""

    def _check(self, step: Step, report: Path, digest: str) -> str:
        """'' when the report matches the scenario's reference, else the minimal diff."""
        reference = self.references.get(step.scenario)
        if reference is None:
            return ""  # this run becomes the reference (a baseline) or is checked by verify_digests
        if reference.report_digest == digest:
            return ""
        base_report = self.out / reference.artefacts["report"]
        try:
            diff = self.parity.differences(base_report, report, 10)
        except ReportUnreadable as exc:
            diff = [f"(cannot diff: {exc})"]
        where = f"{step.scenario} · {step.combination}{' [' + step.variant + ']' if step.variant else ''}"
        lines = [f"{where}: findings differ from the baseline ({len(diff)} shown)", *(f"  {d}" for d in diff)]
        return "\n".join(lines)

    def _memray_artefacts(
        self, capture: Path, directory: Path, metrics: dict[str, float], artefacts: dict[str, str]
    ) -> instruments.ToolProblem | None:
        if not capture.exists():
            return instruments.ToolProblem(results.TOOL_FAILED, "memray wrote no capture")
        artefacts["memray_capture"] = self._rel(capture)
        summary = instruments.summarise_memray(capture)
        if isinstance(summary, instruments.ToolProblem):
            return summary
        metrics.update(
            heap_peak_bytes=float(summary.heap_peak_bytes),
            allocation_count=float(summary.allocation_count),
            python_bytes_at_peak=float(summary.python_bytes_at_peak),
            mmap_bytes_at_peak=float(summary.mmap_bytes_at_peak),
            no_stack_bytes_at_peak=float(summary.no_stack_bytes_at_peak),
        )
        summary_path = directory / "memray-summary.json"
        results.write_json_atomic(
            summary_path,
            {
                "format_version": "ksbench-memray-summary/1",
                "heap_peak_bytes": summary.heap_peak_bytes,
                "allocation_count": summary.allocation_count,
                "python_bytes_at_peak": summary.python_bytes_at_peak,
                "mmap_bytes_at_peak": summary.mmap_bytes_at_peak,
                "no_stack_bytes_at_peak": summary.no_stack_bytes_at_peak,
                "top_stacks_at_peak": [
                    {"bytes": s.bytes_at_peak, "allocations": s.allocations, "stack": list(s.stack)}
                    for s in summary.top_stacks
                ],
            },
        )
        artefacts["memray_summary"] = self._rel(summary_path)
        for name, argv, path in (
            ("memray_stats", instruments.memray_stats_argv, directory / "memray-stats.json"),
            ("memray_flamegraph", instruments.memray_flamegraph_argv, directory / "memray-flamegraph.html"),
        ):
            made = process.run(argv(capture, path), timeout_seconds=self.plan.timeout_seconds)
            if made.ok and path.exists():
                artefacts[name] = self._rel(path)
            else:
                return instruments.ToolProblem(
                    results.TOOL_FAILED, f"{name.replace('_', ' ')}: {made.describe()}"
                )
        return None

    def _pyspy_artefacts(
        self,
        result: process.ProcessResult,
        raw: Path,
        directory: Path,
        step: Step,
        metrics: dict[str, float],
        artefacts: dict[str, str],
    ) -> instruments.ToolProblem | None:
        attached = result.attached
        if attached is None or attached.error is not None:
            return instruments.ToolProblem(
                results.TOOL_MISSING, attached.describe() if attached else "py-spy did not start"
            )
        if not raw.exists() or attached.timed_out:
            last = (attached.stderr_tail.strip().splitlines() or [attached.describe()])[-1]
            return instruments.ToolProblem(results.TOOL_FAILED, f"py-spy: {last[:200]}")
        stacks = instruments.parse_collapsed(raw.read_text(encoding="utf-8", errors="replace"))
        profile = instruments.function_times(stacks, instruments.PYSPY_RATE_HZ)
        metrics["samples"] = float(profile.samples)
        artefacts["pyspy_raw"] = self._rel(raw)
        flame = directory / "pyspy-flamegraph.svg"
        flame.write_text(
            instruments.flamegraph_svg(
                stacks, f"{step.scenario} · {step.combination} · py-spy {instruments.PYSPY_RATE_HZ} Hz"
            ),
            encoding="utf-8",
        )
        artefacts["pyspy_flamegraph"] = self._rel(flame)
        top = directory / "pyspy-functions.json"
        results.write_json_atomic(
            top,
            {
                "format_version": "ksbench-pyspy-functions/1",
                "rate_hz": instruments.PYSPY_RATE_HZ,
                "samples": profile.samples,
                "functions": [
                    {
                        "function": f.function,
                        "self_seconds": f.self_seconds,
                        "inclusive_seconds": f.inclusive_seconds,
                    }
                    for f in profile.functions[: instruments.TOP_N * 4]
                ],
            },
        )
        artefacts["pyspy_functions"] = self._rel(top)
        if profile.samples == 0:
            return instruments.ToolProblem(results.TOOL_FAILED, "py-spy collected no samples")
        return None


def verify_digests(suite: Suite) -> list[Run]:
    """Runs whose digest differs from their scenario's reference (for stored results)."""
    references: dict[str, str] = {}
    for run in suite.runs():
        if run.role in (results.WARMUP, results.BASELINE) and run.ok and run.report_digest:
            references.setdefault(run.scenario, run.report_digest)
    return [
        run
        for run in suite.runs()
        if run.report_digest is not None
        and run.scenario in references
        and run.report_digest != references[run.scenario]
        and run.status != results.MISMATCH
    ]


def mark_late_mismatches(suite: Suite) -> Suite:
    """Stored results re-checked: a run whose digest differs from its scenario's reference becomes MISMATCH."""
    for run in verify_digests(suite):
        suite = suite.with_run(
            results.Run(
                run.scenario, run.combination, run.instrument, run.role, run.repetition, results.MISMATCH,
                run.variant, "digest differs from the baseline's", run.exit_code, {}, run.report_digest,
                run.artefacts, run.started_at,
            )
        )  # fmt: skip
    return suite


def iter_runs(suite: Suite) -> Iterator[Run]:
    return suite.runs()
