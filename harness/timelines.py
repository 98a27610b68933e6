"""Timelines of one run: peak CPU over a window, when RSS peaked, and in which stage. Pure.

Shared model (like harness.results and harness.profiles): the clean instrument summarises a run's
timeline with it at measure time, and the judge's views and the reports read stored timelines
with it later, so it sits below those layers.

Owns the reading of a sampled timeline (`(t, cpu_seconds, rss_bytes)` per sample, t in seconds
since the scanner process started) beside the scanner's stage events (begin/end of collect,
match, evaluate rule over scope, aggregate, report, on the same clock): cores used over a sliding
window, the highest window (peak CPU) and the 95th percentile of the windows, the sample where RSS
was highest, and the stage each peak fell in ("evaluate C-0053 rule-x over cluster").

Also parses the two artefacts from their text: the sampler's timeline (`ksbench-timeline/1`) and
the scanner's stage events (JSON lines, `ksbench-stage-events/1`).

Must not: read files, spawn processes, judge a gate (harness.judge.gates does), or import any
harness layer.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanner.decode import Budget, Meter, OverBudget, load_json
from scanner.numbers import FINITE_JSON, loads_finite

# A timeline artefact is one sample per sampling interval: a few MB for the longest run; what it may
# decode to goes with the results file's own bound (256 MiB).
_ARTEFACT_BUDGET = Budget.for_bytes(256 * 1024 * 1024)

WINDOW_SECONDS = 1.0  # the plan's "peak CPU": the busiest second, not the busiest sampling tick
BEFORE_FIRST = "start-up (before the first stage)"
NO_EVENTS = "unknown (no stage events)"

Sample = tuple[float, float, int]  # (t seconds, cpu seconds so far, rss bytes)


@dataclass(frozen=True)
class Span:
    """One stage from its begin event to its end event."""

    stage: str
    begin_seconds: float
    end_seconds: float
    rule: str = ""
    control: str = ""
    scope: str = ""
    # The process's CPU seconds between the two edges (events with `cpu`); with several workers
    # spans overlap and each holds the others' CPU too.
    cpu_seconds: float | None = None

    @property
    def label(self) -> str:
        if self.stage == "evaluate":
            what = " ".join(part for part in (self.control, self.rule) if part)
            scope = {"*": "the cluster", "": "?"}.get(
                self.scope, self.scope
            )  # "*": the scanner's whole-cluster scope
            return f"evaluate {what} over {scope}"
        return f"{self.stage} ({self.scope})" if self.scope else self.stage


@dataclass(frozen=True)
class Peaks:
    """The figures and places a clean run's timeline gives."""

    peak_cpu_cores: float  # highest cores used over any WINDOW_SECONDS window
    peak_cpu_cores_p95: float  # 95th percentile of the windows
    peak_cpu_at_seconds: float  # the end of the busiest window
    peak_cpu_stage: str  # the stage that filled most of the busiest window
    sampled_peak_rss_bytes: int  # the highest RSS sampled (VmHWM may be a little higher)
    peak_rss_at_seconds: float
    peak_rss_stage: str
    samples: int

    def metrics(self) -> dict[str, float]:
        return {
            "peak_cpu_cores": self.peak_cpu_cores,
            "peak_cpu_cores_p95": self.peak_cpu_cores_p95,
            "peak_cpu_at_seconds": self.peak_cpu_at_seconds,
            "sampled_peak_rss_bytes": float(self.sampled_peak_rss_bytes),
            "peak_rss_at_seconds": self.peak_rss_at_seconds,
            "timeline_samples": float(self.samples),
        }

    def stages(self) -> dict[str, str]:
        return {"peak_cpu": self.peak_cpu_stage, "peak_rss": self.peak_rss_stage}


def spans(events: Iterable[Mapping[str, Any]]) -> tuple[Span, ...]:
    """Stage events (JSON-lines records) → spans; a begin without its end closes at the last event."""
    opened: dict[tuple[str, str, str, str], list[tuple[float, float | None]]] = {}
    closed: list[Span] = []
    last = 0.0
    for record in events:
        if "t" not in record or "stage" not in record:
            continue  # the header line, or a record this reader does not know
        t = float(record["t"])
        cpu = float(record["cpu"]) if isinstance(record.get("cpu"), int | float) else None
        last = max(last, t)
        key = (
            str(record["stage"]),
            str(record.get("rule", "")),
            str(record.get("control", "")),
            str(record.get("scope", "")),
        )
        if record.get("edge") == "begin":
            opened.setdefault(key, []).append((t, cpu))
        elif record.get("edge") == "end" and opened.get(key):
            begin, begin_cpu = opened[key].pop()
            used = cpu - begin_cpu if cpu is not None and begin_cpu is not None else None
            closed.append(Span(key[0], begin, t, key[1], key[2], key[3], used))
    closed += [Span(k[0], b, last, k[1], k[2], k[3]) for k, begins in opened.items() for b, _ in begins]
    return tuple(sorted(closed, key=lambda s: (s.begin_seconds, -s.end_seconds)))


@dataclass(frozen=True)
class RuleCpu:
    rule: str
    cpu_seconds: float
    evaluations: int


def cpu_by_rule(all_spans: Iterable[Span]) -> tuple[RuleCpu, ...]:
    """CPU seconds of the evaluate spans, summed per rule, most first (spans without `cpu` left out)."""
    cpu: dict[str, float] = {}
    count: dict[str, int] = {}
    for one in all_spans:
        if one.stage != "evaluate" or one.cpu_seconds is None:
            continue
        cpu[one.rule] = cpu.get(one.rule, 0.0) + one.cpu_seconds
        count[one.rule] = count.get(one.rule, 0) + 1
    return tuple(sorted((RuleCpu(r, cpu[r], count[r]) for r in cpu), key=lambda x: (-x.cpu_seconds, x.rule)))


def stage_at(all_spans: Sequence[Span], t: float) -> str:
    """The innermost stage running at t; between stages, the one that ended last."""
    if not all_spans:
        return NO_EVENTS
    inside = [s for s in all_spans if s.begin_seconds <= t <= s.end_seconds]
    if inside:
        return min(inside, key=lambda s: s.end_seconds - s.begin_seconds).label
    before = [s for s in all_spans if s.end_seconds < t]
    if not before:
        return BEFORE_FIRST
    after = max(before, key=lambda s: s.end_seconds)
    if all(s.end_seconds < t for s in all_spans):
        return f"exit (after {after.label})"
    return f"between stages (after {after.label})"


def stage_over(all_spans: Sequence[Span], times: Sequence[float]) -> str:
    """The stage that was innermost at most of the given instants (a window's samples)."""
    if not times:
        return NO_EVENTS
    counts = Counter(stage_at(all_spans, t) for t in times)
    return counts.most_common(1)[0][0]


def window_cores(
    samples: Sequence[Sample], window_seconds: float = WINDOW_SECONDS
) -> list[tuple[float, float, int]]:
    """(window end t, cores used, index of the window's first sample) for every full window.

    A timeline shorter than one window gives one window over all of it: its mean is its peak.
    """
    if len(samples) < 2:
        return []
    times = [s[0] for s in samples]
    out: list[tuple[float, float, int]] = []
    for t, cpu, _rss in samples:
        j = bisect.bisect_right(times, t - window_seconds) - 1  # the last sample a full window back
        if j < 0:
            continue
        span = t - times[j]
        if span > 0:
            out.append((t, (cpu - samples[j][1]) / span, j))
    if not out:
        t0, t1 = samples[0][0], samples[-1][0]
        if t1 > t0:
            out.append((t1, (samples[-1][1] - samples[0][1]) / (t1 - t0), 0))
    return out


def cores_series(samples: Sequence[Sample]) -> list[tuple[float, float]]:
    """(t, cores used since the previous sample): the raw utilisation curve a plot shows."""
    return [
        (t1, (c1 - c0) / (t1 - t0)) for (t0, c0, _), (t1, c1, _) in itertools.pairwise(samples) if t1 > t0
    ]


def analyse(samples: Sequence[Sample], all_spans: Sequence[Span]) -> Peaks | None:
    """Peak CPU, its p95 and the RSS peak of one timeline, each with its stage; None if too short."""
    windows = window_cores(samples)
    if not windows:
        return None
    cores = np.array([c for _, c, _ in windows])
    best = int(np.argmax(cores))
    end_t, peak, first = windows[best]
    in_window = [s[0] for s in samples[first:] if s[0] <= end_t]
    rss_index = max(range(len(samples)), key=lambda i: (samples[i][2], -i))  # the first sample at the max
    rss_t = samples[rss_index][0]
    return Peaks(
        peak_cpu_cores=float(peak),
        peak_cpu_cores_p95=float(np.percentile(cores, 95)),
        peak_cpu_at_seconds=end_t,
        peak_cpu_stage=stage_over(all_spans, in_window),
        sampled_peak_rss_bytes=int(samples[rss_index][2]),
        peak_rss_at_seconds=rss_t,
        peak_rss_stage=stage_at(all_spans, rss_t),
        samples=len(samples),
    )


def stage_bands(all_spans: Sequence[Span], gap_seconds: float = 0.05) -> list[tuple[str, float, float]]:
    """Each stage's spans merged into bands (stage, begin, end), outer stages first.

    Consecutive evaluations merge into one band; a plot drawing the bands in this order shows the
    innermost stage on top (streaming matches and evaluates inside collection).
    """
    order = {stage: i for i, stage in enumerate(("collect", "aggregate", "report", "match", "evaluate"))}
    bands: list[tuple[str, float, float]] = []
    for stage in sorted({s.stage for s in all_spans}, key=lambda name: order.get(name, len(order))):
        merged: list[tuple[str, float, float]] = []
        for span in sorted((s for s in all_spans if s.stage == stage), key=lambda s: s.begin_seconds):
            if merged and span.begin_seconds <= merged[-1][2] + gap_seconds:
                merged[-1] = (stage, merged[-1][1], max(merged[-1][2], span.end_seconds))
            else:
                merged.append((stage, span.begin_seconds, span.end_seconds))
        bands += merged
    return bands


TIMELINE_FORMAT = "ksbench-timeline/1"


def parse_timeline(text: str) -> tuple[Sample, ...]:
    """The samples of a timeline artefact; ValueError when it is not one this ksbench wrote."""
    try:  # a stored figure is finite: NaN or Infinity refuse the artefact
        data = load_json(text, Meter(_ARTEFACT_BUDGET), **FINITE_JSON)
    except OverBudget as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(data, dict) or data.get("format_version") != TIMELINE_FORMAT:
        found = data.get("format_version") if isinstance(data, dict) else None
        raise ValueError(f"format_version {found!r}, expected {TIMELINE_FORMAT}")
    return tuple((float(t), float(cpu), int(rss)) for t, cpu, rss in data["samples"])


def parse_stage_events(text: str) -> list[dict[str, Any]]:
    """The scanner's stage events (JSON lines); a damaged line (a killed run) ends the list."""
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            record = loads_finite(line)  # NaN or Infinity end the events as a torn line does
        except ValueError:
            break
        if isinstance(record, dict):
            records.append(record)
    return records
