"""Built kubescape binaries as bench variants: offline, reproducible, with their knobs recorded.

The command every kubescape variant runs:

    <binary> scan framework <NAME> --use-artifacts-from <DIR> --keep-local --format json
        --output {report} --kubeconfig {kubeconfig}

with `KS_SKIP_UPDATE_CHECK=true` (no version check over the network). `--kubescape-env K=V` adds
environment to every kubescape variant, e.g. `LARGE_CLUSTER_SIZE=1000000` to pin kubescape's
per-namespace switch off (it is read from the environment, default 2,500).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.exit_codes import UsageError
from harness.kubescape import artifacts, build
from harness.run import variants as run_variants
from harness.run.variants import BASELINE, Variant, make

OFFLINE_ENV = {"KS_SKIP_UPDATE_CHECK": "true"}
# Knobs that change what a Go kubescape does or costs; their values in effect are recorded per variant.
RUNTIME_KNOBS = (*run_variants.RUNTIME_KNOBS, "GODEBUG", "LARGE_CLUSTER_SIZE")
DEFAULT_FRAMEWORK = "nsa"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Spec:
    """`[NAME=]REF` as given to --kubescape."""

    name: str
    ref: str


def parse_spec(text: str, index: int) -> Spec:
    """The first ref given is the baseline unless named; the others are named after their ref."""
    name, sep, ref = text.partition("=")
    if not sep:
        name, ref = ("" if index else BASELINE), text
    ref = ref.strip()
    if not ref:
        raise UsageError(f"--kubescape {text!r}: expected [NAME=]REF, e.g. fbef268f or base=v4.0.0")
    name = name.strip() or re.sub(r"[^A-Za-z0-9._-]+", "-", ref).strip("-.") or f"ref{index}"
    return Spec(name, ref)


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for text in pairs:
        key, sep, value = text.partition("=")
        if not sep or not _ENV_NAME.match(key):
            raise UsageError(
                f"--kubescape-env {text!r}: expected NAME=VALUE, e.g. LARGE_CLUSTER_SIZE=1000000"
            )
        env[key] = value
    return env


def command(binary: Path, folder: Path, framework: str) -> list[str]:
    return [
        str(binary), "scan", "framework", framework, "--use-artifacts-from", str(folder), "--keep-local",
        "--format", "json", "--output", "{report}", "--kubeconfig", "{kubeconfig}",
    ]  # fmt: skip


def knobs(variant_env: Mapping[str, str]) -> dict[str, str]:
    """The runtime knobs a variant sets (what --kubescape-env gave it)."""
    return {name: variant_env[name] for name in RUNTIME_KNOBS if name in variant_env}


def check_artifacts(folder: Path, framework: str) -> None:
    if not folder.is_dir():
        raise UsageError(
            f"--artifacts {folder}: no such folder (make one with `ksbench kubescape artifacts`)"
        )
    if not (folder / f"{framework.lower()}.json").is_file():
        raise UsageError(f"--artifacts {folder}: no framework {framework!r} there ({framework.lower()}.json)")


def resolve(
    specs: Sequence[Spec],
    git_dir: Path,
    cache: Path,
    folder: Path,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    env: Mapping[str, str] | None = None,
    replaces: Sequence[build.Replace] = (),
    stamped: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[tuple[Variant, ...], dict[str, Any]]:
    """Each spec built (or found in the cache) as a variant; with what the results record of them."""
    check_artifacts(folder, framework)
    chosen: list[Variant] = []
    records: dict[str, Any] = {}
    for spec in specs:
        built = build.build(git_dir, spec.ref, cache, replaces=replaces, stamped=stamped, progress=progress)
        progress(f"{spec.name}: {spec.ref} = {built.commit[:12]} ({'cached' if built.reused else 'built'})")
        variant_env = {**OFFLINE_ENV, **(env or {})}
        chosen.append(make(spec.name, command(built.binary, folder.resolve(), framework), variant_env))
        records[spec.name] = {**built.record(), "knobs": knobs(variant_env)}
    records["_artifacts"] = {"framework": framework, **artifacts.read_record(folder)}
    return tuple(chosen), records
