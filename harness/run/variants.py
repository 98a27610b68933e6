"""Scanners under test as commands: a variant is a name, a command line template and an environment.

`NAME=COMMAND` (from `--variant`) or a TOML file (from `--variants`):

    [variants.baseline]
    command = "kubescape scan framework nsa --format json --output {report} --kubeconfig {kubeconfig}"
    [variants.streaming]
    command = "kubescape scan framework nsa --format json --output {report} --kubeconfig {kubeconfig} --enable-streaming"
    env = { GOMAXPROCS = "2" }

Placeholders: {report} (where the run's report must be written; required), {kubeconfig},
{context}, {manifests}. The variant named `baseline` is the reference the others are paired with.

A variant may scan another cluster than the bench's scenario: `scenario = "large-stripped"` in its
table, or `--variant NAME@SCENARIO=COMMAND`; `{scenario}` in it is the bench's scenario (so
`scenario = "{scenario}-stripped"` follows every scenario benched). Both clusters are up for the
whole block; the comparison is then across clusters, and says so.

Go runtime knobs in `env` (GOGC, GOMEMLIMIT, GOMAXPROCS) are recorded with their values; any other
variable by name and a digest of the values. `GOMEMLIMIT = "50% of 2900MiB"` is computed here
(1450MiB): a share of a figure such as the baseline's peak RSS from an earlier bench.
A command whose program is a Python interpreter runs its script or module under the child
trampoline in process (VmHWM; memray and py-spy apply); any other program is exec'd from it
(CPU and peak RSS from wait4; memray and py-spy do not apply).

Pure: parses and renders argv lists; must not spawn processes or read reports.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.bounded import OPTION_FILE_MAX_BYTES, read_text_bounded

BASELINE = "baseline"
PLACEHOLDERS = ("report", "kubeconfig", "context", "manifests")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ANY_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
SCENARIO_PLACEHOLDER = "{scenario}"
# The Go runtime's own knobs: not secrets, and what a reader must see to understand a figure.
RUNTIME_KNOBS = ("GOGC", "GOMEMLIMIT", "GOMAXPROCS")
_SHARE_OF = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*of\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$")
_UNIT_BYTES = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


class VariantError(ValueError):
    """A variant that cannot be run as given; the message says which and why."""


@dataclass(frozen=True)
class Variant:
    name: str
    command: tuple[str, ...]  # the template, split like a shell would
    env: tuple[tuple[str, str], ...] = ()
    scenario: str | None = None  # the cluster it scans, when not the bench's scenario ({scenario} allowed)
    computed: tuple[tuple[str, str], ...] = ()  # env values as given, where computed (GOMEMLIMIT shares)

    def scenario_for(self, bench_scenario: str) -> str:
        """The scenario this variant scans when the bench's scenario is `bench_scenario`."""
        if self.scenario is None:
            return bench_scenario
        return self.scenario.replace(SCENARIO_PLACEHOLDER, bench_scenario)

    @property
    def is_python(self) -> bool:
        """Its program is a Python interpreter: it runs under the in-process trampoline."""
        return bool(_PYTHON.match(Path(self.command[0]).name))

    def argv(self, values: Mapping[str, str]) -> list[str]:
        """The command with its placeholders filled in; a placeholder the target lacks is an error."""

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in values:
                raise VariantError(f"variant {self.name}: this target gives no {{{key}}}")
            return values[key]

        return [_PLACEHOLDER.sub(fill, part) for part in self.command]

    def config(self) -> dict[str, Any]:
        """What identifies it in results.json: the command, env names with a digest of their values,
        the Go runtime knobs' values, and the cluster it scans when that is not the bench's."""
        values = "\0".join(f"{k}={v}" for k, v in self.env)
        found: dict[str, Any] = {
            "command": list(self.command),
            "env": [k for k, _ in self.env],
            "env_sha256": hashlib.sha256(values.encode()).hexdigest()[:16] if self.env else "",
        }
        runtime = {k: v for k, v in self.env if k in RUNTIME_KNOBS}
        if runtime:
            found["runtime_env"] = runtime
        if self.computed:
            found["runtime_env_given"] = dict(self.computed)
        if self.scenario is not None:
            found["scenario"] = self.scenario
        return found


def share_of(name: str, text: str) -> str | None:
    """`50% of 2900MiB` → `1450MiB` (bytes when not a whole MiB); None when `text` is not that form."""
    match = _SHARE_OF.match(text)
    if match is None:
        return None
    percent, amount, unit = float(match.group(1)), float(match.group(2)), match.group(3) or "B"
    if not 0 < percent <= 100:
        raise VariantError(f"{name} = {text!r}: the share must be above 0% and at most 100%")
    limit = int(percent / 100.0 * amount * _UNIT_BYTES[unit])
    if limit <= 0:
        raise VariantError(f"{name} = {text!r}: that is no memory at all")
    return f"{limit // 2**20}MiB" if limit % 2**20 == 0 else str(limit)


def target_values(source_args: Sequence[str], report: Path) -> dict[str, str]:
    """{report}, and {kubeconfig}/{context} or {manifests} from a target's source arguments."""
    values = {"report": str(report)}
    args = list(source_args)
    for flag, key in (("--kubeconfig", "kubeconfig"), ("--context", "context")):
        if flag in args and args.index(flag) + 1 < len(args):
            values[key] = args[args.index(flag) + 1]
    if len(args) == 1 and not args[0].startswith("-"):
        values["manifests"] = args[0]
    return values


def make(
    name: str, command: str | Sequence[str], env: Mapping[str, Any] | None, scenario: Any = None
) -> Variant:
    if not _NAME.match(name):
        raise VariantError(f"variant name {name!r}: use letters, digits, '.', '_' or '-'")
    try:
        parts = tuple(shlex.split(command) if isinstance(command, str) else (str(p) for p in command))
    except ValueError as exc:
        raise VariantError(f"variant {name}: cannot split the command: {exc}") from exc
    if not parts:
        raise VariantError(f"variant {name}: the command is empty")
    unknown = sorted({m for p in parts for m in _ANY_PLACEHOLDER.findall(p)} - set(PLACEHOLDERS))
    if unknown:
        raise VariantError(
            f"variant {name}: unknown placeholder {{{unknown[0]}}} (known: {', '.join(PLACEHOLDERS)})"
        )
    if not any("{report}" in p for p in parts):
        raise VariantError(f"variant {name}: the command must write its JSON report to {{report}}")
    if scenario is not None:
        bare = scenario.replace(SCENARIO_PLACEHOLDER, "x") if isinstance(scenario, str) else ""
        if not bare or not all(c.isalnum() or c in "-_./" for c in bare):
            raise VariantError(
                f"variant {name}: scenario {scenario!r} is not a scenario name (letters, digits, '-', '_', "
                "{scenario}) or a path to its .toml file"
            )
    given = {str(k): str(v) for k, v in (env or {}).items()}
    computed = []
    for key, value in given.items():
        limit = share_of(f"variant {name}: {key}", value) if key == "GOMEMLIMIT" else None
        if limit is not None:
            computed.append((key, value))
            given[key] = limit
    pairs = tuple(sorted(given.items()))
    return Variant(name, parts, pairs, scenario, tuple(computed))


def parse_variant(text: str) -> Variant:
    """`NAME=COMMAND LINE` or `NAME@SCENARIO=COMMAND LINE` as given to --variant."""
    name, sep, command = text.partition("=")
    if not sep:
        raise VariantError(f"--variant {text!r}: expected NAME='command line with {{report}}'")
    name, at, scenario = name.partition("@")
    return make(name.strip(), command, None, scenario.strip() if at else None)


def load_variants(path: Path) -> tuple[Variant, ...]:
    """[variants.NAME] tables with `command` (a string or a list) and optional `env`, in file order."""
    try:
        data = tomllib.loads(read_text_bounded(Path(path), OPTION_FILE_MAX_BYTES, "--variants"))
    except (OSError, ValueError) as exc:  # unreadable, not a regular file, too large, not UTF-8 or TOML
        raise VariantError(f"{path}: not a readable TOML file: {exc}") from exc
    tables = data.get("variants")
    if not isinstance(tables, dict) or not tables:
        raise VariantError(f"{path}: expected [variants.NAME] tables with a command each")
    out = []
    for name, table in tables.items():
        if not isinstance(table, dict) or "command" not in table:
            raise VariantError(f"{path}: [variants.{name}] needs a command")
        env = table.get("env", {})
        if not isinstance(env, dict):
            raise VariantError(f"{path}: [variants.{name}] env must be a table of NAME = value")
        unknown = sorted(set(table) - {"command", "env", "scenario"})
        if unknown:
            raise VariantError(f"{path}: [variants.{name}] {unknown[0]}: allowed are command, env, scenario")
        out.append(make(name, table["command"], env, table.get("scenario")))
    return tuple(out)


def check(variants: Sequence[Variant]) -> tuple[Variant, ...]:
    """Unique names, one of them `baseline` (put first), and at least one to compare it with."""
    names = [v.name for v in variants]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise VariantError(f"variant {duplicated[0]} is given twice")
    if BASELINE not in names:
        raise VariantError("name one variant baseline: the reference the others are paired with")
    if len(variants) < 2:
        raise VariantError("give at least one variant besides baseline")
    baseline = next(v for v in variants if v.name == BASELINE)
    if baseline.scenario is not None:
        raise VariantError("the baseline scans the bench's scenario: give the candidates their scenario")
    return tuple(sorted(variants, key=lambda v: v.name != BASELINE))
