"""`ksbench kubescape artifacts`: the offline policy folder kubescape reads with `--use-artifacts-from`.

Made from a regolibrary checkout with regolibrary's own exporter (`scripts/export.py`, which writes
a release folder: one JSON per framework, exceptions, attack tracks, default config inputs), then
laid out the way kubescape's local policy loader reads a folder: each framework as `<name>.json`,
`exceptions.json`, `attack-tracks.json`, and `controls-inputs.json` (the default config inputs'
`settings.postureControlInputs`). `--ref` exports that ref of the checkout first (the checkout
itself is never touched); `at_date_of` picks the newest release tag no younger than a date.
A record (`ksbench-artifacts.json`) says which regolibrary commit the folder came from.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.exit_codes import EnvironmentProblem, UsageError
from harness.kubescape import tools
from scanner.bounded import MIB, OPTION_FILE_MAX_BYTES, read_json_bounded

RECORD = "ksbench-artifacts.json"
RECORD_FORMAT = "ksbench-kubescape-artifacts/1"
# regolibrary's exporter writes a few MB per file (all controls, all rules); 64 MiB is not an export.
EXPORT_MAX_BYTES = 64 * MIB
EXPORTER = Path("scripts") / "export.py"
# Files the exporter writes that are not frameworks (lists, tables, inputs kubescape reads by name).
_NOT_FRAMEWORKS = {"controls.json", "rules.json", "frameworks.json", "exceptions.json", "attack_tracks.json",
                   "default_config_inputs.json", "security_frameworks.json"}  # fmt: skip
_RELEASE_TAG = re.compile(r"^v\d+(\.\d+)*$")


class ExportFailed(EnvironmentProblem):
    """regolibrary's exporter failed or wrote something kubescape could not read."""


@dataclass(frozen=True)
class Artifacts:
    folder: Path
    regolibrary_commit: str | None
    ref: str | None
    frameworks: tuple[str, ...]


def release_at(regolibrary: Path, date: str) -> str:
    """The newest release tag (vN.N.N, no -rc) whose commit is not younger than date (ISO 8601)."""
    result = tools.run(
        ["git", "-C", str(regolibrary), "for-each-ref", "--sort=-creatordate",
         "--format=%(refname:short) %(creatordate:iso-strict)", "refs/tags"]
    )  # fmt: skip
    if result.returncode != 0:
        raise UsageError(f"{regolibrary}: cannot list its tags: {result.stderr.strip()[:200]}")
    for line in result.text.splitlines():
        name, _, when = line.partition(" ")
        if _RELEASE_TAG.match(name) and when and when <= date:
            return name
    raise UsageError(f"{regolibrary}: no release tag (vN.N.N) is older than {date}")


def commit_date(git_dir: Path, commit: str) -> str:
    result = tools.run(["git", f"--git-dir={git_dir}", "show", "-s", "--format=%cI", commit])
    if result.returncode != 0:
        raise UsageError(f"cannot read the date of {commit[:12]}: {result.stderr.strip()[:200]}")
    return result.text.strip()


def make(regolibrary: Path, out: Path, ref: str | None = None, python: str = sys.executable) -> Artifacts:
    """Export regolibrary (at ref, or the checkout as it is) and lay out kubescape's offline folder."""
    if not (regolibrary / EXPORTER).is_file() and ref is None:
        raise UsageError(f"{regolibrary}: no {EXPORTER} here: give a kubescape/regolibrary checkout")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"--out {out}: not empty; give a new folder")
    with tempfile.TemporaryDirectory(prefix="ksbench-regolibrary-") as scratch:
        tree = _tree_at(regolibrary, ref, Path(scratch) / "tree") if ref else regolibrary
        release = Path(scratch) / "release"
        result = tools.run(
            [python, str(EXPORTER)], cwd=tree, env={"OUTPUT": str(release), "PYTHONDONTWRITEBYTECODE": "1"}
        )
        if result.returncode != 0 or not release.is_dir():
            raise ExportFailed(
                f"regolibrary's exporter failed: {' | '.join(result.stderr.splitlines()[-3:])}"
            )
        out.mkdir(parents=True, exist_ok=True)
        frameworks = _lay_out(release, out)
    commit = _head(regolibrary, ref)
    record = {"format_version": RECORD_FORMAT, "regolibrary_commit": commit, "ref": ref,
              "frameworks": list(frameworks)}  # fmt: skip
    (out / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return Artifacts(out, commit, ref, frameworks)


def read_record(folder: Path) -> dict[str, Any]:
    """The folder's record, or {} for a folder made by hand (kubescape reads those too)."""
    try:
        data = read_json_bounded(folder / RECORD, OPTION_FILE_MAX_BYTES, "artifacts record")
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _tree_at(regolibrary: Path, ref: str, target: Path) -> Path:
    target.mkdir(parents=True)
    archive = target.parent / "tree.tar"
    result = tools.run(["git", "-C", str(regolibrary), "archive", "--format=tar", f"{ref}^{{commit}}"],
                       stdout_path=archive)  # fmt: skip
    if result.returncode != 0:
        raise UsageError(f"--ref {ref}: not in {regolibrary}: {result.stderr.strip()[:200]}")
    with tarfile.open(archive) as tree:
        tree.extractall(target, filter="data")
    if not (target / EXPORTER).is_file():
        raise UsageError(f"--ref {ref}: that tree has no {EXPORTER}")
    return target


def _head(regolibrary: Path, ref: str | None) -> str | None:
    result = tools.run(
        ["git", "-C", str(regolibrary), "rev-parse", "--verify", "--quiet", f"{ref or 'HEAD'}^{{commit}}"]
    )
    return result.text.strip() or None if result.returncode == 0 else None


def _read(path: Path) -> Any:
    try:
        return read_json_bounded(path, EXPORT_MAX_BYTES, "exported policies")
    except (OSError, ValueError, RecursionError) as exc:
        raise ExportFailed(f"{path.name} from regolibrary's exporter is not readable JSON: {exc}") from exc


def _lay_out(release: Path, out: Path) -> tuple[str, ...]:
    frameworks = []
    for path in sorted(release.glob("*.json")):
        if path.name in _NOT_FRAMEWORKS:
            continue
        data = _read(path)
        if isinstance(data, dict) and isinstance(data.get("controls"), list) and data.get("name"):
            shutil.copyfile(path, out / path.name)
            frameworks.append(str(data["name"]))
    if not frameworks:
        raise ExportFailed("regolibrary's exporter wrote no framework")
    for source, target in (
        ("exceptions.json", "exceptions.json"),
        ("attack_tracks.json", "attack-tracks.json"),
    ):
        if (release / source).is_file():
            shutil.copyfile(release / source, out / target)
    inputs = (
        _read(release / "default_config_inputs.json")
        if (release / "default_config_inputs.json").is_file()
        else {}
    )
    controls_inputs = (
        ((inputs.get("settings") or {}).get("postureControlInputs")) if isinstance(inputs, dict) else None
    )
    if not isinstance(controls_inputs, dict):
        raise ExportFailed("regolibrary's default config inputs have no settings.postureControlInputs")
    (out / "controls-inputs.json").write_text(json.dumps(controls_inputs, indent=2) + "\n", encoding="utf-8")
    return tuple(frameworks)
