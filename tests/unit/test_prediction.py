"""Model vs binary: two stored benches side by side, agreement read from the two intervals."""

from __future__ import annotations

import numpy as np

from harness import results
from harness.judge import prediction
from harness.report.text import render_prediction
from harness.results import Machine, Run, ScenarioInfo, Suite

MACHINE = Machine("3.11.7", "CPython", "Linux", 2, "0.1.0", None, None, None, None, None)
BASE = {"cpu_seconds": 2.0, "peak_rss_bytes": 500e6, "wall_seconds": 1.5, "peak_cpu_cores": 1.0}


def _suite(candidate: str, factor: dict[str, float], gated: str, seed: int, repeat: int = 8) -> Suite:
    rng = np.random.default_rng(seed)
    suite = Suite(MACHINE, {"gated": gated}, (ScenarioInfo("small", 100), ScenarioInfo("large", 5000)))
    for scenario in ("small", "large"):
        for rep in range(repeat):
            for combination, role, scale in (
                ("baseline", results.BASELINE, {}),
                ("baseline", results.AA, {}),
                (candidate, results.CANDIDATE, factor),
            ):
                metrics = {m: BASE[m] * scale.get(m, 1.0) * (1 + rng.normal(0, 0.005)) for m in BASE}
                run = Run(
                    scenario, combination, "clean", role, rep, results.OK, metrics=metrics, report_digest="d"
                )
                suite = suite.with_run(run)
    return suite


def test_overlapping_intervals_agree_and_disjoint_ones_say_which_side_is_lower() -> None:
    model = _suite("P1+P2+P3", {"cpu_seconds": 0.6, "peak_rss_bytes": 1.0}, "all", seed=1)
    binary = _suite("fbef268f", {"cpu_seconds": 0.6, "peak_rss_bytes": 1.13}, "fbef268f", seed=2)
    found = {(r.scenario, r.metric): r for r in prediction.rows(model, "P1+P2+P3", binary, "fbef268f")}
    assert set(found) == {(s, m) for s in ("small", "large") for m in BASE}
    assert found[("large", "cpu_seconds")].agreement == prediction.AGREE
    assert found[("small", "peak_rss_bytes")].agreement == prediction.MODEL_LOWER
    assert 1.10 < found[("small", "peak_rss_bytes")].binary.median_ratio < 1.16  # type: ignore[union-attr]
    table = render_prediction(list(found.values()))
    assert "model lower than binary" in table and "agree (intervals overlap)" in table


def test_a_metric_one_side_did_not_measure_is_not_comparable() -> None:
    model = _suite("P1+P2+P3", {}, "all", seed=1)
    binary = _suite("head", {}, "head", seed=2, repeat=2)  # two pairs: no interval
    rows = prediction.rows(model, "P1+P2+P3", binary, "head")
    assert {r.agreement for r in rows} == {prediction.MISSING}
    assert prediction.rows(model, "P1", binary, "head")[0].model is None
