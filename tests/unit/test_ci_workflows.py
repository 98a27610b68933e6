"""The safety properties of the GitHub Actions workflows under deploy/ci/, read from their YAML.

These hold without actionlint or zizmor installed (tests/integration/test_workflow_linters.py runs
those when they are): every action pinned by a full commit, no expression inside a shell script,
permissions declared and read-only where pull-request code runs, no credentials left in a
checkout, and the PR gate's commenting half never checking out code (docs/pr-gate.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

CI = Path(__file__).resolve().parents[2] / "deploy" / "ci"
WORKFLOWS = sorted(CI.glob("*.yml"))
GATE = CI / "kubescape-pr-gate.yml"
COMMENT = CI / "kubescape-pr-gate-comment.yml"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
PINNED_IMAGE = re.compile(r"^docker://[^@\s]+@sha256:[0-9a-f]{64}$")
# Triggers whose runs hold a token that can write (or secrets) next to a pull request's event.
TRUSTED_TRIGGERS = {"workflow_run", "pull_request_target"}


def load(text: str) -> dict[Any, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def triggers(workflow: dict[Any, Any]) -> set[str]:
    # YAML 1.1 reads the bare key `on` as True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    return set(on or ())


def jobs(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[Any, Any]]]:
    yield from (workflow.get("jobs") or {}).items()


def steps(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[Any, Any]]]:
    for name, job in jobs(workflow):
        for step in job.get("steps") or ():
            yield name, step


def unpinned(workflow: dict[Any, Any]) -> list[str]:
    """Every `uses:` not pinned by a 40-hex commit (a local ./ action or workflow excepted)."""
    used = [(name, job["uses"]) for name, job in jobs(workflow) if "uses" in job]
    used += [(name, step["uses"]) for name, step in steps(workflow) if "uses" in step]
    return [
        f"{name}: {ref}"
        for name, ref in used
        if not ref.startswith("./") and not PINNED.match(ref) and not PINNED_IMAGE.match(ref)
    ]


def expressions_in_scripts(workflow: dict[Any, Any]) -> list[str]:
    """Any `${{ }}` in a shell script or a github-script body: values reach scripts through env."""
    found = []
    for name, step in steps(workflow):
        scripts = [step.get("run"), (step.get("with") or {}).get("script")]
        found += [f"{name}: {text.strip().splitlines()[0]}" for text in scripts if text and "${{" in text]
    return found


def write_scopes(permissions: object) -> list[str]:
    if permissions in ("write-all", "read-all"):
        return [str(permissions)] if permissions == "write-all" else []
    if isinstance(permissions, dict):
        return [f"{scope}: {level}" for scope, level in permissions.items() if level == "write"]
    return []


def permission_problems(workflow: dict[Any, Any]) -> list[str]:
    """Permissions at the top and on every job; none that can write where pull requests run."""
    found = [] if "permissions" in workflow else ["no top-level permissions"]
    found += [f"{name}: no permissions" for name, job in jobs(workflow) if "permissions" not in job]
    found += [f"top level: {scope}" for scope in write_scopes(workflow.get("permissions"))]
    if "pull_request" in triggers(workflow):
        found += [
            f"{name} runs pull-request code with {scope}"
            for name, job in jobs(workflow)
            for scope in write_scopes(job.get("permissions"))
        ]
    return found


def checkout_problems(workflow: dict[Any, Any]) -> list[str]:
    """A checkout keeps no token in .git; a trusted trigger checks out nothing at all."""
    checkouts = [(n, s) for n, s in steps(workflow) if str(s.get("uses", "")).startswith("actions/checkout@")]
    found = [
        f"{name}: checkout without persist-credentials: false"
        for name, step in checkouts
        if (step.get("with") or {}).get("persist-credentials") is not False
    ]
    trusted = triggers(workflow) & TRUSTED_TRIGGERS
    found += [
        f"{name}: checkout in a {'/'.join(sorted(trusted))} workflow" for name, _ in checkouts if trusted
    ]
    found += [f"{trigger} trigger" for trigger in triggers(workflow) if trigger == "pull_request_target"]
    return found


CHECKS = (unpinned, expressions_in_scripts, permission_problems, checkout_problems)


def test_the_workflows_are_all_here() -> None:
    # A glob that found nothing would pass every check below.
    assert {p.name for p in WORKFLOWS} >= {GATE.name, COMMENT.name, "github-actions.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_workflow_is_safe(path: Path, check: Any) -> None:
    assert check(load(path.read_text())) == []


def test_the_gate_runs_pull_request_code_read_only_and_comments_from_workflow_run() -> None:
    gate, comment = load(GATE.read_text()), load(COMMENT.read_text())
    assert "pull_request" in triggers(gate)
    assert gate["permissions"] == {}
    assert all(job["permissions"] in ({}, {"contents": "read"}) for _, job in jobs(gate))
    run = (comment.get("on") or comment[True])["workflow_run"]
    assert run["workflows"] == [gate["name"]]
    assert run["types"] == ["completed"]
    assert triggers(comment) == {"workflow_run"}
    assert comment["permissions"] == {}
    assert [job["permissions"] for _, job in jobs(comment)] == [{"actions": "read", "pull-requests": "write"}]
    # The comment job runs no action but the artifact download, and it reads the gate's own run.
    actions = [step["uses"].split("@")[0] for _, step in steps(comment) if "uses" in step]
    assert actions == ["actions/download-artifact"]
    download = next(step for _, step in steps(comment) if "uses" in step)["with"]
    assert download["run-id"] == "${{ github.event.workflow_run.id }}"
    uploaded = {step["with"]["name"] for _, step in steps(gate) if "upload-artifact" in step.get("uses", "")}
    assert download["name"] in uploaded


def test_the_gate_fails_on_findings_and_crashes_whatever_the_performance_setting() -> None:
    settings = next(step for name, step in steps(load(GATE.read_text())) if name == "plan")["run"]
    assert "report) enforce=findings,crash ;;" in settings
    assert 'enforce="findings,crash,$PERFORMANCE"' in settings


BAD = """
name: bad
on:
  pull_request:
  workflow_run:
    workflows: [x]
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b9
      - run: echo "${{ github.event.pull_request.title }}"
      - uses: actions/github-script@0000000000000000000000000000000000000000
        with:
          script: console.log("${{ github.head_ref }}")
  reuse:
    uses: some/repo/.github/workflows/x.yml@main
"""


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (
            unpinned,
            [
                "reuse: some/repo/.github/workflows/x.yml@main",
                "build: actions/checkout@v4",
                "build: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b9",  # 39 hex digits
            ],
        ),
        (
            expressions_in_scripts,
            [
                'build: echo "${{ github.event.pull_request.title }}"',
                'build: console.log("${{ github.head_ref }}")',
            ],
        ),
        (
            permission_problems,
            [
                "no top-level permissions",
                "reuse: no permissions",
                "build runs pull-request code with contents: write",
            ],
        ),
        (
            checkout_problems,
            [
                "build: checkout without persist-credentials: false",
                "build: checkout in a workflow_run workflow",
            ],
        ),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_each_check_catches_what_it_is_for(check: Any, expected: list[str]) -> None:
    assert check(load(BAD)) == expected


def test_a_pull_request_target_trigger_is_refused() -> None:
    workflow = load("on: pull_request_target\npermissions: {}\njobs: {}\n")
    assert checkout_problems(workflow) == ["pull_request_target trigger"]


def test_write_all_is_refused_at_the_top() -> None:
    workflow = load("on: push\npermissions: write-all\njobs: {}\n")
    assert permission_problems(workflow) == ["top level: write-all"]


def test_the_verdict_job_finds_every_shard_in_its_own_folder_however_many() -> None:
    # download-artifact puts a lone artifact's files straight into `path`: each shard artifact
    # carries its folder shard-K, and merge-multiple puts every one of them side by side.
    gate = load(GATE.read_text())
    uploads = [s for name, s in steps(gate) if name == "bench" and "upload-artifact" in s.get("uses", "")]
    assert [s["with"]["path"] for s in uploads] == ["bench-out"]
    runs = "\n".join(s.get("run", "") for name, s in steps(gate) if name == "bench")
    assert '--out "bench-out/shard-$SHARD"' in runs
    downloads = [
        s["with"] for name, s in steps(gate) if name == "verdict" and "download" in s.get("uses", "")
    ]
    assert downloads == [{"pattern": "shard-*", "path": "shards", "merge-multiple": True}]
    judge = next(s["run"] for name, s in steps(gate) if s.get("name") == "Merge and judge")
    assert "shards/shard-$k/results.json" in judge
