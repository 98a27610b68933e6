"""Builds the stored-results fixture the report tests render: `python tests/data/report/make_fixture.py`.

A realistic bench (small 100, medium 1,000, large 5,000 resources; the 14 key combinations;
8 paired blocks with A/A runs; race runs; one memray and one py-spy run of the baseline and all
phases per scenario; a time-out and a missing profiler; the /proc timeline figures and peak stages
of every clean run, with the timeline and stage events of large's first baseline and all-phases
run) made with harness.results' own values
and serialiser, so the fixture always has the format the harness writes. The effects are a
model of what the plan expects (P1 pays above 2,500 resources, P2 does nothing, P5 and P6 cut
memory on large clusters), with seeded log-normal noise. tests/unit/test_reporters.py checks
that this script still produces the committed files.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path

from harness import results
from harness.results import (
    AA,
    BASELINE,
    CANDIDATE,
    OK,
    RACE,
    TIMEOUT,
    TOOL_MISSING,
    WARMUP,
    Machine,
    Run,
    ScenarioInfo,
    Suite,
)
from harness.run import instruments

HERE = Path(__file__).parent
MACHINE = Machine(
    python_version="3.11.2",
    python_implementation="CPython",
    platform="Linux-6.1.0-x86_64-with-glibc2.36",
    cpu_count=2,
    ksbench_version="0.1.0",
    memray_version="1.20.0",
    pyspy_version="py-spy 0.4.1",
    engine="opa 0.4.4 (rego OPA v1.20.2, Rego v1)",
    git_commit="0123456789abcdef0123456789abcdef01234567",
    git_dirty=False,
)
SCENARIOS = (("small", 100), ("medium", 1000), ("large", 5000))
KEY = ("baseline", "P1", "P2", "P3", "P4", "P5", "P6", "all",
       "P2+P3+P4+P5+P6", "P1+P3+P4+P5+P6", "P1+P2+P4+P5+P6", "P1+P2+P3+P5+P6", "P1+P2+P3+P4+P6",
       "P1+P2+P3+P4+P5")  # fmt: skip
BASE = {  # cpu seconds, wall seconds, peak RSS MiB
    "small": (1.20, 1.05, 92.0),
    "medium": (4.10, 3.70, 165.0),
    "large": (31.0, 28.5, 720.0),
}
REPEAT = 8


def _effects(scenario: str) -> dict[int, tuple[float, float]]:
    """Phase → (CPU ratio, peak RSS ratio) on this scenario."""
    large = scenario == "large"
    return {
        1: (0.66 if large else (0.93 if scenario == "medium" else 0.99), 1.0),
        2: (1.0, 1.0),
        3: (0.94 if large else 1.0, 1.0),
        4: (0.88, 1.0),
        5: (1.03, 0.56 if large else (0.92 if scenario == "medium" else 1.0)),
        6: (1.0, 0.95),
    }


def _numbers(combination: str) -> set[int]:
    if combination == "baseline":
        return set()
    if combination == "all":
        return set(range(1, 7))
    return {int(part[1:]) for part in combination.split("+")}


def _figures(rng: random.Random, scenario: str, combination: str) -> dict[str, float]:
    cpu, wall, rss = BASE[scenario]
    numbers = _numbers(combination)
    effects = _effects(scenario)
    cpu_ratio = math.prod(effects[k][0] for k in numbers)
    rss_ratio = math.prod(effects[k][1] for k in numbers)
    if {5, 6} <= numbers and scenario == "large":
        rss_ratio *= 0.85  # P6 frees batches P5 no longer holds: it pays on top of P5
    return {
        "cpu_seconds": round(cpu * cpu_ratio * math.exp(rng.gauss(0, 0.03)), 4),
        "wall_seconds": round(wall * cpu_ratio * math.exp(rng.gauss(0, 0.04)), 4),
        "peak_rss_bytes": float(round(rss * rss_ratio * math.exp(rng.gauss(0, 0.015)) * 1048576)),
    }


def _stacks(scenario: str, combination: str) -> str:
    scale = {"small": 1, "medium": 4, "large": 30}[scenario]
    compiled = 60 if combination == "baseline" else 8
    lines = {
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);collect (scanner/sources/kube.py:40);_list_page (scanner/sources/kube.py:77)": 14,
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);evaluate (scanner/evaluate.py:101);_compile (scanner/engine/opa.py:52)": compiled,
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);evaluate (scanner/evaluate.py:101);_eval (scanner/engine/opa.py:80)": 55,
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);evaluate (scanner/evaluate.py:101);select (scanner/match.py:33)": 22
        if combination == "baseline"
        else 6,
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);aggregate (scanner/results.py:64);_add_path (scanner/results.py:140)": 9
        if combination == "baseline"
        else 4,
        "main (scanner/cli.py:12);scan (scanner/cli.py:88);write (scanner/report.py:30)": 5,
    }
    return "".join(f"{stack} {count * scale}\n" for stack, count in lines.items())


def _timeline(combination: str) -> dict[str, object]:
    points = []
    for step in range(0, 301):
        t = step * 0.1
        if combination == "baseline":
            rss = 60 + min(t / 12.0, 1.0) * 640 + 20 * (t > 14)
        else:  # batches: a sawtooth that stays low
            rss = 60 + min(t / 4.0, 1.0) * 180 + 90 * ((t % 3.0) / 3.0) if t < 27 else 120
        points.append([round(t, 2), float(round(rss * 1048576))])
    return {"format_version": "ksbench-memory-timeline/1", "source": "memray snapshots", "points": points}


PEAK_STAGES = {  # (scenario kind, combination) → where the peaks are made, as the timelines would say
    "baseline": {
        "peak_cpu": "evaluate C-0034 rule-workload-automounts-token over ns-3",
        "peak_rss": "evaluate C-0053 rule-workload-sa-has-rbac over the cluster",
    },
    "all": {"peak_cpu": "collect", "peak_rss": "evaluate C-0053 rule-workload-sa-has-rbac over the cluster"},
}


def _with_peaks(figures: dict[str, float], key: str, combination: str) -> dict[str, float]:
    """The /proc timeline's figures, from their own RNG so the older figures keep their values."""
    rng = random.Random(f"peaks/{key}")
    cores = (1.02 if combination == "baseline" else 0.97) * math.exp(rng.gauss(0, 0.02))
    return {
        **figures,
        "peak_cpu_cores": round(cores, 4),
        "peak_cpu_cores_p95": round(cores * 0.97, 4),
        "peak_cpu_at_seconds": round(figures["wall_seconds"] * 0.6, 3),
        "sampled_peak_rss_bytes": float(round(figures["peak_rss_bytes"] * 0.98)),
        "peak_rss_at_seconds": round(figures["wall_seconds"] * 0.7, 3),
        "timeline_samples": float(round(figures["wall_seconds"] * 20)),
    }


def _peak_stages(combination: str) -> dict[str, str]:
    return PEAK_STAGES["baseline" if combination == "baseline" else "all"]


def _stage_timeline(out: Path, base: str, combination: str, seconds: float) -> dict[str, str]:
    """A clean run's /proc timeline and stage events, as the sampler and the scanner write them."""
    evaluate_from, evaluate_to = 0.15 * seconds, 0.9 * seconds
    spans: list[tuple[str, float, float, dict[str, str]]] = [
        ("collect", 0.5, evaluate_from - 0.2, {}),
        ("match", evaluate_from - 0.2, evaluate_from, {"scope": "namespace" if combination == "baseline" else "cluster"}),
    ]  # fmt: skip
    rules = ("C-0017 immutable-container-filesystem", "C-0034 rule-workload-automounts-token",
             "C-0053 rule-workload-sa-has-rbac", "C-0260 rule-workload-without-network-policy")  # fmt: skip
    step = (evaluate_to - evaluate_from) / len(rules)
    for index, rule in enumerate(rules):
        control, name = rule.split(" ")
        spans.append(("evaluate", evaluate_from + index * step, evaluate_from + (index + 1) * step,
                      {"control": control, "rule": name, "scope": "*" if "C-0053" in rule else "ns-3"}))  # fmt: skip
    spans += [
        ("aggregate", evaluate_to, evaluate_to + 0.4, {}),
        ("report", evaluate_to + 0.4, seconds - 0.2, {}),
    ]
    lines = [json.dumps({"format_version": "ksbench-stage-events/1", "pid": 4242, "clock": "CLOCK_BOOTTIME",
                         "zero": "process start"})]  # fmt: skip
    edges = [(begin, stage, "begin", where) for stage, begin, _, where in spans]
    edges += [(end, stage, "end", where) for stage, _, end, where in spans]
    for t, stage, edge, where in sorted(edges, key=lambda e: e[0]):
        lines.append(
            json.dumps({"t": round(t, 3), "stage": stage, "edge": edge, **where}, separators=(",", ":"))
        )
    join_from, join_to = evaluate_from + 2 * step, evaluate_from + 3 * step
    samples, cpu = [], 0.0
    for i in range(int(seconds * 20) + 1):
        t = i / 20
        cores = 0.35 if t < 0.5 or t > evaluate_to else (0.98 if combination == "baseline" else 0.93)
        rss = 40 + min(t / 3, 1) * (60 if combination == "baseline" else 25)
        if join_from <= t <= join_to:
            rss += 180 * math.sin(math.pi * (t - join_from) / (join_to - join_from))
        samples.append([round(t, 4), round(cpu, 3), int(rss * 1048576)])
        cpu += cores / 20
    timeline = {"format_version": "ksbench-timeline/1", "rate_hz": 20.0,
                "clock": "seconds since the process started (CLOCK_BOOTTIME)",
                "columns": ["t_seconds", "cpu_seconds", "rss_bytes"], "samples": samples}  # fmt: skip
    return {
        "timeline": _write(
            out, f"{base}/timeline.json", json.dumps(timeline, indent=1, sort_keys=True) + "\n"
        ),
        "stage_events": _write(out, f"{base}/stage-events.jsonl", "\n".join(lines) + "\n"),
    }


def _write(out: Path, relative: str, text: str) -> str:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return relative


def build(out: Path) -> Suite:
    """The suite, with its artefact files written under out."""
    suite = Suite(
        MACHINE,
        {"scenarios": [s for s, _ in SCENARIOS], "combinations": list(KEY),
         "instruments": ["clean", "memray", "pyspy"], "repeat": REPEAT, "scan_args": []},
        (),
        created_at="2026-03-02T10:00:00+00:00",
    )  # fmt: skip
    clock = 0
    for scenario, count in SCENARIOS:
        rng = random.Random(f"fixture/{scenario}")
        digest = hashlib.sha256(f"report of {scenario}".encode()).hexdigest()
        suite = suite.with_scenario(ScenarioInfo(scenario, count, f"fp-{scenario}", "embedded"))

        def add(run: Run) -> None:
            nonlocal suite, clock
            clock += 1
            stamp = f"2026-03-02T09:{clock // 60:02d}:{clock % 60:02d}+00:00"
            suite = suite.with_run(Run(**{**vars(run), "started_at": stamp}))

        add(
            Run(
                scenario,
                "baseline",
                "clean",
                WARMUP,
                -1,
                OK,
                metrics=_with_peaks(_figures(rng, scenario, "baseline"), f"{scenario}/warmup", "baseline"),
                report_digest=digest,
                peak_stages=_peak_stages("baseline"),
            )
        )
        for repetition in range(REPEAT):
            order = [("baseline", BASELINE), ("baseline", AA)] + [
                (c, CANDIDATE) for c in KEY if c != "baseline"
            ]
            rng.shuffle(order)
            for combination, role in order:
                if scenario == "medium" and combination == "P3" and repetition == 2:
                    add(Run(scenario, combination, "clean", role, repetition, TIMEOUT,
                            reason="no exit within 900 s; process group killed", exit_code=-9))  # fmt: skip
                    continue
                figures = _with_peaks(
                    _figures(rng, scenario, combination),
                    f"{scenario}/{combination}/{role}/{repetition}",
                    combination,
                )
                timeline = {}
                if (
                    scenario == "large"
                    and repetition == 0
                    and combination in ("baseline", "all")
                    and role != AA
                ):
                    timeline = _stage_timeline(out, f"runs/{scenario}/{combination}/clean-{role}-r0", combination,
                                               figures["wall_seconds"])  # fmt: skip
                add(Run(scenario, combination, "clean", role, repetition, OK, metrics=figures, report_digest=digest,
                        exit_code=0, artefacts=timeline, peak_stages=_peak_stages(combination)))  # fmt: skip
        for index, seed in enumerate((1, 2)):
            add(Run(scenario, "all", "clean", RACE, index, OK, variant=f"workers=2,order=shuffled:{seed}",
                    metrics=_with_peaks(_figures(rng, scenario, "all"), f"{scenario}/race/{index}", "all"),
                    report_digest=digest, exit_code=0, peak_stages=_peak_stages("all")))  # fmt: skip
        for combination in ("baseline", "all"):
            role = BASELINE if combination == "baseline" else CANDIDATE
            base = f"runs/{scenario}/{combination}"
            heap = _figures(rng, scenario, combination)["peak_rss_bytes"] * 0.6
            flame = f"<!DOCTYPE html><title>memray flame graph</title><p>{scenario} · {combination} (placeholder)</p>\n"
            memray_artefacts = {
                "memray_flamegraph": _write(out, f"{base}/memray-{role}-r0/memray-flamegraph.html", flame)
            }
            if scenario == "large":
                memray_artefacts["memory_timeline"] = _write(
                    out,
                    f"{base}/memray-{role}-r0/memory-timeline.json",
                    json.dumps(_timeline(combination)) + "\n",
                )
            add(Run(scenario, combination, "memray", role, 0, OK,
                    metrics={"heap_peak_bytes": float(round(heap * 1.4)), "python_bytes_at_peak": float(round(heap)),
                             "allocation_count": 250000.0 * (2 if scenario == "large" else 1)},
                    report_digest=digest, artefacts=memray_artefacts, exit_code=0))  # fmt: skip
            if scenario == "small":
                add(
                    Run(
                        scenario,
                        combination,
                        "pyspy",
                        role,
                        0,
                        TOOL_MISSING,
                        reason="py-spy is not installed",
                    )
                )
                continue
            raw = _stacks(scenario, combination)
            spy = f"{base}/pyspy-{role}-r0"
            svg = instruments.flamegraph_svg(
                instruments.parse_collapsed(raw), f"{scenario} · {combination} · py-spy"
            )
            add(Run(scenario, combination, "pyspy", role, 0, OK, metrics=_figures(rng, scenario, combination),
                    report_digest=digest, exit_code=0,
                    artefacts={"pyspy_raw": _write(out, f"{spy}/pyspy.txt", raw),
                               "pyspy_flamegraph": _write(out, f"{spy}/pyspy-flamegraph.svg", svg)}))  # fmt: skip
    return suite


def main() -> None:
    suite = build(HERE)
    results.dump(suite, HERE / "results.json")
    print(f"wrote {HERE / 'results.json'}")


if __name__ == "__main__":
    main()
