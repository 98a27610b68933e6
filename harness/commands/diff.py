"""`ksbench diff A B`: two report files' findings compared (ksbench's or kubescape's, by shape).

Parses the two paths, compares them with scanner.reader.compare_files (the parity layer's digest
and minimal diff) and prints the result. Exit codes: 0 identical findings; 3 different (the
minimal diff printed, at most --limit lines); 2 usage (a missing file, a file that is not JSON or
not a report of either kind, a report of another format version).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_OK, UsageError
from scanner.numbers import number
from scanner.reader import ReportError, compare_files


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diff", help="compare two report files' findings (ksbench's or kubescape's JSON, by shape)"
    )
    parser.add_argument("baseline", type=Path, metavar="A", help="the report taken as the baseline")
    parser.add_argument("candidate", type=Path, metavar="B", help="the report compared with it")
    parser.add_argument(
        "--limit",
        type=number(1, integer=int),
        default=20,
        help="differences printed at most (default %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        comparison = compare_files(args.baseline, args.candidate, args.limit)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    if comparison.identical:
        print(f"identical findings ({comparison.baseline_schema})")
        return EXIT_OK
    print(f"findings differ ({comparison.baseline_schema} vs {comparison.candidate_schema}):")
    for line in comparison.differences:
        print(f"  {line}")
    return EXIT_FINDINGS_MISMATCH
