"""`ksbench gate RESULTS`: judge stored results again (the plan's gates, per-phase promises).

RESULTS is a results.json written by `ksbench bench`, or the directory holding it. Exit codes:
0 every gate passed, 1 a gate missed, 3 findings mismatch, 4 figures missing (inconclusive).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.commands.options import add_enforce_option, enforced_gates
from harness.judge.verdict import verdict
from harness.report import text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("gate", help="re-evaluate the plan's gates on stored results")
    parser.add_argument("results", type=Path, help="results.json from `ksbench bench`, or its directory")
    add_enforce_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    suite = results.load_given(args.results).with_late_mismatches()
    judged = verdict(suite)
    sys.stdout.write(text.render(judged, suite))
    return judged.exit_code_for(enforced_gates(args))
