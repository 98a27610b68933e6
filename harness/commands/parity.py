"""`ksbench parity SCENARIO...`: every combination's findings against the baseline's, fail closed.

Runs the scanner in a fresh process per (combination, worker count, control order) on each
scenario's cluster and compares the report's digest with the baseline's (1 worker, sorted
controls). Stops at the first difference and prints the minimal diff. Exit codes: 0 all
identical; 3 a combination reported different findings (or produced no report at all: a
crash cannot prove parity); 2 usage; 4 the cluster or scanner could not be started.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness.clusters import BACKENDS
from harness.commands.options import add_scanner_option, cluster_opener, policy_scan_args, scanner_prefix
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK, EnvironmentProblem, UsageError
from harness.run import process, runner
from scanner.phases import Phases, PhasesError, parse_combinations


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("parity", help="prove every combination reports the baseline's findings")
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    parser.add_argument(
        "--combinations", default="all", help="all (64, default), key (14) or a ;-separated list"
    )
    parser.add_argument("--workers", default="1", help="comma-separated worker counts, e.g. 1,2")
    parser.add_argument(
        "--shuffle-controls", action="store_true", help="also run with a shuffled control order"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled control order")
    parser.add_argument("--backend", default="files", choices=BACKENDS)
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


def run(args: argparse.Namespace) -> int:
    try:
        combinations = [str(c) for c in parse_combinations(args.combinations)]
    except PhasesError as exc:
        raise UsageError(str(exc)) from exc
    workers = _workers(args.workers)
    scanner = scanner_prefix(args)
    orders = ["sorted"] + ([f"shuffled:{args.seed}"] if args.shuffle_controls else [])
    out = args.out or Path("reports") / f"parity-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    parity = runner.ScannerParity()
    open_target = cluster_opener(args)
    extra = (["--engine", args.engine] if args.engine else []) + list(policy_scan_args(args))
    checked = 0
    for scenario in args.scenarios:
        with open_target(scenario) as target:
            cases = [("baseline", 1, "sorted")]
            cases += [
                (c, w, o)
                for c in combinations
                for w in workers
                for o in orders
                if (c, w, o) != ("baseline", 1, "sorted")
            ]
            reference: tuple[Path, str] | None = None
            for index, (combination, count, order) in enumerate(cases):
                label = f"{scenario} · {combination} · workers={count} · order={order}"
                print(f"[{index + 1}/{len(cases)}] {label}", file=sys.stderr)
                directory = out / scenario / f"{combination}-w{count}-{order.replace(':', '_')}"
                directory.mkdir(parents=True, exist_ok=True)
                report = directory / "report.json"
                report.unlink(missing_ok=True)
                argv = [
                    sys.executable, *scanner, *target.source_args, "--format", "json",
                    "--output", str(report), "--pin-time", "--phases", combination, "--workers", str(count),
                    "--control-order", order, *extra,
                ]  # fmt: skip
                scratch = directory / "tmp"
                scratch.mkdir(exist_ok=True)
                result = process.run(
                    argv,
                    timeout_seconds=args.timeout,
                    env={
                        **os.environ,
                        "TMPDIR": str(scratch),
                        **Phases.parse(combination).runtime_environment(),
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
                    digest = parity.digest(report)
                except runner.ReportUnreadable as exc:
                    print(f"PARITY FAILED: {label}: unreadable report ({exc})", file=sys.stderr)
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
    print(f"parity: {checked} runs on {len(args.scenarios)} scenarios report the baseline's findings")
    return EXIT_OK
