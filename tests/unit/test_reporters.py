"""Reports from a stored results fixture: golden Markdown and JSON, the HTML's sections, views, history.

Regenerate the golden files after an intended change with KSBENCH_UPDATE_GOLDEN=1 and read the diff.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness import results
from harness.judge import gates, views
from harness.report import artefacts, html, markdown
from harness.report import json as json_reporter
from harness.report import text as text_reporter
from harness.results import BASELINE, CANDIDATE, MISMATCH, OK, Run
from ksbench.cli import main

FIXTURE = Path(__file__).parent.parent / "data" / "report"
_spec = importlib.util.spec_from_file_location("make_fixture", FIXTURE / "make_fixture.py")
assert _spec is not None and _spec.loader is not None
make_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixture)
UPDATE = os.environ.get("KSBENCH_UPDATE_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = FIXTURE / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: KSBENCH_UPDATE_GOLDEN=1 to accept"


@pytest.fixture(scope="module")
def suite() -> results.Suite:
    return results.load(FIXTURE / "results.json").with_late_mismatches()


@pytest.fixture(scope="module")
def verdict(suite: results.Suite) -> gates.Verdict:
    return gates.evaluate(suite)


def test_fixture_is_what_the_generator_makes(tmp_path: Path) -> None:
    built = make_fixture.build(tmp_path)
    assert built == results.load(FIXTURE / "results.json"), "run python tests/data/report/make_fixture.py"
    for made in tmp_path.rglob("*"):
        if made.is_file():
            assert made.read_bytes() == (FIXTURE / made.relative_to(tmp_path)).read_bytes(), made


def test_markdown_golden(suite: results.Suite, verdict: gates.Verdict) -> None:
    _golden("verdict.md", markdown.render(verdict, suite))


def test_json_golden(suite: results.Suite, verdict: gates.Verdict) -> None:
    _golden(
        "verdict.json", json.dumps(json_reporter.render(verdict, suite), indent=1, ensure_ascii=False) + "\n"
    )


def test_markdown_is_short_enough_for_a_phone(suite: results.Suite, verdict: gates.Verdict) -> None:
    text = markdown.render(verdict, suite)
    visible = text.split("<details>")[0]
    assert len(visible.splitlines()) <= 40
    assert "| P1 | 30–40% CPU |" in text
    assert max(len(line) for line in visible.splitlines() if line.startswith("| P")) < 110


def test_json_carries_format_version_and_exit_code(suite: results.Suite, verdict: gates.Verdict) -> None:
    data = json_reporter.render(verdict, suite)
    assert data["format_version"] == json_reporter.FORMAT_VERSION
    assert data["exit_code"] == verdict.exit_code == 1  # every scenario misses the peak CPU gate
    assert {g["status"] for g in data["gates"]} == {"pass", "fail", "info"}
    assert [c["status"] for c in data["criteria"]] == ["fail", "pass", "pass", "pass", "pass"]
    memory = next(g for g in data["gates"] if g["scenario"] == "large" and g["criterion"] == 2)
    assert memory["where"].startswith("baseline: evaluate C-0053 rule-workload-sa-has-rbac over the cluster")
    json.dumps(data, allow_nan=False)  # NaN never leaks into the file


def test_html_is_self_contained_with_every_section(tmp_path: Path, suite: results.Suite) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(FIXTURE), "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for anchor in (
        "gates",
        "stage-timeline",
        "phases",
        "scaling",
        "memory-timeline",
        "heatmap",
        "cpu-shift",
        "flamegraphs",
        "parity",
        "machine",
    ):
        assert f'id="{anchor}"' in text, anchor
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"""(src|href)=["']https?:""", text), "the report must not fetch anything"
    # 3 phase-bar plots, stage timelines, scaling, memory timeline, heat map, CPU shift, 2 flame graphs
    assert text.count("<svg") >= 9
    assert "peak 0.98 cores" in text and "evaluate C-0053 rule-workload-sa-has-rbac" in text
    assert "absent:" not in text  # the fixture has every input
    # Links to the profilers' files resolve from where the report was written.
    hrefs = [h for h in re.findall(r'href="([^"#]+)"', text) if not h.startswith("data:")]
    assert hrefs and all((out.parent / href).is_file() for href in hrefs)


def test_html_says_what_is_absent(tmp_path: Path) -> None:
    only_clean = results.load(FIXTURE / "results.json")
    only_clean = replace(
        only_clean,
        scenarios=only_clean.scenarios[:1],
        series=tuple(s for s in only_clean.series if s.scenario == "small" and s.instrument == "clean"),
    )
    verdict = gates.evaluate(only_clean)
    view = views.report_view(only_clean, verdict, artefacts.load(tmp_path, only_clean))
    text = html.render(view)
    assert view.scaling == () and view.timelines == () and view.cpu_shift is None
    assert view.stage_timelines == () and "no clean run of small carries a /proc timeline" in text
    absent = re.findall(r'<section id="([^"]+)"><p class="absent"><b>[^<]+</b>: ([^<]+)</p></section>', text)
    assert {anchor for anchor, _ in absent} >= {
        "scaling",
        "memory-timeline",
        "cpu-shift",
        "flamegraphs",
        "stage-timeline",
    }
    # Each absent section is that one line, naming what adds it (a flag, or why it cannot be had).
    assert all("--" in why or "results from before" in why for _, why in absent), absent


def test_cpu_shift_ranks_functions_by_change() -> None:
    base = {("main", "compile"): 60, ("main", "eval"): 50, ("main", "match"): 20}
    cand = {("main", "compile"): 10, ("main", "eval"): 52, ("main", "match"): 20}
    shift = views.cpu_shift(base, cand, 100.0, "large", "all")
    assert [s.function for s in shift.shifts] == ["compile", "eval"]
    assert shift.shifts[0].delta_seconds == pytest.approx(-0.5)
    assert shift.baseline_sampled_seconds == pytest.approx(1.3)


def test_artefacts_load_stacks_and_timelines(suite: results.Suite) -> None:
    loaded = artefacts.load(FIXTURE, suite)
    assert set(loaded.stacks) == {
        ("medium", "baseline"),
        ("medium", "all"),
        ("large", "baseline"),
        ("large", "all"),
    }
    assert set(loaded.timelines) == {("large", "baseline"), ("large", "all")}
    assert loaded.problems == ()


def test_parity_view_shows_the_mismatch(suite: results.Suite) -> None:
    bad = suite.with_run(
        Run(
            "small",
            "P3",
            "clean",
            CANDIDATE,
            0,
            MISMATCH,
            reason="small · P3: C-0013 nginx status",
            report_digest="x",
        )
    )
    view = {p.scenario: p for p in views.parity(bad)}["small"]
    assert view.mismatches == ("small · P3: C-0013 nginx status",)
    assert [r.combination for r in view.rows if not r.identical] == ["P3"]


def test_heat_map_orders_single_phases_first_and_all_last(
    suite: results.Suite, verdict: gates.Verdict
) -> None:
    heat = views.heat_map(suite, verdict)
    assert heat.rows[:6] == ("P1", "P2", "P3", "P4", "P5", "P6") and heat.rows[-1] == "all"
    assert "large\nPython heap (memray)" in heat.columns


def _bench(commit: str, created: str, cpu: float, noise: float = 0.01) -> views.StoredBench:
    suite = results.Suite(
        make_fixture.MACHINE, {}, (results.ScenarioInfo("large", 5000),), created_at=created
    )
    suite = replace(suite, machine=replace(suite.machine, git_commit=commit))
    for repetition in range(6):
        wobble = 1.0 + noise * ((repetition % 3) - 1)
        for role in (BASELINE, "aa"):
            suite = suite.with_run(
                Run(
                    "large", "baseline", "clean", role, repetition, OK, metrics={"cpu_seconds": 30.0 * wobble}
                )
            )
        suite = suite.with_run(
            Run("large", "all", "clean", CANDIDATE, repetition, OK, metrics={"cpu_seconds": cpu * wobble})
        )
    return views.StoredBench(commit, suite)


def test_history_flags_a_step_beyond_the_noise_only() -> None:
    benches = [
        _bench("c1", "2026-03-01", 17.0),
        _bench("c2", "2026-03-02", 17.05),  # within the noise: no step
        _bench("c3", "2026-03-03", 22.0),  # a regression
    ]
    (machine,) = views.history(benches, "cpu_seconds", "large", "all")
    assert [p.commit for p in machine.points] == ["c1", "c2", "c3"]
    assert [p.step for p in machine.points] == ["", "", "up"]
    assert machine.points[2].change_percent == pytest.approx(29.0, abs=1.0)


def test_history_command_lists_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("one", "two"):
        shutil.copytree(
            FIXTURE, tmp_path / name, ignore=shutil.ignore_patterns("*.py", "*.md", "verdict.json")
        )
    assert main(["history", str(tmp_path), "--output", str(tmp_path / "h.png")]) == 0
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    listing = capsys.readouterr().out
    assert "machine: Linux-6.1.0" in listing and listing.count("0123456789ab") >= 2
    assert main(["history", str(tmp_path), "--metric", "peak_rss_bytes"]) == 0
    assert "<svg" in (tmp_path / "history.html").read_text(encoding="utf-8")


def test_report_to_stdout_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(FIXTURE / "results.json"), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("### ksbench: a gate missed")
    (tmp_path / "results.json").write_text('{"format_version": "ksbench-results/0"}')
    assert main(["report", str(tmp_path), "--format", "json"]) == 2


def test_stage_timelines_of_the_largest_scenario(suite: results.Suite) -> None:
    loaded = artefacts.load(FIXTURE, suite)
    assert set(loaded.run_timelines) == {("large", "baseline"), ("large", "all")}
    view = views.report_view(suite, gates.evaluate(suite), loaded)
    assert [(t.scenario, t.combination) for t in view.stage_timelines] == [
        ("large", "baseline"),
        ("large", "all"),
    ]
    baseline = view.stage_timelines[0]
    assert baseline.peaks.peak_rss_stage == "evaluate C-0053 rule-workload-sa-has-rbac over the cluster"
    assert [band[0] for band in baseline.bands][:2] == ["collect", "aggregate"]
    assert baseline.cores and baseline.rss


def test_text_opens_with_one_sentence_per_criterion(suite: results.Suite, verdict: gates.Verdict) -> None:
    from harness.report import text

    lines = text.render(verdict, suite).splitlines()
    assert lines[0] == "The plan's five criteria (exit code 1):"
    assert [line.split(":")[0] for line in lines[1:6]] == [f"{n}. {t}" for n, t in gates.CRITERIA.items()]
    assert lines[1].startswith("1. peak CPU ≥30% lower: FAIL — small 0.947×")
    assert (
        lines[2]
        == "2. peak memory ≥40% lower above 2,500 resources: PASS — large 0.451× (-54.9%) [0.443, 0.459]."
    )
    assert any(
        line.strip().startswith(
            "large · peak RSS: baseline: evaluate C-0053 rule-workload-sa-has-rbac over the cluster"
        )
        for line in lines
    )


def test_a_bench_across_clusters_and_go_runtime_knobs_are_said_in_every_report() -> None:
    config = {
        "variants": {
            "baseline": {"command": ["k"], "env": [], "env_sha256": ""},
            "capped": {
                "command": ["k"],
                "env": ["GOMEMLIMIT"],
                "env_sha256": "x",
                "runtime_env": {"GOMEMLIMIT": "1450MiB"},
                "runtime_env_given": {"GOMEMLIMIT": "50% of 2900MiB"},
                "scenario": "{scenario}-stripped",
            },
        },
        "gated": "capped",
    }
    info = results.ScenarioInfo(
        "large",
        5000,
        "fullprint0000",
        "embedded",
        clusters={
            "capped": {
                "scenario": "large-stripped",
                "fingerprint": "bareprint000",
                "stripped": ["managed-fields"],
            }
        },
        parity_ignores=("managed-fields",),
    )
    suite = results.Suite(make_fixture.MACHINE, config, (info,))
    verdict = gates.evaluate(suite)
    across = "ACROSS CLUSTERS on large: capped scanned large-stripped (fingerprint bareprint000"
    knobs = "variant capped: Go runtime GOMEMLIMIT=1450MiB (given as 50% of 2900MiB)"
    md = markdown.render(verdict, suite)
    assert across in md and knobs in md
    assert md.index(across) < md.index("| | scenario | gate |")  # before the figures
    verdict_json = json_reporter.render(verdict, suite)
    assert verdict_json["scenarios"][0]["parity_ignores"] == ["managed-fields"]
    assert any(across in line for line in verdict_json["comparison_notes"])
    rows = dict(views.machine_rows(suite))
    assert "ACROSS CLUSTERS" in rows["variant capped on large"]
    assert rows["variant capped Go runtime"] == "GOMEMLIMIT=1450MiB"
    plain = text_reporter.render(verdict, suite)
    assert across in plain and knobs in plain
    assert plain.index(across) < plain.index("Gates (")


@pytest.fixture(scope="module")
def quick_start(suite: results.Suite) -> results.Suite:
    """The quick start's shape: the fixture's scenarios, baseline vs all phases only."""
    kept = ("baseline", "all")
    return replace(
        suite,
        series=tuple(s for s in suite.series if s.combination in kept),
        config={**suite.config, "combinations": list(kept)},
    )


def test_the_quick_start_report_has_no_empty_section(quick_start: results.Suite, tmp_path: Path) -> None:
    verdict = gates.evaluate(quick_start)
    _golden("verdict-quickstart.md", markdown.render(verdict, quick_start))
    page = html.render(views.report_view(quick_start, verdict, artefacts.load(FIXTURE, quick_start)))
    assert "no figures" not in page and "inconclusive (missing figures)" not in page
    assert "<h2>Per phase" not in page and "--combinations key adds each phase alone" in page
    assert "not estimable" not in page  # nothing per phase was asked: no note about what it cannot answer
    sections = re.findall(r'<section id="([^"]+)">(.*?)</section>', page, re.S)
    for anchor, body in sections:
        if 'class="absent"' in body:
            assert body.count("<p") == 1 and "<h2>" not in body, anchor  # one line, saying what adds it
