"""`ksbench kubescape build` with a fake `go`: the cache key, reuse, refused modules, clear refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.exit_codes import EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE
from harness.kubescape import build
from tests.integration.cli_runner import Run, run_ksbench
from tests.kubescape_fakes import git, install_fake_go, make_repo


@pytest.fixture
def ksbench(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    return lambda *args: run_ksbench(capsys, *args)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_go(tmp_path, monkeypatch)
    return make_repo(tmp_path, {"v1.0.0": "", "v1.0.1": "flip=1"})


def test_each_ref_is_built_once_into_the_cache_and_reused(
    ksbench: Callable[..., Run], repo: Path, tmp_path: Path
) -> None:
    first = ksbench("kubescape", "build", "v1.0.1~1", "v1.0.1", "--repo", str(repo))
    assert first.returncode == EXIT_OK, first.stderr
    lines = [line.split("\t") for line in first.stdout.splitlines()]
    assert [line[0] for line in lines] == ["v1.0.1~1", "v1.0.1"]
    assert lines[0][1] == git(repo, "rev-parse", "v1.0.0") and lines[1][1] == git(repo, "rev-parse", "v1.0.1")
    binary = Path(lines[1][2])
    assert (
        binary
        == tmp_path / "cache" / "kubescape" / "bin" / lines[1][1] / "go1.99.0-fake+sv1.0.1" / "kubescape"
    )
    record = json.loads((binary.parent / "build.json").read_text())
    assert record["commit"] == lines[1][1] and record["go_version"] == "go1.99.0-fake"
    assert record["stamp"] == "v1.0.1"  # a tag: the version its release would carry
    assert "\tpath\t" not in "".join(record["modules"]) and any(
        "kubescape/v3" in m for m in record["modules"]
    )
    log = (tmp_path / "go-builds.log").read_text().splitlines()
    assert (
        len(log) == 2 and "-X main.version=v1.0.0 " in log[0] and "versioncheck.BuildNumber=v1.0.1" in log[1]
    )
    again = ksbench("kubescape", "build", "v1.0.0", "--repo", str(repo))
    assert again.returncode == EXIT_OK and "cached" in again.stderr
    assert (tmp_path / "go-builds.log").read_text().count("build") == 2  # no third build
    assert git(repo, "status", "--porcelain") == ""  # the user's checkout is untouched


def test_a_bare_clone_works_like_a_checkout(ksbench: Callable[..., Run], repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    run = ksbench("kubescape", "build", "v1.0.0", "--repo", str(bare))
    assert run.returncode == EXIT_OK, run.stderr


def test_a_refused_module_is_named_with_the_replace_that_gets_past_it(
    ksbench: Callable[..., Run], repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KSBENCH_FAKE_GO_REFUSE", "github.com/kubescape/opa-utils@v0.0.303")
    refused = ksbench("kubescape", "build", "v1.0.0", "--repo", str(repo))
    assert refused.returncode == EXIT_ENVIRONMENT
    assert "refuses github.com/kubescape/opa-utils@v0.0.303 (403 Forbidden)" in refused.stderr
    assert "--replace github.com/kubescape/opa-utils=VERSION" in refused.stderr
    replaced = ksbench(
        "kubescape",
        "build",
        "v1.0.0",
        "--repo",
        str(repo),
        "--replace",
        "github.com/kubescape/opa-utils=v0.0.301",
    )
    assert replaced.returncode == EXIT_OK, replaced.stderr
    assert "modules replaced: github.com/kubescape/opa-utils=v0.0.301" in replaced.stderr
    binary = Path(replaced.stdout.split("\t")[2].strip())
    assert "+r" in binary.parent.name  # a replacement is its own cache key
    assert json.loads((binary.parent / "build.json").read_text())["replaces"] == [
        "github.com/kubescape/opa-utils=v0.0.301"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchref"], "ref 'nosuchref' names no commit"),
        (["v1.0.0", "--replace", "no-version"], "expected MODULE=VERSION"),
        (["--", "-x"], "give a commit, tag or branch"),
    ],
)
def test_bad_refs_and_options_are_usage_errors(
    ksbench: Callable[..., Run], repo: Path, args: list[str], message: str
) -> None:
    run = ksbench("kubescape", "build", "--repo", str(repo), *args)
    assert run.returncode == EXIT_USAGE and message in run.stderr, run.stderr


def test_no_repository_and_no_go_are_refused_clearly(
    ksbench: Callable[..., Run], repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = ksbench("kubescape", "build", "v1", "--repo", str(tmp_path / "nowhere"))
    assert missing.returncode == EXIT_USAGE and "no such folder" in missing.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    not_git = ksbench("kubescape", "build", "v1", "--repo", str(plain))
    assert not_git.returncode == EXIT_USAGE and "not a git repository" in not_git.stderr
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # git, and no go (checked below)
    if build.tools.shutil.which("go"):
        pytest.skip("a real go is in /usr/bin: cannot take it away")
    no_go = ksbench("kubescape", "build", "v1.0.0", "--repo", str(repo))
    assert no_go.returncode == EXIT_ENVIRONMENT and "go is not installed or not on PATH" in no_go.stderr


def test_a_failed_build_says_which_ref_and_what_go_printed(
    ksbench: Callable[..., Run], repo: Path, tmp_path: Path
) -> None:
    (repo / "BROKEN").write_text("x")
    git(repo, "add", "BROKEN")
    git(repo, "commit", "-q", "-m", "broken")
    run = ksbench("kubescape", "build", "main", "--repo", str(repo))
    assert run.returncode == EXIT_ENVIRONMENT
    assert "main: the build failed: ./main.go:3:1: syntax error" in run.stderr
    commit = git(repo, "rev-parse", "main")
    assert build.cached(tmp_path / "cache", commit, "go1.99.0-fake") is None  # nothing half-built is reused


def test_refused_modules_are_read_from_go_output_once_each() -> None:
    stderr = (
        "go: downloading github.com/a/b v1.0.0\n"
        "go: github.com/kubescape/opa-utils@v0.0.303: reading https://proxy/x: 403 Forbidden\n"
        "go: github.com/kubescape/opa-utils@v0.0.303: reading https://proxy/x: 403 Forbidden\n"
        "go: github.com/kubescape/backend@v0.0.46: reading https://proxy/y: 410 Gone\n"
    )
    assert build.refused_modules(stderr) == [
        ("github.com/kubescape/opa-utils", "v0.0.303", "403 Forbidden"),
        ("github.com/kubescape/backend", "v0.0.46", "410 Gone"),
    ]


def test_a_commit_between_tags_is_stamped_like_git_describe_and_no_stamp_is_its_own_build(
    ksbench: Callable[..., Run], repo: Path, tmp_path: Path
) -> None:
    (repo / "extra").write_text("x")
    git(repo, "add", "extra")
    git(repo, "commit", "-q", "-m", "after the tag")
    stamped = ksbench("kubescape", "build", "main", "--repo", str(repo))
    commit = git(repo, "rev-parse", "main")
    assert f"version v1.0.1-1-g{commit[:12]}" in stamped.stderr, stamped.stderr
    plain = ksbench("kubescape", "build", "main", "--repo", str(repo), "--no-stamp")
    assert plain.returncode == EXIT_OK and "no version stamp" in plain.stderr
    assert Path(plain.stdout.split("\t")[2].strip()).parent.name == "go1.99.0-fake"
    assert (tmp_path / "go-builds.log").read_text().splitlines()[-1].split() == [
        "build",
        commit,
    ]  # no -ldflags
