"""`ksbench kubescape build`: kubescape at a ref, built with the user's Go into a cache.

The cache (default `$KSBENCH_CACHE`, else `$XDG_CACHE_HOME/ksbench`, else `~/.cache/ksbench`):

    kubescape/src/<commit>[+<replaces>]/            the tree `git archive` exported, testdata left out (never the user's checkout)
    kubescape/bin/<commit>/<go version>[+<replaces>][+s<stamp>]/kubescape
    kubescape/bin/<commit>/<go version>[+<replaces>][+s<stamp>]/build.json   what was built, how, `go version -m`

A binary is reused when its build.json exists: the key is everything that changes it (commit, Go
version, module replacements). Builds pass `-trimpath`, so nearby commits reuse Go's build cache
whatever folder they were exported to. `GOTOOLCHAIN=local`: the user's Go builds it, or the build
fails and says so; Go never downloads another toolchain. A module the Go module proxy refuses is
named, with the refs that need it and the `--replace` that would get past it; a replacement is a
caveat on every figure measured with the binary (recorded in build.json and in the results).

The version is stamped as kubescape's releases stamp it (`-X main.version=V` and the backend's
`versioncheck.BuildNumber=V`, V from `git describe --tags`, e.g. v4.0.0 or v3.0.48-23-g427dccadd39c),
because kubescape chooses rules by it: a rule with `useFromKubescapeVersion` runs only when the
version compares as newer, and a plain `go build` of v4.0.0 calls itself "dev", which compares as
older than every version: it silently skips those rules (C-0002 and C-0035 among NSA's). Without
the stamp (`stamp=""`, what `go build` alone gives v3 and the v4 commits before the release
tooling) the version is empty and every `useFrom` rule runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.exit_codes import EnvironmentProblem, UsageError
from harness.kubescape import tools
from scanner.bounded import OPTION_FILE_MAX_BYTES, read_json_bounded

_NO_TESTDATA = ":(exclude,glob)**/testdata/**"
BUILD_RECORD = "build.json"
BUILD_FORMAT = "ksbench-kubescape-build/1"
BINARY_NAME = "kubescape"
_MODULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~/-]*$")
_VERSION = re.compile(r"^v?[A-Za-z0-9][A-Za-z0-9._+-]*$")
# How Go reports a module the proxy will not serve ("go: example.com/m@v1.2.3: reading …: 403 Forbidden").
_REFUSED = re.compile(
    r"(?P<module>[A-Za-z0-9][A-Za-z0-9._~/-]*)@(?P<version>v[A-Za-z0-9._+-]+):.*?"
    r"(?P<why>403 Forbidden|404 Not Found|410 Gone|not available|unknown revision|invalid version)"
)


class BuildFailed(EnvironmentProblem):
    """Go could not build the ref; the message names the ref and the last lines Go printed."""


@dataclass(frozen=True)
class Replace:
    module: str
    version: str

    def __str__(self) -> str:
        return f"{self.module}={self.version}"


@dataclass(frozen=True)
class Build:
    ref: str
    commit: str
    binary: Path
    go_version: str
    replaces: tuple[Replace, ...]
    modules: tuple[str, ...]  # `go version -m` lines: path, main module, deps, replacements, settings
    reused: bool
    seconds: float
    stamp: str = ""  # the version stamped into the binary ("" none)

    @property
    def caveat(self) -> str:
        """'' for the module set the ref itself asks for; else what was swapped for what."""
        if not self.replaces:
            return ""
        return "modules replaced: " + ", ".join(str(r) for r in self.replaces)

    def record(self) -> dict[str, Any]:
        """What the results keep of a build (the binary's path is the user's; its key is not)."""
        return {
            "ref": self.ref,
            "commit": self.commit,
            "go_version": self.go_version,
            "replaces": [str(r) for r in self.replaces],
            "caveat": self.caveat,
            "stamp": self.stamp,
            "modules": list(self.modules),
        }


def parse_replace(text: str) -> Replace:
    """`MODULE=VERSION` as given to --replace."""
    module, sep, version = text.partition("=")
    module, version = module.strip(), version.strip()
    if not sep or not _MODULE.match(module) or not _VERSION.match(version):
        raise UsageError(
            f"--replace {text!r}: expected MODULE=VERSION, e.g. github.com/kubescape/opa-utils=v0.0.301"
        )
    return Replace(module, version)


def default_cache() -> Path:
    if os.environ.get("KSBENCH_CACHE"):
        return Path(os.environ["KSBENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ksbench"


def check_repo(repo: Path) -> Path:
    """A git checkout or bare clone; the git directory to read it with."""
    if not repo.exists():
        raise UsageError(f"--repo {repo}: no such folder (give a kubescape checkout or bare clone)")
    result = tools.run(["git", "-C", str(repo), "rev-parse", "--absolute-git-dir"])
    if result.returncode != 0:
        raise UsageError(f"--repo {repo}: not a git repository ({_last_line(result.stderr)})")
    return Path(result.text.strip())


def resolve(git_dir: Path, ref: str) -> str:
    """The full commit a ref names in the repository; a usage error naming the ref when it names none."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"ref {ref!r}: give a commit, tag or branch")
    result = tools.run(
        ["git", f"--git-dir={git_dir}", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
    )
    commit = result.text.strip()
    if result.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        raise UsageError(f"ref {ref!r} names no commit in {git_dir}")
    return commit


def go_version(go: str = "go") -> str:
    result = tools.run([go, "env", "GOVERSION"])
    version = result.text.strip()
    if result.returncode != 0 or not version:
        raise tools.ToolMissing(f"{go} env GOVERSION failed: {_last_line(result.stderr)}")
    return version


def _replace_key(replaces: Sequence[Replace]) -> str:
    if not replaces:
        return ""
    text = "\n".join(sorted(str(r) for r in replaces))
    return "+r" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _stamp_key(stamp: str) -> str:
    return f"+s{re.sub(r'[^A-Za-z0-9._-]', '_', stamp)}" if stamp else ""


def binary_dir(
    cache: Path, commit: str, version: str, replaces: Sequence[Replace] = (), stamp: str = ""
) -> Path:
    return cache / "kubescape" / "bin" / commit / f"{version}{_replace_key(replaces)}{_stamp_key(stamp)}"


def describe(git_dir: Path, commit: str) -> str:
    """The version kubescape's release tooling would stamp: the newest v* tag, and the commits since."""
    result = tools.run(
        ["git", f"--git-dir={git_dir}", "describe", "--tags", "--match", "v*", "--abbrev=12", commit]
    )
    text = result.text.strip()
    return (
        text
        if result.returncode == 0 and re.fullmatch(r"v[0-9A-Za-z.+-]+", text)
        else f"v0.0.0-{commit[:12]}"
    )


def cached(
    cache: Path, commit: str, version: str, replaces: Sequence[Replace] = (), stamp: str = ""
) -> Path | None:
    """The binary built for this key, when a finished build left its record."""
    folder = binary_dir(cache, commit, version, replaces, stamp)
    binary = folder / BINARY_NAME
    return binary if binary.is_file() and (folder / BUILD_RECORD).is_file() else None


def load_record(binary: Path) -> dict[str, Any]:
    path = binary.parent / BUILD_RECORD
    try:
        record = read_json_bounded(path, OPTION_FILE_MAX_BYTES, "build record")
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"{path}: not a readable build record ({exc}); build again") from exc
    if not isinstance(record, dict) or record.get("format_version") != BUILD_FORMAT:
        raise UsageError(f"{binary.parent / BUILD_RECORD}: not a build record of this ksbench; build again")
    return record


def build(
    git_dir: Path,
    ref: str,
    cache: Path,
    *,
    replaces: Sequence[Replace] = (),
    go: str = "go",
    stamped: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Build:
    """Build kubescape at ref (or reuse the cached binary) and describe it."""
    commit = resolve(git_dir, ref)
    version = go_version(go)
    stamp = describe(git_dir, commit) if stamped else ""
    found = cached(cache, commit, version, replaces, stamp)
    if found is not None:
        record = load_record(found)
        return Build(ref, commit, found, version, tuple(replaces), tuple(record["modules"]), True, 0.0, stamp)
    started = datetime.now(UTC)
    source = _export(git_dir, commit, cache / "kubescape" / "src" / f"{commit}{_replace_key(replaces)}")
    env = {"GOFLAGS": "-buildvcs=false", "GOTOOLCHAIN": "local"}
    for one in replaces:
        _go(go, ["mod", "edit", f"-replace={one.module}={one.module}@{one.version}"], source, env, ref)
    progress(f"{ref} ({commit[:12]}): downloading modules")
    download = tools.run([go, "mod", "download"], cwd=source, env=env)
    if download.returncode != 0:
        raise BuildFailed(_failure(ref, download.stderr))
    folder = binary_dir(cache, commit, version, replaces, stamp)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{BINARY_NAME}.partial"
    progress(f"{ref} ({commit[:12]}): go build with {version} (a first build takes up to an hour on 2 cores)")
    built = tools.run(
        [go, "build", "-trimpath", *_ldflags(stamp), "-o", str(partial), "."],
        cwd=source,
        env=env,
        heartbeat=lambda seconds: progress(f"{ref}: still building, {seconds / 60:.0f} min"),
    )
    if built.returncode != 0:
        raise BuildFailed(_failure(ref, built.stderr))
    modules = _modules(go, partial)
    os.replace(partial, folder / BINARY_NAME)
    seconds = (datetime.now(UTC) - started).total_seconds()
    record = {
        "format_version": BUILD_FORMAT,
        "ref": ref,
        "commit": commit,
        "go_version": version,
        "replaces": [str(r) for r in replaces],
        "stamp": stamp,
        "modules": list(modules),
        "built_at": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
    }
    (folder / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return Build(ref, commit, folder / BINARY_NAME, version, tuple(replaces), modules, False, seconds, stamp)


def _ldflags(stamp: str) -> list[str]:
    """Where kubescape's release tooling puts the version (v4: main.version; v3: the backend's)."""
    if not stamp:
        return []
    targets = ("main.version", "github.com/kubescape/backend/pkg/versioncheck.BuildNumber")
    return ["-ldflags", " ".join(f"-X {target}={stamp}" for target in targets)]


def _export(git_dir: Path, commit: str, target: Path) -> Path:
    """The commit's tree in target (once; a half-written export is removed and done again)."""
    done = target / ".ksbench-exported"
    if done.is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="ksbench-archive-") as scratch:
        archive = Path(scratch) / "tree.tar"
        # testdata folders are left out: the go tool ignores them, and a clone without its large
        # blobs (a partial or size-capped mirror) still builds.
        argv = ["git", f"--git-dir={git_dir}", "archive", "--format=tar", commit, "--", ".", _NO_TESTDATA]
        result = tools.run(argv, stdout_path=archive)
        if result.returncode != 0:
            raise BuildFailed(f"git archive {commit[:12]} failed: {_last_line(result.stderr)}")
        with tarfile.open(archive) as tree:
            tree.extractall(target, filter="data")  # the data filter refuses links and paths out of target
    done.write_text(commit + "\n", encoding="utf-8")
    return target


def _go(go: str, args: list[str], cwd: Path, env: dict[str, str], ref: str) -> None:
    result = tools.run([go, *args], cwd=cwd, env=env)
    if result.returncode != 0:
        raise BuildFailed(f"{ref}: go {' '.join(args)} failed: {_last_line(result.stderr)}")


def _modules(go: str, binary: Path) -> tuple[str, ...]:
    result = tools.run([go, "version", "-m", str(binary)])
    if result.returncode != 0:
        raise BuildFailed(f"go version -m {binary} failed: {_last_line(result.stderr)}")
    lines = [" ".join(line.split()) for line in result.text.splitlines()[1:]]  # first line: the path
    return tuple(line for line in lines if line)


def refused_modules(stderr: str) -> list[tuple[str, str, str]]:
    """(module, version, why) for every module Go says the proxy would not serve, in order, once each."""
    found = {(m["module"], m["version"]): m["why"] for m in _REFUSED.finditer(stderr)}
    return [(module, version, why) for (module, version), why in found.items()]


def _failure(ref: str, stderr: str) -> str:
    refused = refused_modules(stderr)
    if refused:
        named = "; ".join(f"{module}@{version} ({why})" for module, version, why in refused)
        example = refused[0][0]
        return (
            f"{ref}: the Go module proxy refuses {named}. Build with --replace {example}=VERSION "
            "(a version the proxy serves); every figure from that build carries the replacement as a caveat"
        )
    return f"{ref}: the build failed: {_last_line(stderr, 3)}"


def _last_line(text: str, count: int = 1) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "(no message)"
