"""A stand-in for `go` in tests of `ksbench kubescape build`: no compiler, the same conversation.

Installed on PATH as `go` by the tests. It answers the calls the build makes:

    go env GOVERSION                  → $KSBENCH_FAKE_GO_VERSION (default go1.99.0-fake)
    go mod edit -replace=M=M@V        → a replace line appended to go.mod
    go mod download                   → fails like the module proxy (403) for each module@version
                                        in $KSBENCH_FAKE_GO_REFUSE (comma-separated) that go.mod
                                        requires and does not replace
    go build -trimpath -o OUT .       → OUT: an executable that runs tests/data/fake_kubescape.py,
                                        with the switches in the tree's FAKE_KUBESCAPE file (if any)
                                        as KSBENCH_FAKE_KUBESCAPE; one line per build appended to
                                        $KSBENCH_FAKE_GO_LOG
    go version -m OUT                 → the module lines a real build records
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

FAKE_KUBESCAPE = Path(__file__).with_name("fake_kubescape.py")
VERSION = os.environ.get("KSBENCH_FAKE_GO_VERSION", "go1.99.0-fake")


def _requires(go_mod: str) -> list[tuple[str, str]]:
    out = []
    for line in go_mod.splitlines():
        words = line.replace("require", "").split()
        if len(words) == 2 and words[1].startswith("v"):
            out.append((words[0], words[1]))
    return out


def _replaced(go_mod: str) -> set[str]:
    return {line.split()[1] for line in go_mod.splitlines() if line.startswith("replace ")}


def main(argv: list[str]) -> int:
    if argv[:2] == ["env", "GOVERSION"]:
        print(VERSION)
        return 0
    if argv[:2] == ["mod", "edit"] and argv[2].startswith("-replace="):
        module, _, target = argv[2][len("-replace=") :].partition("=")
        path, _, version = target.partition("@")
        with open("go.mod", "a", encoding="utf-8") as go_mod:
            go_mod.write(f"replace {module} => {path} {version}\n")
        return 0
    if argv[:2] == ["mod", "download"]:
        text = Path("go.mod").read_text(encoding="utf-8")
        refused = set(filter(None, os.environ.get("KSBENCH_FAKE_GO_REFUSE", "").split(",")))
        failing = [
            f"{m}@{v}" for m, v in _requires(text) if f"{m}@{v}" in refused and m not in _replaced(text)
        ]
        for one in failing:
            print(f"go: {one}: reading https://proxy.example/{one}.info: 403 Forbidden", file=sys.stderr)
        return 1 if failing else 0
    if argv[:1] == ["build"] and "-o" in argv:
        out = Path(argv[argv.index("-o") + 1])
        switches = Path("FAKE_KUBESCAPE").read_text().strip() if Path("FAKE_KUBESCAPE").exists() else ""
        if Path("BROKEN").exists():
            print("./main.go:3:1: syntax error: unexpected }", file=sys.stderr)
            return 1
        out.write_text(
            f"#!{sys.executable}\nimport os, sys\n"
            f"os.environ.setdefault('KSBENCH_FAKE_KUBESCAPE', {switches!r})\n"
            f"os.execv(sys.executable, [sys.executable, {str(FAKE_KUBESCAPE)!r}, *sys.argv[1:]])\n"
        )
        out.chmod(out.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if os.environ.get("KSBENCH_FAKE_GO_LOG"):
            with open(os.environ["KSBENCH_FAKE_GO_LOG"], "a", encoding="utf-8") as log:
                flags = argv[argv.index("-ldflags") + 1] if "-ldflags" in argv else ""
                log.write(f"build {Path.cwd().name} {flags}\n")
        return 0
    if argv[:2] == ["version", "-m"]:
        text = Path(argv[2]).read_text(encoding="utf-8")
        print(
            f"{argv[2]}: {VERSION}\n\tpath\tgithub.com/kubescape/kubescape/v3\n\tmod\tgithub.com/kubescape/kubescape/v3\t(devel)"
        )
        print(f"\tbuild\t-trimpath=true\n\tbuild\tfake={len(text)}")
        return 0
    print(f"fake go: unsupported call: go {' '.join(argv)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
