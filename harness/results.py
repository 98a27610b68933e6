"""Stored results: frozen values (Run → Series → Suite) and their one JSON serialiser.

Owns the results file format. Every file carries `format_version`; loading a file of another
version fails with what to do. Machine metadata records the tools and the checkout — never a
kubeconfig's contents, a token, or environment variables.

Must not: spawn processes, compute statistics or judge anything; callers collect the metadata.

The queries every layer asks of stored results live here once: the scenario's reference run
(whose report every other run must match), the measured clean runs, the A/A pairs of the noise
floor, and the runs whose digest differs from the reference.

Format changes (one line each, newest last):
  ksbench-results/1 — first format: suite{machine, config, scenarios, series[runs]}.
  ksbench-results/1 — machine.tools (optional): versions of tools beyond memray and py-spy.
  ksbench-results/1 — runs may carry `peak_stages` ({"peak_cpu", "peak_rss"}: the stage each peak
    fell in) and the timeline metrics; optional, so files without them still load.
  ksbench-results/1 — role "stability" (findings-only runs after a mismatch); machine.builds
    (optional): the kubescape builds benched, by variant; a "mismatch" run may keep its metrics
    when the bench ran with --measure-anyway (the figures are then shown as untrusted).
  ksbench-results/1 — scenarios may carry `clusters` (variant → the other cluster it scanned:
    scenario, fingerprint, resource_count, stripped) and `parity_ignores` (fields taken out of raw
    resources before comparing); optional, written only for a comparison across clusters.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Final, Literal, cast, get_args

from harness.exit_codes import EnvironmentProblem, UsageError
from scanner.bounded import MIB, DecodedTooLarge, read_bounded, read_json_bounded
from scanner.escape import terminal, terminal_lines
from scanner.numbers import FINITE_JSON, figure
from scanner.phases import Phases, PhasesError

FORMAT_VERSION = "ksbench-results/1"
FORMAT_NAME = "ksbench-results"
FORMAT_NUMBER = 1
RESULTS_FILE = "results.json"  # inside a bench's --out directory
# A full bench (64 combinations, 20 blocks, every instrument) writes a few MB; far more is not ours.
RESULTS_MAX_BYTES = 256 * MIB

# Run statuses: "ok" is the only one whose figures are used.
Status = Literal[
    "ok", "crashed", "timeout", "tool-missing", "tool-failed", "mismatch", "cluster-lost", "no-report"
]
OK: Final = "ok"
CRASHED: Final = "crashed"  # the scanner exited non-zero or was killed by a signal it did not get from us
TIMEOUT: Final = "timeout"  # the per-run time-out expired; its process group was killed
TOOL_MISSING: Final = "tool-missing"  # a profiler is not installed
TOOL_FAILED: Final = "tool-failed"  # a profiler ran but produced nothing usable
MISMATCH: Final = "mismatch"  # the report's digest differs from the baseline's
CLUSTER_LOST: Final = "cluster-lost"  # the scanner could not reach its source (exit 4)
NO_REPORT: Final = "no-report"  # exit 0 but no readable report
STATUSES: tuple[Status, ...] = get_args(Status)

# Run roles inside one scenario's matrix.
Role = Literal["warmup", "baseline", "aa", "candidate", "race", "stability"]
WARMUP: Final = "warmup"  # discarded: fills caches before anything is measured
BASELINE: Final = "baseline"
AA: Final = "aa"  # a second baseline run in the same block: its ratio to the baseline is the noise floor
CANDIDATE: Final = "candidate"
RACE: Final = "race"  # the all-phases combination with 2 workers and a shuffled control order
STABILITY: Final = "stability"  # findings only: more runs of the sides of a mismatch, never measured
ROLES: tuple[Role, ...] = get_args(Role)
MEASURED_ROLES: tuple[Role, ...] = (BASELINE, AA, CANDIDATE)  # never warm-up or race

# The instrument whose runs are gated (the others only explain; harness.run.instruments has them all).
CLEAN: Final = "clean"
BASELINE_COMBINATION: Final = "baseline"
ALL_PHASES: Final = "all"


@lru_cache(maxsize=256)
def phases_of(combination: str) -> Phases | None:
    """A stored combination spelling as Phases, parsed once per spelling; None when not one."""
    try:
        return Phases.parse(combination)
    except PhasesError:
        return None


def combination_numbers(combination: str) -> frozenset[int] | None:
    """The plan phases of a combination; None when it is not one (or holds a candidate beyond the plan)."""
    phases = phases_of(combination)
    # A candidate (X1, …) is not a plan combination: it must never stand for one in the plan's fits.
    return None if phases is None or phases.extras else frozenset(phases.numbers)


class ResultsFormatError(ValueError):
    """A results file that this ksbench cannot read; the message says what to do."""


@dataclass(frozen=True)
class Machine:
    python_version: str
    python_implementation: str
    platform: str
    cpu_count: int | None
    ksbench_version: str
    memray_version: str | None  # memray's and py-spy's versions keep their own fields (format 1)
    pyspy_version: str | None
    engine: str | None  # "name version (rego_version)", from the baseline report's metadata
    git_commit: str | None
    git_dirty: bool | None
    tools: Mapping[str, str | None] = field(default_factory=dict)  # any other instrument's tool
    # variant → the kubescape build it ran (ref, commit, Go version, modules, caveat, knobs)
    builds: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def describe(cls, tool_versions: Mapping[str, str | None], **fields: Any) -> Machine:
        """A machine record from the instruments' tool versions (harness.run.instruments.registry)."""
        others = {k: v for k, v in tool_versions.items() if k not in ("memray", "py-spy")}
        return cls(
            memray_version=tool_versions.get("memray"),
            pyspy_version=tool_versions.get("py-spy"),
            tools=others,
            **fields,
        )

    def tool_versions(self) -> dict[str, str | None]:
        """Tool → version (None: missing), memray and py-spy first."""
        return {"memray": self.memray_version, "py-spy": self.pyspy_version, **self.tools}

    def differences(self, other: Machine) -> list[str]:
        """Fields that differ (commit and dirty flag excluded: comparing commits is the point)."""
        skip = {"git_commit", "git_dirty"}
        mine, theirs = _plain(self), _plain(other)
        return [
            f"{key}: {mine[key]!r} vs {theirs[key]!r}"
            for key in mine
            if key not in skip and mine[key] != theirs[key]
        ]


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    resource_count: int | None
    fingerprint: str | None = None
    backend: str | None = None
    # A comparison across clusters: variant → {scenario, fingerprint, resource_count, stripped} of
    # the cluster it scanned instead of this one, and the raw-resource fields parity ignored.
    clusters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    parity_ignores: tuple[str, ...] = ()

    @property
    def across_clusters(self) -> bool:
        return bool(self.clusters)


@dataclass(frozen=True)
class Run:
    scenario: str
    combination: str  # canonical Phases spelling: baseline, all, P1+P3 (phases_of parses it)
    instrument: str  # a registered instrument's name: clean, memray, pyspy, …
    role: Role
    repetition: int  # block number; a run is paired with the baseline of the same block
    status: Status
    variant: str = ""  # "" or e.g. "workers=2,order=shuffled:7"
    reason: str = ""  # why a run has no figures, in one line
    exit_code: int | None = None
    # wall_seconds, cpu_seconds, peak_rss_bytes (clean); heap_peak_bytes, allocation_count, … (memray)
    metrics: Mapping[str, float] = field(default_factory=dict)
    report_digest: str | None = None
    artefacts: Mapping[str, str] = field(default_factory=dict)  # name → path relative to the out dir
    started_at: str = ""
    # peak_cpu, peak_rss → the stage the peak fell in ("evaluate C-0053 rule over cluster"); clean runs
    peak_stages: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A run's reason may quote a scanner's stderr (its last line): no control character is kept,
        # so no output can be coloured or retitled by it. Parity reasons keep their own line breaks.
        object.__setattr__(self, "reason", terminal_lines(self.reason))

    @property
    def key(self) -> tuple[str, str, str, str, int, str]:
        return (self.scenario, self.combination, self.instrument, self.role, self.repetition, self.variant)

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def untrusted(self) -> bool:
        """Figures kept from a run whose findings differ (`--measure-anyway`): shown, never trusted."""
        return self.status == MISMATCH and bool(self.metrics)

    @property
    def measured(self) -> bool:
        """A clean run of the matrix whose figures count (baseline, A/A or candidate; not race)."""
        has_figures = self.ok or self.untrusted
        return has_figures and self.instrument == CLEAN and self.role in MEASURED_ROLES and self.variant == ""

    @property
    def may_be_reference(self) -> bool:
        """A successful baseline run (warm-up or baseline role) with a report digest."""
        return self.ok and self.role in (WARMUP, BASELINE) and self.report_digest is not None


@dataclass(frozen=True)
class Series:
    """All runs of one (scenario, combination, instrument, role, variant)."""

    scenario: str
    combination: str
    instrument: str
    role: Role
    variant: str
    runs: tuple[Run, ...]

    def values(self, metric: str) -> dict[int, float]:
        """metric by repetition, from successful runs only (and untrusted ones: see Run.untrusted)."""
        return {
            run.repetition: run.metrics[metric]
            for run in self.runs
            if (run.ok or run.untrusted) and metric in run.metrics
        }


@dataclass(frozen=True)
class Suite:
    machine: Machine
    config: Mapping[str, Any]  # the bench arguments as given (no secrets: paths and names only)
    scenarios: tuple[ScenarioInfo, ...]
    series: tuple[Series, ...] = ()
    created_at: str = ""
    format_version: str = FORMAT_VERSION

    def runs(self) -> Iterator[Run]:
        for one in self.series:
            yield from one.runs

    def scenario_names(self) -> list[str]:
        """Scenarios in the order they were recorded, then any that only have runs."""
        names = [info.name for info in self.scenarios]
        names += [one.scenario for one in self.series if one.scenario not in names]
        return list(dict.fromkeys(names))

    def reference(self, scenario: str) -> Run | None:
        """The run whose report every other run of the scenario must match.

        The rule, used by the runner, the parity view and `compare` alike: the first stored run
        that succeeded in the warm-up or baseline role (always the baseline combination) and has
        a report digest. Stored order is run order, so it is the first baseline report read.
        """
        return next((r for r in self.runs() if r.scenario == scenario and r.may_be_reference), None)

    def reference_digest(self, scenario: str) -> str | None:
        reference = self.reference(scenario)
        return None if reference is None else reference.report_digest

    def measured_runs(self, scenario: str, combination: str) -> list[Run]:
        """The clean runs whose figures count, of one scenario and combination (Run.measured)."""
        return [
            r for r in self.runs() if r.scenario == scenario and r.combination == combination and r.measured
        ]

    def measured_values(self, scenario: str, combination: str, metric: str) -> list[float]:
        return [r.metrics[metric] for r in self.measured_runs(scenario, combination) if metric in r.metrics]

    def paired_values(
        self, scenario: str, combination: str, metric: str, role: Role, variant: str = ""
    ) -> dict[int, float]:
        """Clean figures by repetition (block), for pairing with the baseline of the same block."""
        values: dict[int, float] = {}
        for one in self.find(scenario, combination, CLEAN, role, variant):
            values.update(one.values(metric))
        return values

    def noise_pairs(self, scenario: str, metric: str) -> tuple[dict[int, float], dict[int, float]]:
        """(A/A, baseline) figures by block: what the noise floor is computed from."""
        aa = self.paired_values(scenario, BASELINE_COMBINATION, metric, AA)
        return aa, self.paired_values(scenario, BASELINE_COMBINATION, metric, BASELINE)

    def late_mismatches(self) -> list[Run]:
        """Runs whose digest differs from their scenario's reference, not yet marked MISMATCH."""
        references = {name: self.reference_digest(name) for name in self.scenario_names()}
        return [
            run
            for run in self.runs()
            if run.report_digest is not None
            and references.get(run.scenario) is not None
            and run.report_digest != references[run.scenario]
            and run.status != MISMATCH
        ]

    def with_late_mismatches(self) -> Suite:
        """Stored results re-checked: a run whose digest differs from its reference becomes MISMATCH."""
        suite = self
        for run in self.late_mismatches():
            suite = suite.with_run(
                replace(run, status=MISMATCH, reason="digest differs from the baseline's", metrics={})
            )
        return suite

    def find(
        self, scenario: str, combination: str, instrument: str, role: str | None = None, variant: str = ""
    ) -> list[Series]:
        return [
            one
            for one in self.series
            if one.scenario == scenario
            and one.combination == combination
            and one.instrument == instrument
            and (role is None or one.role == role)
            and one.variant == variant
        ]

    def scenario(self, name: str) -> ScenarioInfo | None:
        return next((info for info in self.scenarios if info.name == name), None)

    def with_run(self, run: Run) -> Suite:
        """A new suite with run added (replacing a run with the same key)."""
        series = list(self.series)
        for index, one in enumerate(series):
            if (one.scenario, one.combination, one.instrument, one.role, one.variant) == (
                run.scenario,
                run.combination,
                run.instrument,
                run.role,
                run.variant,
            ):
                kept = tuple(r for r in one.runs if r.key != run.key)
                series[index] = replace(one, runs=(*kept, run))
                return replace(self, series=tuple(series))
        fresh = Series(run.scenario, run.combination, run.instrument, run.role, run.variant, (run,))
        return replace(self, series=(*self.series, fresh))

    def with_scenario(self, info: ScenarioInfo) -> Suite:
        kept = tuple(s for s in self.scenarios if s.name != info.name)
        return replace(self, scenarios=(*kept, info))


def machine_json(machine: Machine) -> dict[str, Any]:
    """The machine record as stored in results files (and echoed by the JSON verdict)."""
    return _plain(machine)


def _plain(value: Machine | ScenarioInfo) -> dict[str, Any]:
    plain = dict(vars(value))
    if isinstance(value, Machine):
        plain["tools"] = dict(value.tools)
        if not value.tools:
            del plain["tools"]  # files without other tools stay as format 1 first wrote them
        plain["builds"] = dict(value.builds)
        if not value.builds:
            del plain["builds"]
    if isinstance(value, ScenarioInfo):
        # Files of benches on one cluster stay as format 1 first wrote them.
        plain["clusters"] = {k: dict(v) for k, v in value.clusters.items()}
        plain["parity_ignores"] = list(value.parity_ignores)
        for key in ("clusters", "parity_ignores"):
            if not plain[key]:
                del plain[key]
    return plain


def _scenario_info(data: Mapping[str, Any]) -> ScenarioInfo:
    fields = dict(data)
    fields["clusters"] = {str(k): dict(v) for k, v in (fields.get("clusters") or {}).items()}
    fields["parity_ignores"] = tuple(str(f) for f in fields.get("parity_ignores") or ())
    fields["name"] = _label(fields.get("name"), "a scenario's name")
    if fields.get("resource_count") is not None:
        _whole(fields["resource_count"], f"scenario {fields['name']!r}'s resource count")
    return ScenarioInfo(**fields)


def _status(text: Any) -> Status:
    if text not in STATUSES:
        raise ValueError(f"unknown run status {text!r}")
    return cast(Status, text)


def _role(text: Any) -> Role:
    if text not in ROLES:
        raise ValueError(f"unknown run role {text!r}")
    return cast(Role, text)


def _label(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} is {value!r}, not text")
    return terminal(value)


def _whole(value: Any, where: str, low: int = 0) -> int:
    """A stored whole number (not a bool, not a float) of at least `low`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{where} is {value!r}, not a whole number of at least {low}")
    return value


def _exit_code(value: Any) -> int | None:
    if value is None:
        return None
    code = _whole(value, "a run's exit code", low=-255)  # negative: killed by that signal
    if code > 255:
        raise ValueError(f"a run's exit code is {code}, beyond 255")
    return code


def to_json(suite: Suite) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "created_at": suite.created_at,
        "machine": _plain(suite.machine),
        "config": dict(suite.config),
        "scenarios": [_plain(info) for info in suite.scenarios],
        "series": [
            {
                "scenario": one.scenario,
                "combination": one.combination,
                "instrument": one.instrument,
                "role": one.role,
                "variant": one.variant,
                "runs": [
                    {
                        "repetition": run.repetition,
                        "status": run.status,
                        "reason": run.reason,
                        "exit_code": run.exit_code,
                        "metrics": dict(run.metrics),
                        "report_digest": run.report_digest,
                        "artefacts": dict(run.artefacts),
                        "started_at": run.started_at,
                        **({"peak_stages": dict(run.peak_stages)} if run.peak_stages else {}),
                    }
                    for run in one.runs
                ],
            }
            for one in suite.series
        ],
    }


def _check_version(data: Mapping[str, Any], source: str) -> None:
    version = data.get("format_version")
    if not isinstance(version, str) or not version.startswith(f"{FORMAT_NAME}/"):
        raise ResultsFormatError(
            f"{source} is not a ksbench results file (format_version {version!r}); "
            "give the results.json that `ksbench bench` wrote"
        )
    number_text = version.split("/", 1)[1]
    number = int(number_text) if number_text.isdigit() else -1
    if number < FORMAT_NUMBER:
        raise ResultsFormatError(
            f"{source} has format {version}, older than this ksbench reads ({FORMAT_VERSION}); "
            "re-run `ksbench bench` to measure again, or read it with the ksbench release that wrote it"
        )
    if number > FORMAT_NUMBER:
        raise ResultsFormatError(
            f"{source} has format {version}, newer than this ksbench reads ({FORMAT_VERSION}); "
            "upgrade ksbench (pip install -U ksbench) to read it"
        )


def from_json(data: Mapping[str, Any], source: str = "results") -> Suite:
    _check_version(data, source)
    try:
        series = tuple(
            Series(
                scenario=_label(one["scenario"], "a series' scenario"),
                combination=_label(one["combination"], "a series' combination"),
                instrument=_label(one["instrument"], "a series' instrument"),
                role=_role(one["role"]),
                variant=_label(one["variant"], "a series' variant"),
                runs=tuple(
                    Run(
                        scenario=_label(one["scenario"], "a run's scenario"),
                        combination=_label(one["combination"], "a run's combination"),
                        instrument=_label(one["instrument"], "a run's instrument"),
                        role=_role(one["role"]),
                        variant=_label(one["variant"], "a run's variant"),
                        repetition=_whole(run["repetition"], "a run's repetition", low=-1),  # -1: the warm-up
                        status=_status(run["status"]),
                        reason=run["reason"],
                        exit_code=_exit_code(run["exit_code"]),
                        metrics={
                            key: figure(value, f"metric {key!r} of a {one['scenario']} run")
                            for key, value in run["metrics"].items()
                        },
                        report_digest=run["report_digest"],
                        artefacts=dict(run["artefacts"]),
                        started_at=_label(run["started_at"], "a run's start time"),
                        peak_stages={
                            _label(k, "a peak stage"): _label(v, "a peak stage")
                            for k, v in run.get("peak_stages", {}).items()
                        },
                    )
                    for run in one["runs"]
                ),
            )
            for one in data["series"]
        )
        return Suite(
            machine=Machine(**data["machine"]),
            config=dict(data["config"]),
            scenarios=tuple(_scenario_info(info) for info in data["scenarios"]),
            series=series,
            created_at=data["created_at"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsFormatError(
            f"{source} is damaged ({exc!r}); re-run `ksbench bench` (or --resume)"
        ) from exc


PROBLEMS_SHOWN = 10  # problems of one kind listed before "…and N more like this"


def capped(lines: list[str], what: str, limit: int = PROBLEMS_SHOWN) -> list[str]:
    """The first `limit` lines, then one that counts the rest: a hostile input cannot flood a report."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"…and {len(lines) - limit:,} more like this ({what})"]


class ArtefactOutside(ValueError):
    """A stored artefact path that does not name a file inside its results folder."""


def artefact_file(folder: Path, stored: str) -> Path:
    """The file a stored artefact path names: relative, and inside `folder` once every symbolic link
    is followed. ArtefactOutside says why otherwise (absolute, `..`, or a link out of the folder):
    a results.json from elsewhere must never make a report read, say, a kubeconfig."""
    pure = PurePosixPath(stored)
    if not stored or "\x00" in stored or pure.is_absolute() or PureWindowsPath(stored).anchor:
        raise ArtefactOutside(f"artefact path {stored!r} is not relative to the results folder")
    if ".." in pure.parts:
        raise ArtefactOutside(f"artefact path {stored!r} climbs out of the results folder")
    root = folder.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root):
        raise ArtefactOutside(f"artefact path {stored!r} leads out of the results folder (a symbolic link)")
    return target


def read_artefact_text(path: Path, errors: str = "strict") -> str:
    """A stored artefact's text through the bounded reader (regular file, RESULTS_MAX_BYTES);
    OSError or ValueError saying why not."""
    data = read_bounded(path, RESULTS_MAX_BYTES)
    if data is None:
        raise ValueError(f"{path} is larger than {RESULTS_MAX_BYTES:,} bytes: not an artefact ksbench wrote")
    return data.decode("utf-8", errors)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader (or a crash) never sees half a file: temp file + os.replace."""
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError while writing `path` (a full disk, a quota, a read-only folder) ends the command
    with a message naming the file (EnvironmentProblem, exit 4): write() itself names none."""
    try:
        yield
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_text_atomic(path: Path, text: str) -> None:
    """Write text so that a reader (or a crash) never sees half a file: temp file + os.replace."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def dump(suite: Suite, path: Path) -> None:
    write_json_atomic(path, to_json(suite))


def load_given(path: Path) -> Suite:
    """A results.json, or the --out directory holding one, as the commands are given it.

    Raises UsageError (exit 2) with what to give instead when there is none or it cannot be read.
    """
    file = path / RESULTS_FILE if path.is_dir() else path
    if not file.exists() and not file.is_symlink():
        raise UsageError(
            f"no results at {file}: give the results.json (or the --out directory) of `ksbench bench`"
        )
    try:
        return load(file)
    except ResultsFormatError as exc:
        raise UsageError(str(exc)) from exc


def load(path: Path) -> Suite:
    try:
        data = read_json_bounded(path, RESULTS_MAX_BYTES, "results file", **FINITE_JSON)
    except OSError as exc:
        raise ResultsFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except RecursionError as exc:
        raise ResultsFormatError(f"{path} is nested too deeply to be a ksbench results file") from exc
    except DecodedTooLarge as exc:
        raise ResultsFormatError(str(exc)) from exc
    except ValueError as exc:
        raise ResultsFormatError(
            f"{path} is not JSON ({exc}); give the results.json that `ksbench bench` wrote"
        ) from exc
    if not isinstance(data, dict):
        raise ResultsFormatError(f"{path} is not a ksbench results file")
    return from_json(data, str(path))
