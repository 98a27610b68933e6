"""Instruments: one module per way of measuring a run (clean, memray, pyspy), behind one protocol.

base (the `Instrument` protocol, `Call`, `Measured`, `ToolProblem`) ← clean, memray, pyspy ←
registry (names → instruments). The runner asks the registry and never names an instrument.
Re-exported here: the names older callers and the report fixture's generator use.
"""

from harness.profiles import PYSPY_RATE_HZ, flamegraph_svg, function_times, parse_collapsed
from harness.run.instruments.base import Call, Instrument, Measured, ToolProblem
from harness.run.instruments.clean import clean_argv
from harness.run.instruments.memray import (
    MemraySummary,
    memray_argv,
    memray_available,
    memray_flamegraph_argv,
    memray_stats_argv,
    memray_timeline,
    summarise_memray,
)
from harness.run.instruments.pyspy import find_pyspy, pyspy_attach_argv

__all__ = [
    "PYSPY_RATE_HZ",
    "Call",
    "Instrument",
    "Measured",
    "MemraySummary",
    "ToolProblem",
    "clean_argv",
    "find_pyspy",
    "flamegraph_svg",
    "function_times",
    "memray_argv",
    "memray_available",
    "memray_flamegraph_argv",
    "memray_stats_argv",
    "memray_timeline",
    "parse_collapsed",
    "pyspy_attach_argv",
    "summarise_memray",
]
