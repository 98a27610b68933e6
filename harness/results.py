"""Stored results: frozen values (Run → Series → Suite) and their one JSON serialiser.

Owns the results file format. Every file carries `format_version`; loading a file of another
version fails with what to do. Machine metadata records the tools and the checkout — never a
kubeconfig's contents, a token, or environment variables.

Must not: spawn processes, compute statistics or judge anything; callers collect the metadata.

Format changes (one line each, newest last):
  ksbench-results/1 — first format: suite{machine, config, scenarios, series[runs]}.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

FORMAT_VERSION = "ksbench-results/1"
FORMAT_NAME = "ksbench-results"
FORMAT_NUMBER = 1

# Run statuses: "ok" is the only one whose figures are used.
OK = "ok"
CRASHED = "crashed"  # the scanner exited non-zero or was killed by a signal it did not get from us
TIMEOUT = "timeout"  # the per-run time-out expired; its process group was killed
TOOL_MISSING = "tool-missing"  # a profiler is not installed
TOOL_FAILED = "tool-failed"  # a profiler ran but produced nothing usable
MISMATCH = "mismatch"  # the report's digest differs from the baseline's
CLUSTER_LOST = "cluster-lost"  # the scanner could not reach its source (exit 4)
NO_REPORT = "no-report"  # exit 0 but no readable report
STATUSES = (OK, CRASHED, TIMEOUT, TOOL_MISSING, TOOL_FAILED, MISMATCH, CLUSTER_LOST, NO_REPORT)

# Run roles inside one scenario's matrix.
WARMUP = "warmup"  # discarded: fills caches before anything is measured
BASELINE = "baseline"
AA = "aa"  # a second baseline run in the same block: its ratio to the baseline is the noise floor
CANDIDATE = "candidate"
RACE = "race"  # the all-phases combination with 2 workers and a shuffled control order
ROLES = (WARMUP, BASELINE, AA, CANDIDATE, RACE)


class ResultsFormatError(ValueError):
    """A results file that this ksbench cannot read; the message says what to do."""


@dataclass(frozen=True)
class Machine:
    python_version: str
    python_implementation: str
    platform: str
    cpu_count: int | None
    ksbench_version: str
    memray_version: str | None
    pyspy_version: str | None
    engine: str | None  # "name version (rego_version)", from the baseline report's metadata
    git_commit: str | None
    git_dirty: bool | None

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


@dataclass(frozen=True)
class Run:
    scenario: str
    combination: str  # canonical Phases spelling: baseline, all, P1+P3
    instrument: str  # clean | memray | pyspy
    role: str
    repetition: int  # block number; a run is paired with the baseline of the same block
    status: str
    variant: str = ""  # "" or e.g. "workers=2,order=shuffled:7"
    reason: str = ""  # why a run has no figures, in one line
    exit_code: int | None = None
    # wall_seconds, cpu_seconds, peak_rss_bytes (clean); heap_peak_bytes, allocation_count, … (memray)
    metrics: Mapping[str, float] = field(default_factory=dict)
    report_digest: str | None = None
    artefacts: Mapping[str, str] = field(default_factory=dict)  # name → path relative to the out dir
    started_at: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, int, str]:
        return (self.scenario, self.combination, self.instrument, self.role, self.repetition, self.variant)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class Series:
    """All runs of one (scenario, combination, instrument, role, variant)."""

    scenario: str
    combination: str
    instrument: str
    role: str
    variant: str
    runs: tuple[Run, ...]

    def values(self, metric: str) -> dict[int, float]:
        """metric by repetition, from successful runs only."""
        return {run.repetition: run.metrics[metric] for run in self.runs if run.ok and metric in run.metrics}


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

    def run_keys(self) -> set[tuple[str, str, str, str, int, str]]:
        return {run.key for run in self.runs()}

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


def _plain(value: Machine | ScenarioInfo) -> dict[str, Any]:
    return dict(vars(value))


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
                scenario=one["scenario"],
                combination=one["combination"],
                instrument=one["instrument"],
                role=one["role"],
                variant=one["variant"],
                runs=tuple(
                    Run(
                        scenario=one["scenario"],
                        combination=one["combination"],
                        instrument=one["instrument"],
                        role=one["role"],
                        variant=one["variant"],
                        repetition=int(run["repetition"]),
                        status=run["status"],
                        reason=run["reason"],
                        exit_code=run["exit_code"],
                        metrics={key: float(value) for key, value in run["metrics"].items()},
                        report_digest=run["report_digest"],
                        artefacts=dict(run["artefacts"]),
                        started_at=run["started_at"],
                    )
                    for run in one["runs"]
                ),
            )
            for one in data["series"]
        )
        return Suite(
            machine=Machine(**data["machine"]),
            config=dict(data["config"]),
            scenarios=tuple(ScenarioInfo(**info) for info in data["scenarios"]),
            series=series,
            created_at=data["created_at"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsFormatError(
            f"{source} is damaged ({exc!r}); re-run `ksbench bench` (or --resume)"
        ) from exc


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader (or a crash) never sees half a file: temp file + os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump(suite: Suite, path: Path) -> None:
    write_json_atomic(path, to_json(suite))


def load(path: Path) -> Suite:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsFormatError(
            f"{path} is not JSON ({exc}); give the results.json that `ksbench bench` wrote"
        ) from exc
    if not isinstance(data, dict):
        raise ResultsFormatError(f"{path} is not a ksbench results file")
    return from_json(data, str(path))
