"""Lint every GitHub Actions workflow under deploy/ci/ with actionlint and zizmor (`tox -e lint`).

actionlint is built from source with the user's Go (`go install` from the Go module proxy) into
TOOLS/bin, once per version; its PyPI wrapper downloads a prebuilt binary instead, which cannot
work where only package registries are reachable. zizmor comes from PyPI (tox installs it) and
runs offline: its online audits need a GitHub token, which this lint never reads.

Exit codes: 0 nothing reported, 1 a linter reported something, 4 a tool is missing or did not build.
Usage: python .ci/lint_workflows.py --tools DIR [WORKFLOW...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint"
ACTIONLINT_VERSION = "v1.7.12"
WORKFLOWS = Path(__file__).resolve().parent.parent / "deploy" / "ci"
EXIT_OK, EXIT_FINDINGS, EXIT_ENVIRONMENT = 0, 1, 4


class ToolMissing(Exception):
    """A linter that cannot be run here; the message says how to get it."""


def installed_actionlint_version(binary: Path) -> str | None:
    if not binary.is_file():
        return None
    done = subprocess.run([str(binary), "-version"], capture_output=True, text=True, check=False)
    return done.stdout.split("\n", 1)[0].strip() or None


def actionlint(tools: Path) -> Path:
    """TOOLS/bin/actionlint at ACTIONLINT_VERSION, built with `go install` when absent or older."""
    binary = tools / "bin" / "actionlint"
    if installed_actionlint_version(binary) == ACTIONLINT_VERSION:
        return binary
    go = shutil.which("go")
    if go is None:
        raise ToolMissing(
            "Go is not installed (no `go` on PATH): actionlint is built from source with "
            f"`go install {ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}`. Install Go 1.25 or later "
            "and run `tox -e lint` again."
        )
    print(f"lint: building actionlint {ACTIONLINT_VERSION} into {binary.parent}", file=sys.stderr)
    env = {**os.environ, "GOBIN": str(binary.parent)}
    done = subprocess.run([go, "install", f"{ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}"], env=env, check=False)
    if done.returncode != 0 or installed_actionlint_version(binary) != ACTIONLINT_VERSION:
        raise ToolMissing(
            f"`go install {ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}` failed (exit {done.returncode}): "
            "is the Go module proxy reachable (GOPROXY)?"
        )
    return binary


def zizmor() -> Path:
    # tox installs zizmor into the environment that runs this script.
    beside = Path(sys.executable).parent / "zizmor"
    found = str(beside) if beside.is_file() else shutil.which("zizmor")
    if found is None:
        raise ToolMissing("zizmor is not installed: `pip install zizmor` (tox -e lint installs it)")
    return Path(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tools", type=Path, required=True, help="folder that holds the built actionlint")
    parser.add_argument(
        "workflows", type=Path, nargs="*", help="default: every *.yml and *.yaml in deploy/ci/"
    )
    args = parser.parse_args(argv)
    workflows = args.workflows or sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    if not workflows:
        print(f"lint: no workflow in {WORKFLOWS}", file=sys.stderr)
        return EXIT_FINDINGS
    try:
        linters = [
            [str(actionlint(args.tools.resolve())), *map(str, workflows)],
            [str(zizmor()), "--offline", "--no-progress", *map(str, workflows)],
        ]
    except ToolMissing as exc:
        print(f"lint: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    failed = []
    for command in linters:
        name = Path(command[0]).name
        print(f"lint: {name} on {len(workflows)} workflow(s)", file=sys.stderr)
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"lint: {' and '.join(failed)} reported findings in deploy/ci/", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
