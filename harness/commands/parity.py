"""`ksbench parity [SCENARIO...]`: every case's findings against the baseline's, fail closed.

Parses the arguments into a harness.run.parity.ParityRequest, runs it (harness.run.parity.run_parity:
the cases of harness.run.parity_plan, the runner's argv, spawner and checks) and prints the outcome.
Default: the fast plan on the shipped parity scenarios, with the contention rows on adversarial.
Exit codes: 0 all identical; 3 a case broke an invariant, reported different findings or produced
no report at all (a crash cannot prove parity); 2 usage; 4 the cluster or the baseline scan could
not be started.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from harness.commands.options import add_backend_options, add_scanner_option, cluster_opener, scanner_prefix
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK, UsageError
from harness.run import runner
from harness.run.parity import DEFAULT_SCENARIOS, ParityRequest, run_parity
from scanner.numbers import number


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("parity", help="prove every combination reports the baseline's findings")
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}"
    )
    parser.add_argument(
        "--combinations",
        default="fast",
        help="fast (default: a pairwise array with swept batches, pages, workers and order, and the"
        " contention rows), or a grid of: pairwise, key, all or a ;-separated list",
    )
    parser.add_argument("--workers", default="1", help="grid: comma-separated worker counts, e.g. 1,2")
    parser.add_argument(
        "--shuffle-controls", action="store_true", help="grid: also run with a shuffled control order"
    )
    parser.add_argument(
        "--seed", type=number(0, integer=int), default=1, help="seed of the shuffled control order"
    )
    parser.add_argument(
        "--no-stress",
        action="store_true",
        help="fast plan: leave out the contention rows (many workers, cloned controls, per-namespace scopes)",
    )
    add_backend_options(parser)
    parser.add_argument("--no-faults", action="store_true", help="embedded: do not arm the parity faults")
    parser.add_argument("--engine", help="the scanner's Rego engine")
    parser.add_argument(
        "--timeout", type=number(0, low_open=True), default=900.0, help="per-run time-out in seconds"
    )
    parser.add_argument("--out", type=Path, help="where reports are kept (default reports/parity-<UTC time>)")
    add_scanner_option(parser)
    parser.set_defaults(handler=run)


def _workers(text: str) -> tuple[int, ...]:
    count = number(1, 256, integer=int)
    try:
        counts = [count(part) for part in text.split(",") if part.strip()]
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--workers takes counts like 1,2: {exc}") from exc
    if not counts:
        raise UsageError("--workers needs at least one count of 1 or more")
    return tuple(dict.fromkeys(counts))


def _request(args: argparse.Namespace) -> ParityRequest:
    if args.backend != "embedded" and args.no_faults:
        raise UsageError("--no-faults applies to the embedded backend only")
    extra: list[str] = ["--engine", args.engine] if args.engine else []
    for flag, path in (("--policies", args.policies), ("--host-data", args.host_data)):
        if path is not None and not path.is_dir():
            raise UsageError(f"{flag} {path}: no such folder")
    if args.host_data is not None:
        extra += ["--host-data", str(args.host_data.resolve())]
    return ParityRequest(
        scenarios=tuple(args.scenarios or DEFAULT_SCENARIOS),
        out=args.out or Path("reports") / f"parity-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}",
        combinations=args.combinations,
        workers=_workers(args.workers),
        shuffle_controls=args.shuffle_controls,
        seed=args.seed,
        faults=not args.no_faults,
        timeout_seconds=args.timeout,
        scanner=scanner_prefix(args),
        scan_args=tuple(extra),
        policies=args.policies,
        stress=not args.no_stress,
    )


def run(args: argparse.Namespace) -> int:
    request = _request(args)
    outcome = run_parity(
        request, cluster_opener(args), runner.ScannerParity(), lambda line: print(line, file=sys.stderr)
    )
    if not outcome.ok:
        print(f"PARITY FAILED: {outcome.failure}", file=sys.stderr)
        return EXIT_FINDINGS_MISMATCH
    print(
        f"parity: {outcome.checked} runs on {outcome.scenarios} scenarios report the baseline's findings"
        " and keep the invariants"
    )
    return EXIT_OK
