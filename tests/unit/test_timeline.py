"""harness.timelines on synthetic timelines: windows, p95, and where each peak was made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import timelines as timeline
from harness.exit_codes import EXIT_OK, EXIT_USAGE
from harness.timelines import Span
from ksbench.cli import main


def steady(rate_hz: float, seconds: float, cores: float, rss: int = 100) -> list[tuple[float, float, int]]:
    step = 1.0 / rate_hz
    return [(i * step, i * step * cores, rss) for i in range(int(seconds * rate_hz) + 1)]


def events(*spans: tuple[str, float, float, dict[str, str]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"format_version": "ksbench-stage-events/1"}]
    for stage, begin, end, where in spans:
        out.append({"t": begin, "stage": stage, "edge": "begin", **where})
        out.append({"t": end, "stage": stage, "edge": "end", **where})
    return sorted(out[1:], key=lambda r: float(r["t"]))  # type: ignore[arg-type]


def test_steady_load_is_its_own_peak_and_p95() -> None:
    peaks = timeline.analyse(steady(20, 5, 0.8), ())
    assert peaks is not None
    assert peaks.peak_cpu_cores == pytest.approx(0.8)
    assert peaks.peak_cpu_cores_p95 == pytest.approx(0.8)
    assert peaks.peak_cpu_stage == timeline.NO_EVENTS


def test_a_burst_shorter_than_the_window_is_averaged_over_one_second() -> None:
    # 1 core for 4 s, then 2 cores for 0.5 s, then 1 core again: the busiest second averages 1.5.
    samples, cpu = [], 0.0
    for i in range(0, 161):
        t = i * 0.05
        samples.append((t, cpu, 0))
        cpu += 0.05 * (2.0 if 4.0 <= t < 4.5 else 1.0)
    peaks = timeline.analyse(samples, ())
    assert peaks is not None
    assert peaks.peak_cpu_cores == pytest.approx(1.5, abs=0.06)
    assert 4.5 <= peaks.peak_cpu_at_seconds <= 5.05
    assert peaks.peak_cpu_cores_p95 < peaks.peak_cpu_cores


def test_full_windows_start_one_second_in() -> None:
    windows = timeline.window_cores(steady(20, 30, 1.0))
    assert len(windows) == 30 * 20 - 20 + 1
    assert all(c == pytest.approx(1.0) for _, c, _ in windows)


def test_short_timeline_is_one_window_and_one_sample_is_none() -> None:
    peaks = timeline.analyse(steady(20, 0.5, 0.6), ())
    assert peaks is not None and peaks.peak_cpu_cores == pytest.approx(0.6)
    assert timeline.analyse([(0.1, 0.0, 5)], ()) is None


def test_peaks_are_placed_in_the_innermost_stage() -> None:
    spans = timeline.spans(
        events(
            ("collect", 0.2, 1.0, {}),
            ("match", 1.0, 1.1, {"scope": "cluster"}),
            ("evaluate", 1.1, 3.0, {"control": "C-0001", "rule": "cheap", "scope": "cluster"}),
            ("evaluate", 3.0, 6.0, {"control": "C-0053", "rule": "join", "scope": "cluster"}),
            ("aggregate", 6.0, 6.5, {}),
            ("report", 6.5, 7.0, {}),
        )
    )
    samples, cpu = [], 0.0
    for i in range(0, 151):
        t = i * 0.05
        rss = 300 if 4.0 <= t < 4.1 else 100
        samples.append((t, cpu, rss))
        cpu += 0.05 * (1.9 if 1.5 <= t < 2.5 else 0.9)
    peaks = timeline.analyse(samples, spans)
    assert peaks is not None
    assert peaks.peak_cpu_stage == "evaluate C-0001 cheap over cluster"
    assert peaks.peak_rss_stage == "evaluate C-0053 join over cluster"
    assert peaks.sampled_peak_rss_bytes == 300
    assert peaks.peak_rss_at_seconds == pytest.approx(4.0)
    assert peaks.stages() == {"peak_cpu": peaks.peak_cpu_stage, "peak_rss": peaks.peak_rss_stage}


def test_streaming_nesting_gaps_and_edges() -> None:
    spans = timeline.spans(
        events(
            ("collect", 0.5, 5.0, {}),
            ("evaluate", 1.0, 2.0, {"control": "C-0002", "rule": "r", "scope": "batch-1"}),
            ("report", 6.0, 6.5, {}),
        )
    )
    assert timeline.stage_at(spans, 1.5) == "evaluate C-0002 r over batch-1"
    assert timeline.stage_at(spans, 3.0) == "collect"
    assert timeline.stage_at(spans, 0.1) == timeline.BEFORE_FIRST
    assert timeline.stage_at(spans, 5.5) == "between stages (after collect)"
    assert timeline.stage_at(spans, 7.0) == "exit (after report)"
    assert timeline.stage_at((), 1.0) == timeline.NO_EVENTS
    bands = timeline.stage_bands(spans)
    assert bands[0] == ("collect", 0.5, 5.0)
    assert ("evaluate", 1.0, 2.0) in bands and bands.index(("evaluate", 1.0, 2.0)) > 0


def test_unclosed_span_ends_at_the_last_event_and_headers_are_skipped() -> None:
    records = [
        {"format_version": "ksbench-stage-events/1", "pid": 1},
        {"t": 1.0, "stage": "evaluate", "edge": "begin", "rule": "x", "control": "C-1", "scope": "ns-a"},
        {"t": 2.0, "stage": "match", "edge": "begin"},
        {"t": 2.5, "stage": "match", "edge": "end"},
    ]
    spans = timeline.spans(records)
    assert Span("evaluate", 1.0, 2.5, "x", "C-1", "ns-a") in spans
    assert len(spans) == 2


def test_cpu_between_edges_is_summed_per_rule_and_events_without_it_are_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edge(t: float, cpu: float | None, edge: str, rule: str, scope: str) -> dict[str, object]:
        record: dict[str, object] = {"t": t, "stage": "evaluate", "edge": edge, "rule": rule, "scope": scope}
        return record if cpu is None else {**record, "cpu": cpu}

    records = [
        edge(1.0, 0.5, "begin", "slow", "ns-a"), edge(2.0, 1.4, "end", "slow", "ns-a"),
        edge(2.0, 1.4, "begin", "fast", "ns-a"), edge(2.1, 1.5, "end", "fast", "ns-a"),
        edge(2.1, 1.5, "begin", "slow", "ns-b"), edge(3.0, 2.3, "end", "slow", "ns-b"),
        edge(3.0, None, "begin", "old", "ns-a"), edge(4.0, None, "end", "old", "ns-a"),
    ]  # fmt: skip
    by_rule = timeline.cpu_by_rule(timeline.spans(records))
    assert [(r.rule, round(r.cpu_seconds, 6), r.evaluations) for r in by_rule] == [
        ("slow", 1.7, 2), ("fast", 0.1, 1),
    ]  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert main(["profile", "--events", str(events), "--top", "1"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "process CPU 2.30 s by the last event, 1.80 s of it evaluating 2 rules" in out
    assert "slow" in out and "fast" not in out  # --top 1
    events.write_text("\n".join(json.dumps(r) for r in records[6:]) + "\n")
    assert main(["profile", "--events", str(events)]) == EXIT_USAGE


def test_consecutive_evaluations_merge_into_one_band() -> None:
    spans = [Span("evaluate", float(i), float(i) + 1.0, f"r{i}", "C", "cluster") for i in range(5)]
    assert timeline.stage_bands(spans) == [("evaluate", 0.0, 5.0)]


def test_cores_series_is_the_rate_between_samples() -> None:
    assert timeline.cores_series([(0.0, 0.0, 0), (0.5, 0.25, 0), (1.0, 0.75, 0)]) == [(0.5, 0.5), (1.0, 1.0)]
