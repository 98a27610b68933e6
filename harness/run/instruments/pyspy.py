"""The py-spy instrument: where CPU time goes, sampled from outside the scanner's process.

py-spy attaches by PID to the clean trampoline's run (so the run's clean figures come along,
slightly perturbed: they explain, they are never gated), at a non-round rate, one frame per
function. At measure time the raw collapsed stacks become self and inclusive time per function
(harness.profiles) and a self-contained flame graph SVG beside the run.

Must not: run the scanner any other way than the clean instrument does.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from harness.profiles import PYSPY_RATE_HZ, PySpyProfile, flamegraph_svg, function_times, parse_collapsed
from harness.results import write_json_atomic, writing
from harness.run import process
from harness.run.instruments.base import Call, Measured, ToolProblem
from harness.run.instruments.clean import STATS_FILE, clean_argv, clean_metrics, spawn_timed
from harness.run.process import ProcessResult

NAME: Final[Literal["pyspy"]] = "pyspy"
FUNCTIONS_FORMAT = "ksbench-pyspy-functions/1"
FUNCTIONS_KEPT = 100  # functions written to pyspy-functions.json, by self time


def find_pyspy() -> str | None:
    """py-spy on PATH, or next to this interpreter (a venv that is not activated)."""
    found = shutil.which("py-spy")
    if found:
        return found
    sibling = Path(sys.executable).parent / "py-spy"
    return str(sibling) if sibling.exists() else None


def pyspy_attach_argv(pyspy: str, pid: int, output: Path, rate_hz: int = PYSPY_RATE_HZ) -> list[str]:
    # --function: one frame per function (its first line), so self/inclusive time sum per function.
    return [pyspy, "record", "--pid", str(pid), "--rate", str(rate_hz), "--format", "raw", "--function",
            "-o", str(output)]  # fmt: skip


def _functions_json(profile: PySpyProfile) -> dict[str, Any]:
    return {
        "format_version": FUNCTIONS_FORMAT,
        "rate_hz": PYSPY_RATE_HZ,
        "samples": profile.samples,
        "functions": [
            {"function": f.function, "self_seconds": f.self_seconds, "inclusive_seconds": f.inclusive_seconds}
            for f in profile.functions[:FUNCTIONS_KEPT]
        ],
    }


def read_stacks(
    call: Call, result: ProcessResult, raw: Path, metrics: dict[str, float], artefacts: dict[str, str]
) -> ToolProblem | None:
    """The raw stacks into a sample count, a flame graph and the top functions; the first problem."""
    attached = result.attached
    if attached is None or attached.error is not None:
        return ToolProblem("tool-missing", attached.describe() if attached else "py-spy did not start")
    if not raw.exists() or attached.timed_out:
        last = (attached.stderr_tail.strip().splitlines() or [attached.describe()])[-1]
        return ToolProblem("tool-failed", f"py-spy: {last[:200]}")
    stacks = parse_collapsed(raw.read_text(encoding="utf-8", errors="replace"))
    profile = function_times(stacks, PYSPY_RATE_HZ)
    metrics["samples"] = float(profile.samples)
    artefacts["pyspy_raw"] = call.rel(raw)
    flame = call.directory / "pyspy-flamegraph.svg"
    with writing(flame):
        flame.write_text(
            flamegraph_svg(stacks, f"{call.title} · py-spy {PYSPY_RATE_HZ} Hz"), encoding="utf-8"
        )
    artefacts["pyspy_flamegraph"] = call.rel(flame)
    top = call.directory / "pyspy-functions.json"
    write_json_atomic(top, _functions_json(profile))
    artefacts["pyspy_functions"] = call.rel(top)
    if profile.samples == 0:
        return ToolProblem("tool-failed", "py-spy collected no samples")
    return None


class PySpy:
    name: Final = NAME
    gated: Final = False
    tool: Final = "py-spy"
    linked_artefacts: Final[Mapping[str, str]] = {
        "pyspy_flamegraph": "py-spy flame graph",
        "pyspy_functions": "py-spy functions",
    }

    def unavailable(self) -> str | None:
        return None if find_pyspy() else "py-spy is not installed"

    def version(self) -> str | None:
        pyspy = find_pyspy()
        return process.tool_version([pyspy, "--version"]) if pyspy else None

    def measure(self, call: Call) -> Measured:
        pyspy = find_pyspy() or "py-spy"  # gone since unavailable() was asked: the attach says so
        raw, stats_path = call.directory / "pyspy.txt", call.directory / STATS_FILE
        raw.unlink(missing_ok=True)
        timed = spawn_timed(
            call,
            clean_argv(call.target, stats_path),
            stats_path=stats_path,
            attach=lambda pid: pyspy_attach_argv(pyspy, pid, raw),
            attach_stderr_path=call.directory / "pyspy-stderr.txt",
        )
        result = timed.result
        metrics = {**clean_metrics(result), **timed.metrics}
        artefacts = dict(timed.artefacts)
        problem = read_stacks(call, result, raw, metrics, artefacts) if result.ok else None
        return Measured(result, metrics, artefacts, problem, timed.stages)


INSTRUMENT = PySpy()
