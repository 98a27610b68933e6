"""What an instrument is: the `Instrument` protocol, and the values a measurement passes in and out.

An instrument wraps one scanner run's argv (the clean trampoline, memray, py-spy attached by
PID), says whether its figures are gated or only explain, and leaves artefacts that it reads and
summarises itself at measure time — into files beside the run and figures stored with it — so
that nothing after the bench ever reads a tool's binary capture. A missing or failing tool is a
value (`ToolProblem`), never an exception.

Must not: decide what a run means for the verdict (harness.judge does), or spawn except through
the `Spawn` it is given (harness.run.process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from harness.run.process import ProcessResult

ProblemStatus = Literal["tool-missing", "tool-failed"]  # harness.results.TOOL_MISSING / TOOL_FAILED


@dataclass(frozen=True)
class ToolProblem:
    """Why an instrument could not give its figures."""

    status: ProblemStatus
    reason: str


class Spawn(Protocol):
    """harness.run.process.run with the run's environment, output files and time-out bound."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        stats_path: Path | None = None,
        attach: Callable[[int], Sequence[str]] | None = None,
        attach_stderr_path: Path | None = None,
        on_start: Callable[[int], object] | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> ProcessResult: ...


@dataclass(frozen=True)
class Call:
    """One run to measure: the scanner's argv and where its artefacts go."""

    target: tuple[str, ...]  # the scanner's argv after `python` (`-m scanner scan …` or `script.py …`)
    directory: Path  # the run's own directory
    out: Path  # the results directory: artefact paths are stored relative to it
    title: str  # "scenario · combination", for titles inside artefacts
    timeout_seconds: float  # for the instrument's own post-processing processes
    spawn: Spawn
    # False: target is a whole argv of a program that is not Python (a kubescape binary); only
    # the clean instrument applies, through the trampoline's exec mode.
    python: bool = True

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.out))


@dataclass(frozen=True)
class Measured:
    """What an instrument got from one run."""

    result: ProcessResult  # the scanner's process: its exit decides the run's status first
    metrics: Mapping[str, float] = field(default_factory=dict)
    artefacts: Mapping[str, str] = field(default_factory=dict)  # name → path relative to the out dir
    problem: ToolProblem | None = None  # the scanner ran, but the instrument's figures are unusable
    # peak_cpu, peak_rss → the stage each peak fell in (clean runs, from the /proc timeline)
    peak_stages: Mapping[str, str] = field(default_factory=dict)


class Instrument(Protocol):
    """One way to measure a run; registered in harness.run.instruments.registry."""

    @property
    def name(self) -> str:
        """How plans, results and `--instruments` spell it (a Literal in each module)."""
        ...

    @property
    def gated(self) -> bool:
        """True: its figures decide gates (only clean runs); False: they explain."""
        ...

    @property
    def tool(self) -> str | None:
        """The external tool's name for the machine record ("memray"), None when it needs none."""
        ...

    @property
    def linked_artefacts(self) -> Mapping[str, str]:
        """Artefacts a report links to, by name → what a reader sees ("py-spy flame graph")."""
        ...

    def unavailable(self) -> str | None:
        """Why it cannot run on this machine (its tool is missing), else None."""
        ...

    def version(self) -> str | None:
        """The tool's version for the machine record; None when missing or not applicable."""
        ...

    def measure(self, call: Call) -> Measured:
        """Run call.target under this instrument once and read what it left."""
        ...
