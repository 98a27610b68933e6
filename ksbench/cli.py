"""`ksbench` entry point: `scan` and `policies` go to the scanner's own CLIs untouched, every other
command to the harness."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["scan"]:
        from scanner.cli import main as scan_main  # only `scan` pays for loading the pipeline

        return scan_main(args[1:])
    if args[:1] == ["policies"]:
        from scanner.policytest import main as policies_main  # the rule test runner is the scanner's too

        return policies_main(args[1:])
    from harness.commands.main import main as harness_main

    return harness_main(args)
