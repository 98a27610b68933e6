"""Clean-run figures as a pytest-benchmark JSON file (readable by `pytest-benchmark compare`).

One benchmark per (scenario, combination): stats over wall time (pytest-benchmark's unit is
seconds of wall time), CPU and memory figures in `extra_info`. Renders only.
"""

from __future__ import annotations

import statistics
from typing import Any

from harness.results import Suite

PYTEST_BENCHMARK_VERSION = "4.0.0"


def _stats(data: list[float]) -> dict[str, Any]:
    data = sorted(data)
    q1, _, q3 = (
        statistics.quantiles(data, n=4, method="inclusive") if len(data) > 1 else (data[0], 0, data[0])
    )
    iqr = q3 - q1
    mean = statistics.fmean(data)
    stddev = statistics.stdev(data) if len(data) > 1 else 0.0
    return {
        "min": data[0],
        "max": data[-1],
        "mean": mean,
        "stddev": stddev,
        "rounds": len(data),
        "median": statistics.median(data),
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": sum(1 for x in data if x < q1 - 1.5 * iqr or x > q3 + 1.5 * iqr),
        "stddev_outliers": sum(1 for x in data if abs(x - mean) > stddev) if stddev else 0,
        "outliers": "0;0",
        "ld15iqr": min((x for x in data if x >= q1 - 1.5 * iqr), default=data[0]),
        "hd15iqr": max((x for x in data if x <= q3 + 1.5 * iqr), default=data[-1]),
        "ops": 1.0 / mean if mean else 0.0,
        "total": sum(data),
        "data": data,
        "iterations": 1,
    }


def render(suite: Suite) -> dict[str, Any]:
    machine = suite.machine
    groups: dict[tuple[str, str], list[dict[str, float]]] = {}
    for run in suite.runs():
        if run.measured and "wall_seconds" in run.metrics:
            groups.setdefault((run.scenario, run.combination), []).append(dict(run.metrics))
    benchmarks = []
    for (scenario, combination), runs in groups.items():
        extra: dict[str, Any] = {}
        for metric in ("cpu_seconds", "peak_rss_bytes"):
            values = [r[metric] for r in runs if metric in r]
            if values:
                extra[f"{metric}_median"] = statistics.median(values)
                extra[f"{metric}_max"] = max(values)
                extra[metric] = values
        name = f"scan[{scenario}-{combination}]"
        benchmarks.append(
            {
                "group": scenario,
                "name": name,
                "fullname": f"ksbench::{name}",
                "params": {"scenario": scenario, "combination": combination},
                "param": f"{scenario}-{combination}",
                "extra_info": extra,
                "options": {"disable_gc": False, "timer": "perf_counter (parent, fresh process)", "min_rounds": 1,
                            "max_time": 0, "min_time": 0, "warmup": True},
                "stats": _stats([r["wall_seconds"] for r in runs]),
            }
        )  # fmt: skip
    return {
        "machine_info": {
            "python_version": machine.python_version,
            "python_implementation": machine.python_implementation,
            "platform": machine.platform,
            "cpu": {"count": machine.cpu_count},
            "engine": machine.engine,
            **machine.tool_versions(),
        },
        "commit_info": {"id": machine.git_commit, "dirty": machine.git_dirty},
        "benchmarks": benchmarks,
        "datetime": suite.created_at,
        "version": PYTEST_BENCHMARK_VERSION,
    }
