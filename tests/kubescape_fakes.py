"""A kubescape repository to build and a fake `go` on PATH: what `ksbench kubescape` tests build with.

The repository is a real git repository (commits, tags, `fbef268f~1`-style refs); the fake `go`
(tests/data/fake_go.py) turns a tree into an executable that runs the fake kubescape, with the
switches in the tree's FAKE_KUBESCAPE file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FAKE_GO = Path(__file__).resolve().parent / "data" / "fake_go.py"
GO_MOD = (
    "module github.com/kubescape/kubescape/v3\n\ngo 1.25\n\nrequire github.com/kubescape/opa-utils v0.0.303\n"
)


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """git in repo with a fixed identity; `date` sets the commit's committer date (tags sort by it)."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin", "HOME": str(repo)}  # fmt: skip
    if date is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = date
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    )
    return done.stdout.strip()


def make_repo(root: Path, heads: dict[str, str]) -> Path:
    """A repository whose commits are tagged by the keys of heads, each tree's FAKE_KUBESCAPE the value."""
    repo = root / "kubescape"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "go.mod").write_text(GO_MOD)
    (repo / "main.go").write_text("package main\n\nfunc main() {}\n")
    for tag, switches in heads.items():
        (repo / "FAKE_KUBESCAPE").write_text(switches + "\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", tag)
        git(repo, "tag", tag)
    return repo


def install_fake_go(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`go` on PATH (first), logging each build to the returned file."""
    folder = root / "fake-go-bin"
    folder.mkdir(parents=True, exist_ok=True)
    go = folder / "go"
    go.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_GO}" "$@"\n')
    go.chmod(0o755)
    log = root / "go-builds.log"
    monkeypatch.setenv("PATH", f"{folder}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("KSBENCH_FAKE_GO_LOG", str(log))
    monkeypatch.setenv("KSBENCH_CACHE", str(root / "cache"))
    return log
