"""benchstat and pytest-benchmark exports of stored results, and the verdict table."""

from __future__ import annotations

import re

from test_gates import GOOD, _suite

from harness.judge import gates
from harness.report import benchstat, pytest_benchmark, text

LINE = re.compile(r"^BenchmarkScan/scenario=\S+/phases=\S+ 1( [0-9.e+-]+ \S+)+$")


def test_benchstat_lines_are_go_benchmark_format() -> None:
    rendered = benchstat.render(_suite(GOOD, repeat=3))
    lines = rendered.splitlines()
    bench_lines = [line for line in lines if line.startswith("Benchmark")]
    assert bench_lines and all(LINE.match(line) for line in bench_lines), bench_lines[:3]
    assert "phases=P1+P2+P3+P4+P5" in rendered and "wall-sec/op" in rendered and "peak-rss-B" in rendered
    assert all(": " in line for line in lines if not line.startswith("Benchmark"))


def test_pytest_benchmark_json_has_memory_in_extra_info() -> None:
    data = pytest_benchmark.render(_suite(GOOD, repeat=3))
    assert data["version"].startswith("4.")
    first = data["benchmarks"][0]
    assert {"min", "max", "mean", "median", "stddev", "rounds", "data", "iterations"} <= set(first["stats"])
    assert first["stats"]["rounds"] >= 3
    assert "peak_rss_bytes_median" in first["extra_info"] and "cpu_seconds_median" in first["extra_info"]
    assert first["group"] == "s"


def test_verdict_table_lists_gates_and_phases() -> None:
    suite = _suite(GOOD, repeat=3)
    rendered = text.render(gates.evaluate(suite), suite)
    assert "CPU ≥30% lower" in rendered and "PASS" in rendered
    assert "30–40% CPU" in rendered and "Noise floor" in rendered
