"""One profiled scan for the X4/X5 measurements (reports/x4/commands.txt): not part of ksbench.

Usage: profile_scan.py KUBECONFIG PHASES OUT_PREFIX [SCAN ARGUMENTS…]
Starts `python -m scanner scan` (nice -n 5; GOGC=25 when PHASES has X3, as ksbench runs X3), samples it at 20 Hz with the harness's /proc
sampler, reads its rusage with os.wait4, attributes the samples to the scan's stage events and
writes OUT_PREFIX.profile.json (the report goes to OUT_PREFIX.json, its events to
OUT_PREFIX.events.jsonl).
"""

from __future__ import annotations

import json
import os
import subprocess  # noqa: TID251 (a measurement script outside ksbench: it starts the scan it samples)
import sys
from pathlib import Path

from harness import timelines
from harness.run.instruments.sampler import ProcSampler


def main() -> int:
    kubeconfig, phases, prefix = sys.argv[1:4]
    report, stage_events = Path(f"{prefix}.json"), Path(f"{prefix}.events.jsonl")
    command = [
        *("nice", "-n", "5", sys.executable, "-m", "scanner", "scan"),
        *("--kubeconfig", kubeconfig, "--phases", phases, "--format", "json"),
        *("--output", str(report), "--pin-time", "--events", str(stage_events)),
        *sys.argv[4:],
    ]
    load_before = os.getloadavg()
    environment = {**os.environ, "GOGC": "25"} if "X3" in phases.upper() else dict(os.environ)
    process = subprocess.Popen(command, env=environment)
    sampler = ProcSampler(20.0)
    sampler.start(process.pid)
    _, status, usage = os.wait4(process.pid, 0)
    sampled = sampler.stop()
    load_after = os.getloadavg()
    samples = sampled.samples
    spans = timelines.spans(timelines.parse_stage_events(stage_events.read_text()))
    peak = max(range(len(samples)), key=lambda i: samples[i][2])
    top: dict[str, float] = {}
    for t, _, rss in samples:
        stage = timelines.stage_at(spans, t)
        top[stage] = max(top.get(stage, 0.0), rss / 2**20)
    profile = {
        "rc": os.waitstatus_to_exitcode(status),
        "phases": phases,
        "extra_arguments": sys.argv[4:],
        "load_before": load_before,
        "load_after": load_after,
        "maxrss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "wall_s": samples[-1][0] if samples else None,
        "sampled_peak_rss_mib": round(samples[peak][2] / 2**20, 1),
        "peak_rss_stage": timelines.stage_at(spans, samples[peak][0]),
        "peak_rss_at_s": samples[peak][0],
        "top_stages_mib": sorted(((s, round(m, 1)) for s, m in top.items()), key=lambda x: -x[1])[:12],
    }
    Path(f"{prefix}.profile.json").write_text(json.dumps(profile, indent=1) + "\n")
    print(
        json.dumps(
            {k: profile[k] for k in ("rc", "maxrss_mib", "cpu_s", "sampled_peak_rss_mib", "peak_rss_stage")}
        )
    )
    return int(profile["rc"])


if __name__ == "__main__":
    sys.exit(main())
