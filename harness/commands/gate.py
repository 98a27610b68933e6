"""`ksbench gate RESULTS`: judge stored results again (the plan's gates, per-phase promises).

RESULTS is a results.json written by `ksbench bench`, or the directory holding it. Exit codes:
0 every gate passed, 1 a gate missed, 3 findings mismatch, 4 figures missing (inconclusive).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.exit_codes import UsageError
from harness.judge import gates
from harness.report import text
from harness.run import runner


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("gate", help="re-evaluate the plan's gates on stored results")
    parser.add_argument("results", type=Path, help="results.json from `ksbench bench`, or its directory")
    add_enforce_option(parser)
    parser.set_defaults(handler=run)


def add_enforce_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--enforce",
        default="all",
        metavar="GATES",
        help=f"gates that decide the exit code: all, or some of {','.join(gates.GATE_KEYS)} (the rest are reported)",
    )


def enforced_gates(args: argparse.Namespace) -> frozenset[str] | None:
    try:
        return gates.parse_enforced(args.enforce)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def load(path: Path) -> results.Suite:
    file = path / runner.RESULTS_FILE if path.is_dir() else path
    if not file.exists():
        raise UsageError(
            f"no results at {file}: give the results.json (or the --out directory) of `ksbench bench`"
        )
    try:
        return results.load(file)
    except results.ResultsFormatError as exc:
        raise UsageError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    suite = load(args.results)
    suite = runner.mark_late_mismatches(suite)
    verdict = gates.evaluate(suite)
    sys.stdout.write(text.render(verdict, suite))
    return verdict.exit_code_for(enforced_gates(args))
