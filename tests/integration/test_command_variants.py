"""Benches of command-line variants, end to end, with the fake kubescape (tests/data/fake_kubescape.py)
started as a program that is not Python: a changed finding, a slower variant, shards and merge."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import results
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_GATE_MISSED, EXIT_USAGE
from tests.integration.cli_runner import Run, run_ksbench

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "tests" / "data" / "fake_kubescape.py"
SCAN = "{program} scan framework nsa {{manifests}} --format json --output {{report}}"


@pytest.fixture
def kubescape(tmp_path: Path) -> str:
    """A `kubescape` program (a shell script, so the harness exec's it like a Go binary)."""
    program = tmp_path / "bin" / "kubescape"
    program.parent.mkdir()
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    program.chmod(0o755)
    return str(program)


@pytest.fixture
def ksbench(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., Run]:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(REPO)
    return lambda *args: run_ksbench(capsys, *args)


def _bench(out: Path, *variants: str, repeat: int = 3, extra: tuple[str, ...] = ()) -> list[str]:
    args = ["bench", "--scenarios", "small", "--backend", "files", "--repeat", str(repeat)]
    args += ["--instruments", "clean", "--out", str(out), *extra]
    for variant in variants:
        args += ["--variant", variant]
    return args


def test_a_changed_finding_exits_with_the_findings_code_and_the_minimal_diff(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    scan = SCAN.format(program=kubescape)
    out = tmp_path / "bench"
    run = ksbench(*_bench(out, f"baseline={scan}", f"flip={scan} --fake-flip-finding"))
    assert run.returncode == EXIT_FINDINGS_MISMATCH, run.stderr
    assert "small · flip: findings differ from the baseline" in run.stderr
    assert "control C-0013 resource /v1/" in run.stderr
    assert "status.status: baseline 'failed' vs candidate 'passed'" in run.stderr
    assert "findings differ" in (out / "report.html").read_text()
    suite = results.load(out / "results.json")
    assert suite.config["variants"]["flip"]["command"][-1] == "--fake-flip-finding"
    flip = [r for r in suite.runs() if r.combination == "flip"]
    # The mismatching run, then two findings-only runs that show the change is stable.
    assert [(r.role, r.status) for r in flip] == [(results.CANDIDATE, results.MISMATCH)] + [
        (results.STABILITY, results.MISMATCH)
    ] * 2
    assert "small · flip: FINDINGS CHANGE — stable over 3 runs" in (out / "verdict.txt").read_text()


def test_a_slower_variant_fails_the_wall_gate_and_memory_is_measured_from_wait4(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    scan = SCAN.format(program=kubescape)
    out = tmp_path / "bench"
    run = ksbench(
        *_bench(out, f"baseline={scan}", f"slow={scan} --fake-sleep-seconds 1.5 --fake-memory-mib 80")
    )
    assert run.returncode == EXIT_GATE_MISSED, run.stderr
    wall = next(line for line in run.stdout.splitlines() if "wall ≤15% worse" in line)
    assert "FAIL" in wall and "missed: the whole interval is above the target" in wall
    assert "Gates (slow vs baseline" in run.stdout
    assert "findings                 identical to baseline" in run.stdout
    assert (out / "report.html").exists()
    suite = results.load(out / "results.json")
    rss = {
        r.combination: r.metrics["peak_rss_bytes"]
        for r in suite.runs()
        if r.role in (results.BASELINE, results.CANDIDATE) and r.repetition == 0
    }
    assert rss["slow"] - rss["baseline"] > 60 * 2**20  # the 80 MiB it touched, seen through exec
    stats = (out / "runs" / "small" / "slow" / "clean-candidate-r0" / "child-stats.txt").read_text()
    assert "peak_rss_source=ru_maxrss-exec" in stats
    slow = next(r for r in suite.runs() if r.combination == "slow" and r.repetition == 0)
    assert (
        slow.metrics.get("peak_cpu_cores", 0.0) > 0.0
    )  # the timeline sampled the program, not the trampoline


@pytest.mark.slow
def test_a_crashing_variant_is_recorded_and_fails_the_crash_gate(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    scan = SCAN.format(program=kubescape)
    run = ksbench(
        *_bench(tmp_path / "b", f"baseline={scan}", f"crash={scan} --fake-crash 2", extra=("--no-html",))
    )
    assert run.returncode == EXIT_GATE_MISSED, run.stderr
    crash = next(line for line in run.stdout.splitlines() if "no crash/race" in line)
    assert "FAIL" in crash and "exit code 2" in crash


def test_variants_are_checked_before_anything_runs(ksbench: Callable[..., Run], tmp_path: Path) -> None:
    no_report = ksbench(*_bench(tmp_path / "a", "baseline=kubescape scan", "b=kubescape scan {report}"))
    assert no_report.returncode == EXIT_USAGE and "must write its JSON report to {report}" in no_report.stderr
    no_baseline = ksbench(*_bench(tmp_path / "b", "a=k {report}", "b=k {report}"))
    assert no_baseline.returncode == EXIT_USAGE and "name one variant baseline" in no_baseline.stderr
    both = ksbench(
        *_bench(tmp_path / "c", "baseline=k {report}", "b=k {report}", extra=("--combinations", "all"))
    )
    assert both.returncode == EXIT_USAGE and "replace --combinations" in both.stderr


def _cli(*args: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "KSBENCH_HOME": str(home), "PYTHONPATH": str(REPO)}
    code = "import sys; from ksbench.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _measured(suite: results.Suite) -> dict[tuple[str, str, str, str, int, str], tuple[str, str | None]]:
    return {r.key: (r.status, r.report_digest) for r in suite.runs() if r.role != results.WARMUP}


@pytest.mark.slow
def test_two_shards_side_by_side_merge_into_the_runs_of_one_unsharded_bench(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    scan = SCAN.format(program=kubescape)
    variants = (f"baseline={scan}", f"busy={scan} --fake-cpu-seconds 0.05")
    shards = [
        _cli(
            *_bench(tmp_path / f"shard{k}", *variants, repeat=4, extra=("--no-html", "--shard", f"{k}/2")),
            home=tmp_path / f"home{k}",
        )
        for k in (1, 2)
    ]
    for shard in shards:
        _, stderr = shard.communicate(timeout=600)
        assert shard.returncode in (0, 1, 4), stderr  # 4: two blocks alone are too few to judge
    whole = ksbench(*_bench(tmp_path / "whole", *variants, repeat=4, extra=("--no-html",)))
    assert whole.returncode in (0, 1), whole.stderr
    merged = ksbench(
        "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--out", str(tmp_path / "merged")
    )
    assert merged.returncode == whole.returncode, merged.stderr
    one = _measured(results.load(tmp_path / "whole" / "results.json"))
    combined = results.load(tmp_path / "merged" / "results.json")
    assert _measured(combined) == one
    blocks = {
        k: {
            r.repetition
            for r in results.load(tmp_path / f"shard{k}" / "results.json").runs()
            if r.repetition >= 0
        }
        for k in (1, 2)
    }
    assert blocks == {1: {0, 2}, 2: {1, 3}}  # whole blocks, dealt in turn
    report = tmp_path / "merged" / combined.series[0].runs[0].artefacts["report"]
    assert json.loads(report.read_text())["summaryDetails"]  # artefact paths still lead to the reports
    assert "Gates (busy vs baseline" in merged.stdout


def _raw_pods(report: Path) -> list[dict[str, object]]:
    resources = json.loads(report.read_text())["resources"]
    return [r["object"] for r in resources if r["object"]["kind"] == "Pod"]


def test_a_bench_across_a_cluster_and_its_stripped_copy_keeps_parity_and_says_so(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    derived = ksbench(
        "scenario", "derive", "small", "--strip", "managed-fields,last-applied",
        "--scenarios-dir", str(tmp_path / "s"),
    )  # fmt: skip
    assert derived.returncode == 0, derived.stderr
    assert "derived small-stripped from small: 100 objects" in derived.stderr
    stripped_file = tmp_path / "s" / "small-stripped.toml"
    scan = SCAN.format(program=kubescape)
    out = tmp_path / "bench"
    run = ksbench(
        *_bench(
            out, f"baseline={scan}", f"stripped@{stripped_file}={scan}", extra=("--enforce", "findings,crash")
        )
    )
    assert run.returncode == 0, run.stderr
    assert "ACROSS CLUSTERS on small: stripped scanned small-stripped" in run.stdout
    assert "compared with managed-fields, last-applied taken out of the raw resources" in run.stdout
    assert "ACROSS CLUSTERS" in (out / "report.html").read_text()
    suite = results.load(out / "results.json")
    info = suite.scenario("small")
    assert info is not None and info.parity_ignores == ("managed-fields", "last-applied")
    assert info.clusters["stripped"]["scenario"] == "small-stripped"
    assert info.clusters["stripped"]["fingerprint"] not in (None, info.fingerprint)
    assert {r.status for r in suite.runs()} == {results.OK}
    assert len({r.report_digest for r in suite.runs()}) == 1
    # The raw objects did differ: the candidate scanned the stripped cluster, the baseline the full one.
    reports = {r.combination: out / r.artefacts["report"] for r in suite.runs() if r.repetition == 0}
    full, bare = _raw_pods(reports["baseline"]), _raw_pods(reports["stripped"])
    assert full and all("managedFields" in p["metadata"] for p in full)  # type: ignore[operator]
    assert not any("managedFields" in p["metadata"] for p in bare)  # type: ignore[operator]


def test_across_clusters_a_changed_finding_still_fails_closed_and_unrelated_clusters_are_refused(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    assert ksbench("scenario", "derive", "small", "--strip", "last-applied",
                   "--scenarios-dir", str(tmp_path / "s")).returncode == 0  # fmt: skip
    stripped_file = tmp_path / "s" / "small-stripped.toml"
    scan = SCAN.format(program=kubescape)
    flip = ksbench(
        *_bench(tmp_path / "a", f"baseline={scan}", f"flip@{stripped_file}={scan} --fake-flip-finding",
                repeat=1, extra=("--no-html",))
    )  # fmt: skip
    assert flip.returncode == EXIT_FINDINGS_MISMATCH, flip.stderr
    assert "small · flip (scanned small-stripped; raw resources compared without last-applied)" in flip.stderr
    assert "status.status: baseline 'failed' vs candidate 'passed'" in flip.stderr
    unrelated = ksbench(
        "bench", "--scenarios", str(stripped_file), "--backend", "files", "--repeat", "1",
        "--instruments", "clean", "--out", str(tmp_path / "b"), "--no-html",
        "--variant", f"baseline={scan}", "--variant", f"full@small={scan}",
    )  # fmt: skip
    assert unrelated.returncode == EXIT_USAGE, unrelated.stderr
    assert "full scans small, which is not derived from small-stripped" in unrelated.stderr


def test_a_lean_bench_skips_the_warm_up_and_the_a_a_runs_and_still_judges_memory_from_the_blocks(
    ksbench: Callable[..., Run], kubescape: str, tmp_path: Path
) -> None:
    scan = SCAN.format(program=kubescape)
    out = tmp_path / "bench"
    variants = (f"baseline={scan}", f"lighter={scan} --fake-memory-mib 1")
    run = ksbench(
        *_bench(out, f"{variants[0]} --fake-memory-mib 120", variants[1], extra=("--no-html", "--lean"))
    )
    assert run.returncode in (0, 1), run.stderr
    suite = results.load(out / "results.json")
    assert suite.config["lean"] is True
    roles = sorted((r.role, r.combination) for r in suite.runs())
    assert roles == sorted([(results.BASELINE, "baseline"), (results.CANDIDATE, "lighter")] * 3)
    memory = next(line for line in run.stdout.splitlines() if "peak RSS" in line and "≥40%" in line)
    # 1 MiB touched against 120: the blocks alone give the ratio and its interval.
    assert re.search(r"0\.\d+× \(-\d+\.\d%\)\s+\[0\.\d+, 0\.\d+\].*would pass", memory), memory
    assert "Noise floor (A/A" not in run.stdout  # nothing measured, nothing shown
    auto = ksbench(*_bench(tmp_path / "auto", *variants, extra=("--lean", "--repeat", "auto")))
    assert auto.returncode == EXIT_USAGE and "--lean needs a fixed --repeat" in auto.stderr
