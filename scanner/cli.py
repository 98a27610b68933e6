"""`ksbench scan` / `python -m scanner`: arguments → pipeline → report, errors → exit codes.

Exit codes: 0 scanned; 1 --fail-threshold exceeded, or not judged because inputs were incomplete
(fails closed); 2 usage error; 4 no source could be read; 5 an unexpected error (a bug: one line,
and the traceback with KSBENCH_TRACEBACK=1); 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). Every message is one line, and credentials in URLs
never reach one. The only module that parses arguments or prints; it computes no findings.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from scanner import events
from scanner.engine import ENGINE_NAMES, EngineUnavailable, default_engine_name, load_engine
from scanner.escape import terminal
from scanner.evaluate import DEFAULT_BATCH_SIZE, LARGE_CLUSTER_SIZE, ScanOptions, ScanState
from scanner.exceptions import ExceptionsError, PostureException, load_exceptions
from scanner.numbers import number
from scanner.phases import ENV_VAR, Phases, PhasesError
from scanner.policies import Control, Library, PolicyError, load_data_control_inputs, load_library
from scanner.report import ReportContext, build, render_pretty, write_json, write_json_streamed
from scanner.results import SKIPPED
from scanner.scan import run_scan, wanted_kinds
from scanner.sources import Source, SourceProblem, SourceUnavailable
from scanner.sources.limits import (
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_OBJECT_BYTES,
    DEFAULT_MAX_OBJECTS_PER_KIND,
    Deadline,
    ReadLimits,
)
from scanner.sources.scrub import Scrubber
from scanner.walk import FolderTooDeep

EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_SOURCE, EXIT_INTERNAL = 0, 1, 2, 4, 5
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # Ctrl-C; SIGTERM (128 + the signal, as a shell says)
PINNED_TIME = "2000-01-01T00:00:00Z"
# More evaluation threads than this only contend for the GIL and the engine.
MAX_WORKERS = 256


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ksbench scan",
        description="Scan a cluster or manifests with kubescape-style controls; writes a kubescape-shaped report.",
        epilog="exit codes: 0 scanned, 1 --fail-threshold exceeded or inputs incomplete under it, "
        "2 usage error, 4 no source could be read, 5 unexpected error (KSBENCH_TRACEBACK=1 shows it), "
        "130 interrupted, 143 terminated (SIGTERM)",
    )
    _add_what_to_scan(p)
    _add_how_to_scan(p)
    _add_limits(p)
    return p


def _add_what_to_scan(p: argparse.ArgumentParser) -> None:
    """Sources, policies and exceptions."""
    p.add_argument("paths", nargs="*", type=Path, help="manifest files or folders (omit to scan the cluster)")
    p.add_argument(
        "--kubeconfig", help="kubeconfig of the cluster to scan (default: $KUBECONFIG or ~/.kube/config)"
    )
    p.add_argument("--context", help="kubeconfig context (default: the current one)")
    p.add_argument(
        "--framework", action="append", default=[], metavar="NAME", help="framework to run (repeatable)"
    )
    p.add_argument("--controls", nargs="+", default=[], metavar="ID", help="control IDs to run")
    p.add_argument(
        "--policies", type=Path, help="a policy library in kubescape's regolibrary layout (default: ours)"
    )
    p.add_argument("--exceptions", type=Path, help="posture exceptions (kubescape's JSON format)")
    p.add_argument(
        "--host-data",
        type=Path,
        metavar="DIR",
        help="host-sensor and cloud objects (KubeletInfo, ClusterDescribe, ...) as manifests, scanned too",
    )
    p.add_argument(
        "--data-control-inputs",
        type=Path,
        metavar="FILE",
        help='JSON object given to rules as data.dataControlInputs, e.g. {"cloudProvider": "eks"}',
    )


def _add_how_to_scan(p: argparse.ArgumentParser) -> None:
    """Output, phases, engine and the evaluation's knobs."""
    p.add_argument("--format", choices=("pretty", "json"), default="pretty")
    p.add_argument("--output", type=Path, help="write the report here (default: standard output)")
    p.add_argument(
        "--phases",
        help=f"optimisation phases: baseline, all, or e.g. 1,3,5 (default: ${ENV_VAR} or baseline)",
    )
    p.add_argument(
        "--engine", choices=ENGINE_NAMES, help="Rego engine (default: opa where installed, else regorus)"
    )
    p.add_argument(
        "--workers",
        type=number(1, MAX_WORKERS, integer=int),
        default=1,
        help="evaluation threads (default 1)",
    )
    p.add_argument(
        "--batch-size",
        type=number(1, integer=int),
        default=DEFAULT_BATCH_SIZE,
        help="objects per batch when streaming (P5), and per evaluation of a join split by subject (X4) or namespace (X5)",
    )
    p.add_argument(
        "--large-cluster-size",
        type=number(0, integer=int),
        default=LARGE_CLUSTER_SIZE,
        help="above this many resources rules run per namespace (kubescape: 2500)",
    )
    p.add_argument(
        "--control-order", default="sorted", help="sorted, or shuffled:SEED (results must not change)"
    )
    p.add_argument(
        "--pin-time", action="store_true", help=f"write generationTime as {PINNED_TIME} (byte-stable reports)"
    )
    p.add_argument(
        "--fail-threshold",
        type=number(0, 100),
        metavar="PCT",
        help="exit 1 when more than PCT percent of the resources fail a control, or when a selected "
        "control could not be evaluated or a source problem left inputs incomplete (fails closed)",
    )


def _add_limits(p: argparse.ArgumentParser) -> None:
    """Reading limits, progress and stage events."""
    p.add_argument(
        "--page-size", type=number(1, integer=int), default=500, help="objects per LIST page (cluster scans)"
    )
    p.add_argument(
        "--timeout",
        type=number(0, low_open=True),
        default=30.0,
        help="seconds per API request (cluster scans)",
    )
    p.add_argument(
        "--deadline",
        type=number(0),
        default=DEFAULT_DEADLINE_SECONDS,
        metavar="SECONDS",
        help="stop reading sources after this much reading time (the scan's time with each page, e.g. "
        "evaluating a streamed batch, is not counted); what is left is reported as skipped "
        f"(default {DEFAULT_DEADLINE_SECONDS:g}; 0 for none)",
    )
    p.add_argument(
        "--max-file-bytes",
        type=number(1, integer=int),
        default=DEFAULT_MAX_FILE_BYTES,
        metavar="N",
        help=f"larger manifest files, and YAML documents whose aliases expand beyond this, are not read "
        f"(default {DEFAULT_MAX_FILE_BYTES:,})",
    )
    p.add_argument(
        "--max-object-bytes",
        type=number(1, integer=int),
        default=DEFAULT_MAX_OBJECT_BYTES,
        metavar="N",
        help=f"larger objects are not read, like the API server's limit (default {DEFAULT_MAX_OBJECT_BYTES:,})",
    )
    p.add_argument(
        "--max-objects-per-kind",
        type=number(1, integer=int),
        default=DEFAULT_MAX_OBJECTS_PER_KIND,
        metavar="N",
        help=f"a LIST that goes past this many objects is not read to the end; its kind is skipped "
        f"(default {DEFAULT_MAX_OBJECTS_PER_KIND:,})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.add_argument(
        "--events",
        metavar="FILE",
        default=os.environ.get(events.ENV_VAR),
        help=f"write stage events (JSON lines, {events.FORMAT_VERSION}) to FILE (default: ${events.ENV_VAR})",
    )
    p.add_argument(
        "--audit", action="store_true", help="also count objects one rule evaluated twice in one scope"
    )


_SCRUB = Scrubber()


def _one_line(message: str) -> str:
    # Whitespace runs (newlines too) become one space; any other control character an escape.
    return terminal(" ".join(_SCRUB(message).split()))


def _tell(message: str) -> None:
    print(f"ksbench scan: {_one_line(message)}", file=sys.stderr)


def _fail(message: str, code: int) -> int:
    print(f"ksbench scan: error: {_one_line(message)}", file=sys.stderr)
    return code


def _incomplete(report: dict[str, object], problems: int) -> list[str]:
    """Why the threshold cannot be judged: selected controls not evaluated, source problems."""
    summary = report["summaryDetails"]
    assert isinstance(summary, dict)
    reasons = [
        f"{cid}: {control['statusInfo'].get('info', '')}"
        for cid, control in sorted(summary["controls"].items())
        if control["status"] == SKIPPED and control["statusInfo"].get("subStatus") != "irrelevant"
    ]
    if problems:
        reasons.append(f"{problems} source problem(s)")
    return reasons


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.events:
        try:
            events.install(args.events)
        except OSError as exc:
            return _fail(f"cannot write stage events to {args.events}: {exc.strerror or exc}", EXIT_USAGE)
    previous = _sigterm_interrupts()
    try:
        return _main(args)
    except _Terminated:
        return _fail("interrupted (SIGTERM)", EXIT_TERMINATED)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # the last resort: one line, not a traceback that reads like exit 1
        if os.environ.get("KSBENCH_TRACEBACK"):
            traceback.print_exc()
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (KSBENCH_TRACEBACK=1 shows where)", EXIT_INTERNAL
        )
    finally:
        events.uninstall()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the scan is, so that it unwinds as from Ctrl-C."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise _Terminated(f"signal {signum}")


def _sigterm_interrupts() -> Any:
    """SIGTERM raises _Terminated from now on; the handler it replaces (None off the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: signals are the main thread's
        return None


@dataclasses.dataclass(frozen=True)
class _Chosen:
    """What the arguments select before anything is read: options, policies, controls, exceptions."""

    options: ScanOptions
    library: Library
    controls: list[Control]
    exceptions: list[PostureException]


def _choose(args: argparse.Namespace) -> _Chosen:
    """The arguments checked and loaded; PhasesError, PolicyError or ExceptionsError when bad (exit 2)."""
    phases = Phases.parse(args.phases) if args.phases is not None else Phases.from_env()
    options = ScanOptions(
        phases, args.workers, args.batch_size, args.large_cluster_size, args.control_order, args.audit
    )
    if not (options.control_order == "sorted" or options.control_order.startswith("shuffled")):
        raise PhasesError(f"--control-order {options.control_order!r}: use sorted or shuffled:SEED")
    library = load_library(args.policies)
    if args.data_control_inputs:
        library = dataclasses.replace(
            library, data_control_inputs=load_data_control_inputs(args.data_control_inputs)
        )
    controls = library.select(args.framework, args.controls)
    exceptions = load_exceptions(args.exceptions) if args.exceptions else []
    return _Chosen(options, library, controls, exceptions)


def _source(args: argparse.Namespace, chosen: _Chosen) -> Source:
    """Manifests or the cluster, and the host data beside them; the deadline starts now."""
    # The deadline bounds reading, so it starts here, after the policies and the engine are loaded.
    limits = ReadLimits(
        max_file_bytes=args.max_file_bytes,
        max_object_bytes=args.max_object_bytes,
        max_objects_per_kind=args.max_objects_per_kind,
        deadline=Deadline(args.deadline or None),
    )
    source: Source
    if args.paths:
        from scanner.sources.files import FileSource

        source = FileSource(args.paths, limits)
    else:
        from scanner.sources.kube import KubeSource

        wanted = wanted_kinds(chosen.library, chosen.controls)
        source = KubeSource(args.kubeconfig, args.context, wanted, args.page_size, args.timeout, limits)
    if args.host_data:
        from scanner.sources.chained import ChainedSource
        from scanner.sources.files import FileSource as HostDataSource

        source = ChainedSource([source, HostDataSource([args.host_data])])
    return source


def _main(args: argparse.Namespace) -> int:

    def say(message: str) -> None:
        if not args.quiet:
            print(f"ksbench scan: {_one_line(message)}", file=sys.stderr)

    try:
        chosen = _choose(args)
    except (PhasesError, PolicyError, ExceptionsError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        engine = load_engine(args.engine or default_engine_name())
    except EngineUnavailable as exc:
        return _fail(str(exc), EXIT_USAGE)
    options, phases = chosen.options, chosen.options.phases
    if phases.has_candidate(3) and os.environ.get("GOGC") is None:
        say("X3 asks for GOGC in the environment the scanner starts with (the Go runtime reads it only then)")
    say(
        f"engine {engine.info.name} {engine.info.version} ({engine.info.rego_version}); phases {phases}; "
        f"{len(chosen.controls)} controls; {args.workers} worker(s)"
    )
    try:
        source = _source(args, chosen)
        say(f"reading {source.description}")
        state = run_scan(source, chosen.library, engine, chosen.controls, options)
        state.problems.extend(SourceProblem(where, reason) for where, reason in chosen.library.skipped)
    except SourceUnavailable as exc:
        return _fail(str(exc), EXIT_SOURCE)
    except FolderTooDeep as exc:
        return _fail(str(exc), EXIT_USAGE)
    if state.inventory.counters.objects_collected == 0 and state.problems:
        first = state.problems[0]
        return _fail(
            f"no object could be read from {source.description}: {first.where}: {first.reason}", EXIT_SOURCE
        )
    now = PINNED_TIME if args.pin_time else datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = ReportContext(
        chosen.library,
        engine.info,
        options,
        tuple(args.framework),
        tuple(chosen.exceptions),
        now,
        source.description,
    )
    try:
        report = _write_report(args, state, ctx)
    except OSError as exc:
        return _fail(
            f"cannot write the report to {args.output or 'standard output'}: {exc.strerror or exc}",
            EXIT_USAGE,
        )
    finally:
        state.inventory.raw.close()
    say(f"{state.inventory.counters.objects_collected} resources, {len(state.problems)} problem(s)")
    if args.fail_threshold is None:
        return EXIT_OK
    return _judge_threshold(args.fail_threshold, report, len(state.problems) + len(state.inventory.invalid))


def _judge_threshold(threshold: float, report: dict[str, Any], problems: int) -> int:
    """--fail-threshold: exit 1 above it, or when inputs are incomplete (fails closed)."""
    incomplete = _incomplete(report, problems)
    if incomplete:
        # Fail closed: what was not evaluated might have failed.
        _tell(f"--fail-threshold not judged, failing closed: inputs incomplete: {'; '.join(incomplete)}")
        return EXIT_THRESHOLD
    counters = report["summaryDetails"]["ResourceCounters"]
    total = sum(counters.values())
    failed_percent = 100.0 * counters["failedResources"] / total if total else 0.0
    if failed_percent > threshold:
        _tell(f"{failed_percent:.1f}% of resources failed, above --fail-threshold {threshold}")
        return EXIT_THRESHOLD
    return EXIT_OK


def _write_report(args: argparse.Namespace, state: ScanState, ctx: ReportContext) -> dict[str, Any]:
    """Write the report where asked; returns what a summary reads."""
    if args.format == "json":
        if args.output:
            with args.output.open("w", encoding="utf-8") as out:
                return _write_json(state, ctx, out)
        return _write_json(state, ctx, sys.stdout)
    with events.span("aggregate"):
        report = build(state, ctx)
    with events.span("report"):
        text = render_pretty(report)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return report


def _write_json(state: ScanState, ctx: ReportContext, out: IO[str]) -> dict[str, Any]:
    if ctx.options.phases.has_candidate(2):
        with events.span("report"):  # X2 aggregates each resource as it writes it
            return write_json_streamed(state, ctx, out)
    with events.span("aggregate"):
        report = build(state, ctx)
    with events.span("report"):
        write_json(report, state, out)
    return report
