"""Run `ksbench ARGS` in the test's own process and capture what it printed.

In process, because spawning the CLI imports every command module; shared by the cluster tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ksbench.cli import main


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_ksbench(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse refuses an option's value (exit 2) before main's own handling
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
