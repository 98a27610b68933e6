"""The PR gate's shell steps, run with bash as GitHub runs them (docs/pr-gate.md).

Each script is read from the workflow file itself and run with `bash -e`, GitHub's default shell:
the settings check (bad values stop the run, good ones become job outputs), the verdict step
(merge, Markdown, the check's exit code, and a "no verdict" comment when something produced
nothing) with a stand-in `ksbench` that records its arguments, and the comment step with a
stand-in `gh` (a mismatched head posts nothing, an existing comment is updated, not duplicated).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

CI = Path(__file__).resolve().parents[2] / "deploy" / "ci"
BASE_SHA = "1" * 40
HEAD_SHA = "2" * 40
KSBENCH_REF = "3" * 40
MARKER = "<!-- ksbench-pr-gate -->"


def script(path: Path, job: str, step_name: str) -> str:
    steps: list[dict[str, Any]] = yaml.safe_load(path.read_text())["jobs"][job]["steps"]
    return str(next(s["run"] for s in steps if s.get("name") == step_name))


def bash(text: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", text],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


# --- the settings -----------------------------------------------------------------------------


def settings_env(tmp_path: Path, **given: str) -> dict[str, str]:
    env = {
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "KSBENCH_REPOSITORY": "someone/ksbench",
        "KSBENCH_REF": KSBENCH_REF,
        "REGOLIBRARY_REF": "4" * 40,
        "EVENT_NAME": "pull_request",
        "BASE_INPUT": "",
        "SCENARIOS": "small,threshold",
        "BLOCKS": "10",
        "SHARDS": "1",
        "PERFORMANCE": "report",
    }
    return {**env, **given}


SETTINGS = script(CI / "kubescape-pr-gate.yml", "plan", "Validate the settings")


def test_pull_request_defaults_become_the_outputs(tmp_path: Path) -> None:
    done = bash(SETTINGS, tmp_path, settings_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs(tmp_path / "output") == {
        "base": "",
        "scenarios": "small,threshold",
        "blocks": "10",
        "shards": "1",
        "shard-list": "[1]",
        "performance": "report",
        "enforce": "findings,crash",
    }


@pytest.mark.parametrize(
    ("performance", "enforce"),
    [("report", "findings,crash"), ("enforce", "all"), ("wall", "findings,crash,wall"),
     ("wall,memory", "findings,crash,wall,memory")],
)  # fmt: skip
def test_findings_and_crashes_are_always_enforced(tmp_path: Path, performance: str, enforce: str) -> None:
    done = bash(SETTINGS, tmp_path, settings_env(tmp_path, PERFORMANCE=performance))
    assert done.returncode == 0, done.stdout
    assert outputs(tmp_path / "output")["enforce"] == enforce


def test_a_manual_run_compares_with_its_base_input_over_shards(tmp_path: Path) -> None:
    env = settings_env(tmp_path, EVENT_NAME="workflow_dispatch", BASE_INPUT="release/v4.0", SHARDS="3")
    done = bash(SETTINGS, tmp_path, env)
    assert done.returncode == 0, done.stdout
    got = outputs(tmp_path / "output")
    assert (got["base"], got["shards"], got["shard-list"]) == ("release/v4.0", "3", "[1,2,3]")


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("KSBENCH_REF", "0" * 40, "KSBENCH_REF"),
        ("KSBENCH_REF", "main", "KSBENCH_REF"),
        ("KSBENCH_REPOSITORY", "OWNER/ksbench", "KSBENCH_REPOSITORY"),
        ("REGOLIBRARY_REF", "v2.0.33", "REGOLIBRARY_REF"),
        ("SCENARIOS", "small;touch pwned", "scenarios"),
        ("SCENARIOS", "small,", "scenarios"),
        ("BLOCKS", "0", "blocks"),
        ("BLOCKS", "1000", "blocks"),
        ("SHARDS", "17", "shards"),
        ("SHARDS", "2 3", "shards"),
        ("PERFORMANCE", "cpu,findings", "performance"),
        ("BASE_INPUT", "--upload-pack=touch pwned", "base"),
        ("BASE_INPUT", "main..evil", "base"),
        ("BASE_INPUT", "", "base"),
    ],
)
def test_a_bad_setting_stops_the_run_and_is_named(tmp_path: Path, name: str, value: str, named: str) -> None:
    manual = "workflow_dispatch" if name == "BASE_INPUT" else "pull_request"
    done = bash(SETTINGS, tmp_path, settings_env(tmp_path, EVENT_NAME=manual, **{name: value}))
    assert done.returncode == 2
    assert done.stdout.startswith(f"::error title=ksbench settings::{named}")
    assert not value or value not in done.stdout  # a value is never echoed into the log's commands
    assert not (tmp_path / "output").exists()
    assert not (tmp_path / "pwned").exists()


# --- the builds -------------------------------------------------------------------------------

BUILD = script(CI / "kubescape-pr-gate.yml", "build", "Build both commits")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env={**os.environ, **GIT_ENV}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def kubescape_checkout(tmp_path: Path) -> dict[str, str]:
    """A repository whose HEAD is a test merge: main moved on after the branch was cut."""
    repo = tmp_path / "kubescape"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "cut")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "commit", "-q", "--allow-empty", "-m", "the pull request")
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "landed after the cut")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "merge", "-q", "--no-ff", "-m", "test merge", "feature")
    return {
        "base": base,
        "merge": git(repo, "rev-parse", "HEAD"),
        "feature": git(repo, "rev-parse", "feature"),
    }


def build_env(tmp_path: Path, **given: str) -> dict[str, str]:
    fake = tmp_path / "fake-ksbench"
    fake.write_text('#!/bin/bash\nprintf "%s\\n" "$*" >> "$FAKE_LOG"\n')
    fake.chmod(0o755)
    env = {
        "KSBENCH": str(fake),
        "FAKE_LOG": str(tmp_path / "calls"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    return {**env, **GIT_ENV, **given}


def test_a_pull_request_is_compared_with_the_base_its_merge_was_made_on(tmp_path: Path) -> None:
    commits = kubescape_checkout(tmp_path)
    done = bash(BUILD, tmp_path, build_env(tmp_path, EVENT_NAME="pull_request", BASE=""))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        tmp_path / "calls"
    ).read_text() == f"kubescape build {commits['base']} {commits['merge']} --repo kubescape\n"
    assert outputs(tmp_path / "output") == {"base-commit": commits["base"], "head-commit": commits["merge"]}


def test_a_pull_request_run_refuses_a_head_that_is_no_merge(tmp_path: Path) -> None:
    kubescape_checkout(tmp_path)
    git(tmp_path / "kubescape", "checkout", "-q", "feature")
    done = bash(BUILD, tmp_path, build_env(tmp_path, EVENT_NAME="pull_request", BASE=""))
    assert done.returncode == 4
    assert "::error::HEAD is not the pull request's test merge commit" in done.stdout
    assert not (tmp_path / "calls").exists()


def test_a_manual_run_finds_its_base_among_the_remote_branches(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    commits = kubescape_checkout(source)
    subprocess.run(["git", "clone", "-q", str(source / "kubescape"), str(tmp_path / "kubescape")], check=True)
    # actions/checkout makes no local branch but the one it checks out.
    done = bash(BUILD, tmp_path, build_env(tmp_path, EVENT_NAME="workflow_dispatch", BASE="feature"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs(tmp_path / "output") == {
        "base-commit": commits["feature"],
        "head-commit": commits["merge"],
    }


# --- the verdict ------------------------------------------------------------------------------

VERDICT = script(CI / "kubescape-pr-gate.yml", "verdict", "Merge and judge")
# Records its arguments; `merge` writes results.json unless FAKE_MERGE_WRITES=0, exits FAKE_MERGE_EXIT.
FAKE_KSBENCH = """#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_LOG"
case "$1" in
  merge)
    out="${@: -3:1}"
    mkdir -p "$out"
    [[ "${FAKE_MERGE_WRITES:-1}" == 1 ]] && echo '{}' > "$out/results.json"
    exit "${FAKE_MERGE_EXIT:-0}" ;;
  report) echo "### ksbench: fake verdict of $2" ;;
esac
"""


def verdict_env(tmp_path: Path, **given: str) -> dict[str, str]:
    fake = tmp_path / "fake-ksbench"
    fake.write_text(FAKE_KSBENCH)
    fake.chmod(0o755)
    env = {
        "KSBENCH": str(fake),
        "FAKE_LOG": str(tmp_path / "calls"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "BUILD_RESULT": "success",
        "BASE_COMMIT": BASE_SHA,
        "HEAD_COMMIT": HEAD_SHA,
        "SCENARIOS": "small,threshold",
        "BLOCKS": "10",
        "SHARDS": "2",
        "PERFORMANCE": "report",
        "ENFORCE": "findings,crash",
        "PR_NUMBER": "42",
    }
    return {**env, **given}


def shard(tmp_path: Path, k: int, exit_code: int, results: bool = True) -> None:
    folder = tmp_path / "shards" / f"shard-{k}"
    folder.mkdir(parents=True)
    (folder / "exit-code").write_text(f"{exit_code}\n")
    if results:
        (folder / "results.json").write_text("{}")


def verdict_files(tmp_path: Path) -> tuple[str, str, str]:
    folder = tmp_path / "verdict"
    exit_code, pr_number, markdown = (
        (folder / n).read_text() for n in ("exit-code", "pr-number", "verdict.md")
    )
    return exit_code, pr_number, markdown


@pytest.mark.parametrize("merge_exit", [0, 1, 3, 4])
def test_the_merged_verdict_and_its_exit_code(tmp_path: Path, merge_exit: int) -> None:
    shard(tmp_path, 1, 0)
    shard(tmp_path, 2, 3)
    done = bash(VERDICT, tmp_path, verdict_env(tmp_path, FAKE_MERGE_EXIT=str(merge_exit)))
    assert done.returncode == 0, done.stdout + done.stderr  # the last step of the job fails the check
    exit_code, pr_number, markdown = verdict_files(tmp_path)
    assert (exit_code, pr_number) == (f"{merge_exit}\n", "42\n")
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [
        "merge shards/shard-1 shards/shard-2 --out verdict/merged --enforce findings,crash",
        "report verdict/merged --format markdown",
    ]
    first, blank, headline = markdown.splitlines()[:3]
    assert first.startswith(f"base `{BASE_SHA[:12]}` → head `{HEAD_SHA[:12]}`")
    assert first.endswith(
        "· scenarios small,threshold · 10 blocks · 2 shard(s) · performance gates reported, not enforced"
    )
    assert (blank, headline) == ("", "### ksbench: fake verdict of verdict/merged")
    assert (tmp_path / "summary").read_text() == markdown


def test_a_shard_without_results_is_no_verdict(tmp_path: Path) -> None:
    shard(tmp_path, 1, 0)
    shard(tmp_path, 2, 4, results=False)
    bash(VERDICT, tmp_path, verdict_env(tmp_path))
    exit_code, _, markdown = verdict_files(tmp_path)
    assert exit_code == "4\n"
    assert "### ksbench: no verdict" in markdown
    assert "Shard 2/2 wrote no results (exit code 4, see its job's log)." in markdown
    assert not (tmp_path / "calls").exists()  # nothing merged from a partial bench


def test_a_failed_build_is_no_verdict(tmp_path: Path) -> None:
    bash(VERDICT, tmp_path, verdict_env(tmp_path, BUILD_RESULT="failure", BASE_COMMIT="", HEAD_COMMIT=""))
    exit_code, _, markdown = verdict_files(tmp_path)
    assert exit_code == "4\n"
    assert 'kubescape did not build (see the job "Build base and head").' in markdown


def test_a_refused_merge_is_no_verdict(tmp_path: Path) -> None:
    shard(tmp_path, 1, 0)
    shard(tmp_path, 2, 0)
    bash(VERDICT, tmp_path, verdict_env(tmp_path, FAKE_MERGE_EXIT="2", FAKE_MERGE_WRITES="0"))
    exit_code, _, markdown = verdict_files(tmp_path)
    assert exit_code == "2\n"
    assert "ksbench merge refused the shards (exit code 2" in markdown


# --- the comment ------------------------------------------------------------------------------

COMMENT = script(CI / "kubescape-pr-gate-comment.yml", "comment", "Create or update the comment")
# Answers as `gh api` would after its --jq filter; records every call and the last payload.
FAKE_GH = """#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_LOG"
case "$*" in
  "api repos/owner/kubescape/pulls/"*) echo "$FAKE_PR_HEAD" ;;
  "api --paginate "*) printf '%s' "$FAKE_EXISTING" ;;
  "api --method "*) cp "${@: -1}" "$FAKE_PAYLOAD" ;;
  *) exit 9 ;;
esac
"""


def comment_env(tmp_path: Path, pr_number: str, markdown: str, **given: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    verdict = tmp_path / "runner" / "verdict"
    verdict.mkdir(parents=True)
    (verdict / "pr-number").write_text(pr_number)
    (verdict / "verdict.md").write_text(markdown)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "FAKE_LOG": str(tmp_path / "calls"),
        "FAKE_PAYLOAD": str(tmp_path / "payload.json"),
        "FAKE_PR_HEAD": HEAD_SHA,
        "FAKE_EXISTING": "",
        "GH_TOKEN": "not-a-token",
        "REPOSITORY": "owner/kubescape",
        "RUN_HEAD_SHA": HEAD_SHA,
        "RUN_URL": "https://example.invalid/runs/7",
    }
    return {**env, **given}


needs_jq = pytest.mark.skipif(
    shutil.which("jq") is None, reason="jq is not installed (GitHub's runners have it)"
)


@needs_jq
def test_a_new_comment_carries_the_marker_the_verdict_and_the_link(tmp_path: Path) -> None:
    markdown = '### ksbench: pass\n\n$(touch pwned) `rm -rf /` "quoted"\n'
    done = bash(COMMENT, tmp_path, comment_env(tmp_path, "42\n", markdown))
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "api repos/owner/kubescape/pulls/42 --jq .head.sha"
    assert calls[1].startswith("api --paginate repos/owner/kubescape/issues/42/comments --jq ")
    assert calls[2].startswith("api --method POST repos/owner/kubescape/issues/42/comments --input ")
    body = json.loads((tmp_path / "payload.json").read_text())["body"]
    assert body == (
        f"{MARKER}\n{markdown}\n\n"
        "[HTML report, results and logs](https://example.invalid/runs/7) (artifact `ksbench-report`)\n"
    )
    assert not (tmp_path / "pwned").exists()


@needs_jq
def test_an_existing_comment_is_updated(tmp_path: Path) -> None:
    done = bash(COMMENT, tmp_path, comment_env(tmp_path, "42", "### ksbench\n", FAKE_EXISTING="991\n992\n"))
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[2].startswith("api --method PATCH repos/owner/kubescape/issues/comments/991 --input ")
    assert len(calls) == 3


@needs_jq
def test_a_long_verdict_is_capped(tmp_path: Path) -> None:
    done = bash(COMMENT, tmp_path, comment_env(tmp_path, "42", "y" * 100_000))
    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads((tmp_path / "payload.json").read_text())["body"]
    assert body.count("y") == 60_000


def test_a_pull_request_that_moved_on_gets_no_comment(tmp_path: Path) -> None:
    done = bash(COMMENT, tmp_path, comment_env(tmp_path, "42", "### ksbench\n", FAKE_PR_HEAD="5" * 40))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"::notice::pull request 42 is at {'5' * 40}, not {HEAD_SHA}" in done.stdout
    assert (tmp_path / "calls").read_text().splitlines() == [
        "api repos/owner/kubescape/pulls/42 --jq .head.sha"
    ]


@pytest.mark.parametrize("pr_number", ["", "0", "42; touch pwned", "../../pulls/1", "-1"])
def test_an_artifact_naming_no_pull_request_posts_nothing(tmp_path: Path, pr_number: str) -> None:
    done = bash(COMMENT, tmp_path, comment_env(tmp_path, pr_number, "### ksbench\n"))
    assert done.returncode == 1
    assert "::error::the verdict artifact names no pull request" in done.stdout
    assert not (tmp_path / "calls").exists()
    assert not (tmp_path / "pwned").exists()
