"""The harness's commands: builds the argument parser from the command modules, maps errors to exit codes.

`ksbench scan` is the scanner's own CLI; ksbench.cli dispatches it before this parser is built.
Every error ends in one line and a documented exit code, never a traceback (and never exit 1,
which means "a gate missed"): a damaged results file is a usage error, anything unforeseen an
environment error. KSBENCH_TRACEBACK=1 prints the traceback as well, for a bug report.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO

from harness.exit_codes import (
    EXIT_ENVIRONMENT,
    EXIT_TERMINATED,
    EXIT_USAGE,
    KsbenchError,
    interrupted_exit_code,
    sigterm_interrupts,
)
from harness.results import ResultsFormatError
from scanner.escape import terminal, terminal_lines

# user:password@ in a URL: never printed, whatever error carried it.
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")

# Each name is a module in harness/commands exposing register(subparsers).
COMMAND_MODULES = (
    "scenario",
    "cluster",
    "parity",
    "diff",
    "bench",
    "merge",
    "gate",
    "compare",
    "report",
    "history",
    "profile",
    "kubescape",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ksbench",
        description="Does each phase of kubescape's optimization plan deliver? Measure it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("scan", help="scan a cluster or manifests (see `ksbench scan --help`)", add_help=False)
    sub.add_parser(
        "policies",
        help="run a policy library's rule tests (see `ksbench policies test --help`)",
        add_help=False,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(f"harness.commands.{name}").register(sub)
    return parser


class _TerminalGuard(io.TextIOBase):
    """The terminal's last guard: what any command writes keeps its newlines; every other control
    character (colour, cursor, title, carriage return, bidi override) is shown as an escape."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(terminal_lines(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalGuard(out), _TerminalGuard(err)
    try:
        with sigterm_interrupts():
            return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
    except KsbenchError as exc:
        return _error(str(exc), exc.exit_code)
    except ResultsFormatError as exc:
        return _error(str(exc), EXIT_USAGE)
    except KeyboardInterrupt as exc:
        code = interrupted_exit_code(exc)
        print(f"ksbench: interrupted{' (SIGTERM)' if code == EXIT_TERMINATED else ''}", file=sys.stderr)
        return code
    except OSError as exc:  # name the file when the error knows it ("[Errno 28] …" says nothing)
        return _error(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc), EXIT_ENVIRONMENT)
    except Exception as exc:  # the last resort: a one-line reason instead of a traceback and exit 1
        if os.environ.get("KSBENCH_TRACEBACK"):
            traceback.print_exc()
        reason = " ".join(str(exc).split())
        return _error(
            f"unexpected {type(exc).__name__}: {reason} (KSBENCH_TRACEBACK=1 shows where)", EXIT_ENVIRONMENT
        )
    return code


def _error(message: str, code: int) -> int:
    scrubbed = _URL_USERINFO.sub(r"\1***@", message)
    print(f"ksbench: error: {terminal(' '.join(scrubbed.split()))}", file=sys.stderr)
    return code
