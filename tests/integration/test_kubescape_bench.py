"""`ksbench bench --kubescape REF …` end to end: refs built with the fake `go`, scanned offline against
the embedded cluster, findings stability judged before any comparison with the baseline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import results
from harness.exit_codes import EXIT_FINDINGS_MISMATCH, EXIT_USAGE
from tests.integration.cli_runner import Run, run_ksbench
from tests.kubescape_fakes import install_fake_go, make_repo

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ksbench(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., Run]:
    monkeypatch.setenv("KSBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(REPO)
    return lambda *args: run_ksbench(capsys, *args)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "nsa.json").write_text(json.dumps({"name": "NSA", "controls": []}))
    return folder


def _bench(tmp_path: Path, repo: Path, artifacts: Path, *refs: str, repeat: int = 2) -> list[str]:
    args = ["bench", "--scenarios", "small", "--repeat", str(repeat), "--instruments", "clean", "--no-html"]
    args += ["--repo", str(repo), "--artifacts", str(artifacts), "--out", str(tmp_path / "bench")]
    for ref in refs:
        args += ["--kubescape", ref]
    return args


def test_a_build_that_disagrees_with_itself_is_nondeterministic_naming_runs_and_controls(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"base": "", "head": f"flaky={tmp_path / 'flaky-counter'}"})
    run = ksbench(*_bench(tmp_path, repo, artifacts, "base", "head"))
    assert run.returncode == EXIT_FINDINGS_MISMATCH, run.stderr
    assert "more runs of baseline and head" in run.stderr
    text = (tmp_path / "bench" / "verdict.txt").read_text()
    line = next(x for x in text.splitlines() if "small · head: NONDETERMINISTIC" in x)
    assert "2 distinct findings in 3 runs" in line and "controls C-0013" in line
    assert "clean stability r0" in line and "clean stability r1" in line
    assert "small · baseline: stable over" in text
    suite = results.load(tmp_path / "bench" / "results.json")
    own = [r for r in suite.runs() if r.combination == "head" and r.role == results.STABILITY]
    assert any("differs from its own first mismatching run" in r.reason for r in own)


def test_a_stable_change_is_a_findings_change_not_nondeterminism(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"base": "", "head": "flip=1"})
    run = ksbench(*_bench(tmp_path, repo, artifacts, "base", "head"))
    assert run.returncode == EXIT_FINDINGS_MISMATCH, run.stderr
    text = (tmp_path / "bench" / "verdict.txt").read_text()
    assert (
        "small · head: FINDINGS CHANGE — stable over 3 runs, different from the baseline; controls C-0013"
        in text
    )
    assert "NONDETERMINISTIC" not in text


def test_identical_builds_pass_findings_and_the_builds_and_knobs_are_recorded(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"base": "", "head": "cpu=0"})
    args = [
        *_bench(tmp_path, repo, artifacts, "base", "new=head"),
        "--kubescape-env",
        "LARGE_CLUSTER_SIZE=1000000",
    ]
    run = ksbench(*args)
    assert "findings                 identical to baseline" in run.stdout, run.stderr
    suite = results.load(tmp_path / "bench" / "results.json")
    assert set(suite.config["variants"]) == {"baseline", "new"}
    command = suite.config["variants"]["new"]["command"]
    assert command[1:4] == ["scan", "framework", "nsa"] and "--keep-local" in command
    builds = suite.machine.builds
    assert builds["new"]["ref"] == "head" and builds["new"]["go_version"] == "go1.99.0-fake"
    assert builds["new"]["knobs"] == {"LARGE_CLUSTER_SIZE": "1000000"}
    assert builds["_artifacts"]["framework"] == "nsa"


def test_measure_anyway_keeps_the_figures_of_a_change_marked_untrusted(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"base": "", "head": "flip=1"})
    run = ksbench(*_bench(tmp_path, repo, artifacts, "base", "head", repeat=3), "--measure-anyway")
    assert run.returncode == EXIT_FINDINGS_MISMATCH, run.stderr
    suite = results.load(tmp_path / "bench" / "results.json")
    head = [r for r in suite.runs() if r.combination == "head" and r.role == results.CANDIDATE]
    assert len(head) == 3 and all(r.untrusted and r.metrics["cpu_seconds"] > 0 for r in head)
    assert "FINDINGS CHANGE" in run.stdout


def test_kubescape_refs_need_a_repository_and_artifacts_with_the_framework(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"base": ""})
    no_repo = ksbench("bench", "--kubescape", "base", "--kubescape", "base", "--artifacts", str(artifacts))
    assert no_repo.returncode == EXIT_USAGE and "need --repo" in no_repo.stderr
    no_framework = ksbench(*_bench(tmp_path, repo, artifacts, "base", "x=base"), "--framework", "mitre")
    assert no_framework.returncode == EXIT_USAGE and "no framework 'mitre'" in no_framework.stderr


def test_compare_builds_both_benches_them_and_writes_a_markdown_verdict(
    ksbench: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts: Path
) -> None:
    log = install_fake_go(tmp_path, monkeypatch)
    repo = make_repo(tmp_path, {"v1": "", "v2": "cpu=0"})
    out = tmp_path / "compare"
    args = ["kubescape", "compare", "v1", "v2", "--repo", str(repo), "--artifacts", str(artifacts)]
    run = ksbench(*args, "--scenarios", "small", "--repeat", "2", "--out", str(out), "--no-html")
    assert run.returncode in (0, 1, 4), run.stderr  # performance gates at 2 blocks: any verdict, never 3
    assert log.read_text().count("build") == 2
    markdown = (out / "verdict.md").read_text()
    assert "findings" in markdown and "head" in markdown
    suite = results.load(out / "results.json")
    assert suite.config["gated"] == "head" and set(suite.machine.builds) == {"baseline", "head", "_artifacts"}
    assert {r.status for r in suite.runs()} == {results.OK}
