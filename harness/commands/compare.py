"""`ksbench compare OLD NEW`: the same combinations measured twice (e.g. two commits), compared.

Per (scenario, combination, metric) of clean runs: NEW/OLD Hodges–Lehmann ratio with its exact
interval, the Wilcoxon signed-rank test, Holm–Bonferroni across the table (one confirmatory family:
any figure significantly worse sets the exit code); harness.judge.compare judges. Warns when the
machines differ (then the figures are not comparable). Exit codes: 0 nothing got significantly
worse, 1 something did, 3 the baseline's findings differ between OLD and NEW, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import results
from harness.judge.compare import compare_suites
from harness.report import text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("compare", help="compare two stored benches (e.g. two commits)")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    old, new = results.load_given(args.old), results.load_given(args.new)
    for line in old.machine.differences(new.machine):
        print(f"warning: machines differ — {line}; the figures may not be comparable", file=sys.stderr)
    compared = compare_suites(old, new)
    print(f"NEW ({args.new}) vs OLD ({args.old}); commit {old.machine.git_commit} → {new.machine.git_commit}")
    print(text.render_comparisons(compared.rows))
    print(compared.family.describe())
    if compared.underpowered:
        print(compared.underpowered)
    if compared.findings_changed:
        print(
            f"findings of the baseline differ between OLD and NEW on: {', '.join(compared.findings_changed)}",
            file=sys.stderr,
        )
    elif compared.worse:
        print(f"{len(compared.worse)} figures got significantly worse", file=sys.stderr)
    return compared.exit_code
