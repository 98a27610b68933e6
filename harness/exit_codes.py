"""Exit codes of every `ksbench` command (documented in the README) and the error that carries one.

Also how a command is interrupted: Ctrl-C (SIGINT) and SIGTERM both end it as KeyboardInterrupt
does (children killed, finished runs kept, the "interrupted" line), with 130 and 143 (128 + the
signal's number, as a shell reports a process the signal killed).
"""

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

EXIT_OK = 0
EXIT_GATE_MISSED = 1  # bench/gate/compare: a plan criterion was not met
EXIT_USAGE = 2  # bad arguments, unknown scenario, invalid file
EXIT_FINDINGS_MISMATCH = 3  # parity: a combination reported different findings
EXIT_ENVIRONMENT = 4  # a tool, profiler, cluster or port is missing or unreachable
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM


class KsbenchError(Exception):
    """An error that ends a command with a documented exit code and a one-line message."""

    exit_code = EXIT_ENVIRONMENT


class UsageError(KsbenchError):
    exit_code = EXIT_USAGE


class EnvironmentProblem(KsbenchError):
    exit_code = EXIT_ENVIRONMENT


class FindingsMismatch(KsbenchError):
    exit_code = EXIT_FINDINGS_MISMATCH


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it unwinds as from Ctrl-C."""


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block SIGTERM raises Terminated (in the main thread; elsewhere nothing changes)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: signals are the main thread's
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit_code(exc: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
