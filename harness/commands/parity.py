"""`ksbench parity [SCENARIO...]`: every case's findings against the baseline's, fail closed.

Runs the scanner in a fresh process per case on each scenario's cluster (the embedded server by
default, with the parity faults armed before every scan) and checks each report twice: the
invariants beside the digest (scanner.parity.violations) and the digest against the reference
(baseline, 1 worker, sorted controls, default pages and batches). Stops at the first failure and
prints the minimal explanation. Default: the fast plan (harness.run.parity_plan) on the shipped
parity scenarios. Exit codes: 0 all identical; 3 a case broke an invariant, reported different
findings or produced no report at all (a crash cannot prove parity); 2 usage; 4 the cluster or
the baseline scan could not be started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.clusters import BACKENDS
from harness.clusters.embedded import set_faults
from harness.clusters.target import Target
from harness.commands.options import add_scanner_option, cluster_opener, policy_scan_args, scanner_prefix
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK, EnvironmentProblem, UsageError
from harness.run import process, runner
from harness.run.parity_plan import ParityCase, edge_plan, fast_plan, grid_plan
from scanner.phases import Phases, PhasesError, parse_combinations

DEFAULT_SCENARIOS = ("adversarial", "edge-2500", "edge-2501")
EDGE_SCENARIOS = ("edge-2500", "edge-2501")  # thousands of objects: the shorter edge plan
# Armed before every scan on the embedded backend (beside the scenario's forbidden LISTs): an
# expired continue token mid-LIST (recovered by listing again), a dropped connection and a 500
# (the kind's controls are skipped with the reason) and a slow response. Each is deterministic
# across page sizes, so the findings must not change.
PARITY_FAULTS: tuple[dict[str, Any], ...] = (
    {"resource": "pods", "action": "expire", "on": "continue", "times": 1},
    {"resource": "apps/v1/daemonsets", "action": "drop", "verbs": ["list"]},
    {"resource": "batch/v1/cronjobs", "action": "status", "status": 500, "verbs": ["list"]},
    {"resource": "services", "action": "delay", "delay_seconds": 0.05, "verbs": ["list"], "times": 2},
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("parity", help="prove every combination reports the baseline's findings")
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}"
    )
    parser.add_argument(
        "--combinations",
        default="fast",
        help="fast (default: a pairwise array with swept batches, pages, workers and order),"
        " or a grid of: pairwise (6), key (14), all (64) or a ;-separated list",
    )
    parser.add_argument("--workers", default="1", help="grid: comma-separated worker counts, e.g. 1,2")
    parser.add_argument(
        "--shuffle-controls", action="store_true", help="grid: also run with a shuffled control order"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled control order")
    parser.add_argument("--backend", default="embedded", choices=BACKENDS)
    parser.add_argument("--no-faults", action="store_true", help="embedded: do not arm the parity faults")
    parser.add_argument("--kubeconfig", type=Path, help="existing backend: your cluster's kubeconfig")
    parser.add_argument("--context", help="existing backend: the context to use")
    parser.add_argument("--engine", help="the scanner's Rego engine")
    parser.add_argument("--timeout", type=float, default=900.0, help="per-run time-out in seconds")
    parser.add_argument("--out", type=Path, help="where reports are kept (default reports/parity-<UTC time>)")
    add_scanner_option(parser)
    parser.set_defaults(handler=run)


def _workers(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise UsageError(f"--workers takes numbers like 1,2, not {text!r}") from exc
    if not counts or min(counts) < 1:
        raise UsageError("--workers needs at least one count of 1 or more")
    return list(dict.fromkeys(counts))


def _plan(args: argparse.Namespace, scenario: str) -> list[ParityCase]:
    if args.combinations.strip().lower() == "fast":
        return edge_plan(args.seed) if scenario in EDGE_SCENARIOS else fast_plan(args.seed)
    try:
        combinations = [str(c) for c in parse_combinations(args.combinations)]
    except PhasesError as exc:
        raise UsageError(str(exc)) from exc
    orders = ["sorted"] + ([f"shuffled:{args.seed}"] if args.shuffle_controls else [])
    return grid_plan(combinations, _workers(args.workers), orders)


@contextlib.contextmanager
def _faults(target: Target, armed: bool) -> Iterator[None]:
    """Re-arm the faults before each scan (they count down); clear them when the scenario is done."""
    if target.server_url is None or not armed:
        yield
        return
    try:
        yield
    finally:
        set_faults(target.server_url, None)


def _arm(target: Target, armed: bool) -> None:
    if target.server_url is not None and armed:
        set_faults(target.server_url, list(PARITY_FAULTS))


def run(args: argparse.Namespace) -> int:
    scenarios = list(args.scenarios or DEFAULT_SCENARIOS)
    plans = {scenario: _plan(args, scenario) for scenario in scenarios}
    if args.backend != "embedded" and args.no_faults:
        raise UsageError("--no-faults applies to the embedded backend only")
    scanner = scanner_prefix(args)
    out = args.out or Path("reports") / f"parity-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    parity = runner.ScannerParity()
    open_target = cluster_opener(args)
    extra = (["--engine", args.engine] if args.engine else []) + list(policy_scan_args(args))
    checked = 0
    for scenario in scenarios:
        cases = plans[scenario]
        # The edge scenarios' point is an exact count: no fault may take objects away from it.
        armed = not args.no_faults and scenario not in EDGE_SCENARIOS
        with open_target(scenario) as target, _faults(target, armed):
            reference: tuple[Path, str] | None = None
            for index, case in enumerate(cases):
                label = f"{scenario} · {case.label}"
                print(f"[{index + 1}/{len(cases)}] {label}", file=sys.stderr)
                directory = out / scenario / case.directory
                directory.mkdir(parents=True, exist_ok=True)
                report = directory / "report.json"
                report.unlink(missing_ok=True)
                argv = [
                    sys.executable, *scanner, *target.source_args, "--format", "json",
                    "--output", str(report), "--pin-time", "--audit", *case.scanner_args(), *extra,
                ]  # fmt: skip
                scratch = directory / "tmp"
                scratch.mkdir(exist_ok=True)
                _arm(target, armed)
                result = process.run(
                    argv,
                    timeout_seconds=args.timeout,
                    env={
                        **os.environ,
                        "TMPDIR": str(scratch),
                        **Phases.parse(case.combination).runtime_environment(),
                    },
                    stderr_path=directory / "stderr.txt",
                )
                if not result.ok:
                    if reference is None:
                        raise EnvironmentProblem(
                            f"the baseline scan of {scenario} failed: {result.describe()}"
                        )
                    print(
                        f"PARITY FAILED: {label}: no report to compare ({result.describe()})", file=sys.stderr
                    )
                    return EXIT_FINDINGS_MISMATCH
                try:
                    broken = parity.violations(reference[0] if reference else None, report)
                    digest = parity.digest(report)
                except runner.ReportUnreadable as exc:
                    print(f"PARITY FAILED: {label}: unreadable report ({exc})", file=sys.stderr)
                    return EXIT_FINDINGS_MISMATCH
                if broken:
                    print(f"PARITY FAILED: {label}: invariants broken", file=sys.stderr)
                    for line in broken:
                        print(f"  {line}", file=sys.stderr)
                    print(f"  report: {report}", file=sys.stderr)
                    return EXIT_FINDINGS_MISMATCH
                if reference is None:
                    reference = (report, digest)
                    continue
                checked += 1
                if digest != reference[1]:
                    print(f"PARITY FAILED: {label}: findings differ from the baseline", file=sys.stderr)
                    for line in parity.differences(reference[0], report, 20):
                        print(f"  {line}", file=sys.stderr)
                    print(f"  reports: {reference[0]} vs {report}", file=sys.stderr)
                    return EXIT_FINDINGS_MISMATCH
    print(
        f"parity: {checked} runs on {len(scenarios)} scenarios report the baseline's findings and keep the invariants"
    )
    return EXIT_OK
