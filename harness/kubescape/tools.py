"""Running the build tools (git, go, regolibrary's exporter): the one place harness.kubescape spawns.

Each call returns the tool's exit code and output, or raises ToolMissing when the program is not
on PATH. A long call prints a heartbeat, because a first kubescape build takes most of an hour on
two cores and silence looks like a hang.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.exit_codes import EnvironmentProblem

HEARTBEAT_SECONDS = 60.0


class ToolMissing(EnvironmentProblem):
    """A program the build needs is not installed."""


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def which(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise ToolMissing(f"{program} is not installed or not on PATH")
    return found


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout_path: Path | None = None,
    heartbeat: Callable[[float], None] | None = None,
) -> ToolResult:
    """Run a tool to completion; stdout goes to stdout_path when given (large archives), else memory."""
    program = which(argv[0])
    full_env = {**os.environ, **(env or {})}
    sink = stdout_path.open("wb") if stdout_path is not None else subprocess.PIPE
    try:
        with subprocess.Popen(
            [program, *argv[1:]], cwd=cwd, env=full_env, stdout=sink, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        ) as process:  # fmt: skip
            started = time.monotonic()
            if heartbeat is None:
                out, err = process.communicate()
            else:
                out, err = _with_heartbeat(process, started, heartbeat)
    finally:
        if stdout_path is not None and not isinstance(sink, int):
            sink.close()
    return ToolResult(process.returncode, out or b"", (err or b"").decode("utf-8", "replace"))


def _with_heartbeat(
    process: subprocess.Popen[bytes], started: float, heartbeat: Callable[[float], None]
) -> tuple[bytes, bytes]:
    while True:
        try:
            return process.communicate(timeout=HEARTBEAT_SECONDS)
        except subprocess.TimeoutExpired:
            heartbeat(time.monotonic() - started)
