"""The harness's commands: builds the argument parser from the command modules, maps errors to exit codes.

`ksbench scan` is the scanner's own CLI; ksbench.cli dispatches it before this parser is built.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_USAGE, KsbenchError

# Each name is a module in harness/commands exposing register(subparsers).
COMMAND_MODULES = (
    "scenario",
    "cluster",
    "parity",
    "bench",
    "gate",
    "compare",
    "report",
    "history",
    "profile",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ksbench",
        description="Does each phase of kubescape's optimization plan deliver? Measure it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("scan", help="scan a cluster or manifests (see `ksbench scan --help`)", add_help=False)
    for name in COMMAND_MODULES:
        importlib.import_module(f"harness.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
    except KsbenchError as exc:
        print(f"ksbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ksbench: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"ksbench: error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    return code
