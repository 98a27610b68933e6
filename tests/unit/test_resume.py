"""The runner: interrupted benches resume with only what is left; failures are recorded as what they are."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from runner_fakes import FakeParity, fake_cluster, opener, plan

from harness import results
from harness.clusters.target import Target
from harness.exit_codes import FindingsMismatch, UsageError
from harness.run.runner import Bench, Progress

# warm-up + 3 blocks × (baseline, A/A, P1, all) + 1 race run
TOTAL_RUNS = 1 + 3 * 4 + 1


def _quiet() -> Progress:
    import io

    return Progress(io.StringIO())


def test_interrupt_then_resume_runs_only_the_rest(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path), tmp_path / "out"
    k = 5

    def interrupt(calls: int) -> None:
        if calls == k + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Bench(plan(), out, FakeParity(interrupt), progress=_quiet()).run(opener(where))
    assert len(list(results.load(out / "results.json").runs())) == k

    with pytest.raises(UsageError, match="--resume"):
        Bench(plan(), out, FakeParity(), progress=_quiet())
    with pytest.raises(UsageError, match="other arguments"):
        Bench(plan(repeat=4), out, FakeParity(), resume=True, progress=_quiet())

    parity = FakeParity()
    suite = Bench(plan(), out, parity, resume=True, progress=_quiet()).run(opener(where))
    assert parity.calls == TOTAL_RUNS - k
    runs = list(suite.runs())
    assert len(runs) == TOTAL_RUNS and all(r.ok for r in runs)
    assert len({r.key for r in runs}) == TOTAL_RUNS
    clean = next(r for r in runs if r.role == results.CANDIDATE)
    assert {"wall_seconds", "cpu_seconds", "peak_rss_bytes"} <= set(clean.metrics)
    assert (out / clean.artefacts["report"]).exists()
    # Nothing is left to do: a second resume runs nothing.
    again = FakeParity()
    Bench(plan(), out, again, resume=True, progress=_quiet()).run(opener(where))
    assert again.calls == 0


def test_crash_and_hang_are_recorded_and_the_rest_goes_on(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path, crash=["P1"], hang=["all"]), tmp_path / "out"
    suite = Bench(plan(repeat=1, timeout_seconds=3.0), out, FakeParity(), progress=_quiet()).run(
        opener(where)
    )
    status = {(r.combination, r.role): r.status for r in suite.runs()}
    assert status[("P1", results.CANDIDATE)] == results.CRASHED
    assert status[("all", results.CANDIDATE)] == results.TIMEOUT
    assert status[("all", results.RACE)] == results.TIMEOUT
    assert status[("baseline", results.AA)] == results.OK
    crashed = next(r for r in suite.runs() if r.status == results.CRASHED)
    assert "exit code 1" in crashed.reason and not crashed.metrics


def test_mismatch_stops_the_bench_with_the_diff(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path, mismatch=["P1"]), tmp_path / "out"
    with pytest.raises(FindingsMismatch, match=r"pod/ns/p2"):
        Bench(plan(repeat=1), out, FakeParity(), progress=_quiet()).run(opener(where))
    stored = results.load(out / "results.json")
    p1 = [(r.role, r.status) for r in stored.runs() if r.combination == "P1"]
    # The mismatching run stops the bench after two findings-only runs of each side.
    assert p1 == [(results.CANDIDATE, results.MISMATCH)] + [(results.STABILITY, results.MISMATCH)] * 2
    confirming = [r for r in stored.runs() if r.combination == "baseline" and r.role == results.STABILITY]
    assert [(r.repetition, r.status, dict(r.metrics)) for r in confirming] == [
        (0, results.OK, {}),
        (1, results.OK, {}),
    ]


def test_measure_anyway_runs_every_step_and_keeps_the_mismatching_figures(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path, mismatch=["P1"]), tmp_path / "out"
    suite = Bench(replace(plan(repeat=2), measure_anyway=True), out, FakeParity(), progress=_quiet()).run(
        opener(where)
    )
    p1 = [r for r in suite.runs() if r.combination == "P1" and r.role == results.CANDIDATE]
    assert [r.repetition for r in p1] == [0, 1] and all(r.untrusted and r.measured for r in p1)
    assert not any(r.role == results.STABILITY for r in suite.runs())


def test_unreachable_cluster_is_cluster_lost(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path, unreachable=True), tmp_path / "out"
    suite = Bench(plan(repeat=1, combinations=("baseline",)), out, FakeParity(), progress=_quiet()).run(
        opener(where)
    )
    assert {r.status for r in suite.runs()} == {results.CLUSTER_LOST}


def test_a_crash_while_the_cluster_is_gone_is_cluster_lost_and_retried_on_resume(tmp_path: Path) -> None:
    where, out = fake_cluster(tmp_path, crash=["P1"]), tmp_path / "out"
    gone: list[str] = []

    @contextlib.contextmanager
    def open_target(scenario: str) -> Iterator[Target]:
        yield Target(scenario, 100, (str(where),), "fp", "files", lambda: gone[0] if gone else None)

    p = plan(repeat=1, combinations=("baseline", "P1"))
    suite = Bench(p, out, FakeParity(), progress=_quiet()).run(open_target)
    assert [r.status for r in suite.runs() if r.combination == "P1"] == [results.CRASHED]  # cluster fine
    gone.append("the files cluster for small is stopped: taken down")
    suite = Bench(p, tmp_path / "again", FakeParity(), progress=_quiet()).run(open_target)
    lost = [r for r in suite.runs() if r.combination == "P1"]
    assert [(r.status, r.reason, dict(r.metrics)) for r in lost] == [
        (results.CLUSTER_LOST, "the files cluster for small is stopped: taken down", {})
    ]


def test_missing_profilers_are_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.run.instruments import memray, pyspy

    monkeypatch.setattr(pyspy, "find_pyspy", lambda: None)
    monkeypatch.setattr(memray, "memray_available", lambda: False)
    where, out = fake_cluster(tmp_path), tmp_path / "out"
    p = plan(repeat=1, combinations=("baseline",), instruments=("clean", "memray", "pyspy"))
    suite = Bench(p, out, FakeParity(), progress=_quiet()).run(opener(where))
    by_instrument = {r.instrument: r for r in suite.runs() if r.role == results.BASELINE}
    assert by_instrument["memray"].status == results.TOOL_MISSING
    assert by_instrument["pyspy"].status == results.TOOL_MISSING
    assert by_instrument["clean"].ok


def test_repeat_auto_settles_from_the_aa_noise(tmp_path: Path) -> None:
    from harness.judge import noise, stats

    where, out = fake_cluster(tmp_path), tmp_path / "out"
    bench = Bench(plan(repeat=None), out, FakeParity(), progress=_quiet(), repeat_policy=noise.repetitions)
    assert bench.repetitions("small") == stats.MIN_REPEAT  # no A/A pairs yet: the pilot size
    suite = bench.suite
    for rep, (base, aa) in enumerate([(1.0, 1.0), (1.0, 1.3), (1.0, 0.7), (1.0, 1.25), (1.0, 0.8)]):
        for role, value in ((results.BASELINE, base), (results.AA, aa)):
            metrics = {"cpu_seconds": value, "wall_seconds": value, "peak_rss_bytes": value}
            suite = suite.with_run(
                results.Run("small", "baseline", "clean", role, rep, results.OK, metrics=metrics)
            )
    bench.suite = suite
    assert bench.repetitions("small") == stats.MAX_REPEAT  # ±25% A/A noise: as many as allowed
    del where
