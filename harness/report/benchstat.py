"""Clean-run figures in Go's benchmark text format, for benchstat (golang.org/x/perf/cmd/benchstat).

One line per successful clean run: `BenchmarkScan/scenario=S/phases=P 1 V1 wall-sec/op V2
cpu-sec/op V3 peak-rss-B`, preceded by configuration lines. Sub-benchmark `key=value` names let
benchstat v2 group by scenario and phases (e.g. `benchstat -col /phases results.txt`). Renders only.
"""

from __future__ import annotations

from harness.results import Suite

UNITS = (("wall_seconds", "wall-sec/op"), ("cpu_seconds", "cpu-sec/op"), ("peak_rss_bytes", "peak-rss-B"))


def _name(text: str) -> str:
    # Benchmark names end at the first space; benchstat reads `-N` at the end as GOMAXPROCS.
    return text.replace(" ", "_").replace("-", "_")


def render(suite: Suite) -> str:
    machine = suite.machine
    lines = [
        "goos: linux"
        if machine.platform.lower().startswith("linux")
        else f"goos: {machine.platform.split('-')[0].lower()}",
        f"pkg: ksbench {machine.ksbench_version}",
        f"python: {machine.python_version}",
        f"engine: {machine.engine or 'unknown'}",
        f"commit: {machine.git_commit or 'unknown'}{'-dirty' if machine.git_dirty else ''}",
    ]
    for run in suite.runs():
        if not run.measured:
            continue
        figures = " ".join(f"{run.metrics[key]:.6g} {unit}" for key, unit in UNITS if key in run.metrics)
        if not figures:
            continue
        # The A/A run is a baseline run like any other for benchstat.
        lines.append(
            f"BenchmarkScan/scenario={_name(run.scenario)}/phases={_name(run.combination)} 1 {figures}"
        )
    return "\n".join(lines) + "\n"
