"""Policies in kubescape's regolibrary layout: frameworks, controls, rules, config inputs.

Loads a library folder (ours under library/, or a user's via --policies, such as a checkout of
kubescape/regolibrary as it is) into frozen values. Hidden folders and folders without a
rule.metadata.json are not rules; duplicate rule names or control IDs are errors naming both files.
Reads files only; never evaluates Rego (that is scanner.engine's job).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.bounded import OPTION_FILE_MAX_BYTES, read_json_bounded, read_text_bounded
from scanner.policies.reads import PER_OBJECT, InputReads, analyse_rule

LIBRARY_DIR = Path(str(resources.files("scanner.policies") / "library"))
HELPERS_DIR = Path(str(resources.files("scanner.policies") / "helpers"))
# Packages the regolibrary rules import from kubescape's opa-utils; ours are written from scratch.
HELPER_PACKAGES = {
    "cautils": "cautils.rego",
    "kubernetes.api.client": "kubernetes_api_client.rego",
    "workloads": "workloads.rego",
    "rbac": "rbac.rego",
}
# A rule without the `relational` attribute that matches these kinds joins objects across namespaces
# (a binding names its role and subjects elsewhere), so it must see the whole cluster at once.
RELATIONAL_HINT_RESOURCES = frozenset({"RoleBinding", "ClusterRoleBinding"})
SUBJECT_AGGREGATOR = "subject-role-rolebinding"


class PolicyError(ValueError):
    """A library folder, framework, control or rule that cannot be loaded as asked."""


@dataclass(frozen=True)
class MatchEntry:
    api_groups: tuple[str, ...]
    api_versions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    source: str
    match: tuple[MatchEntry, ...]
    dependencies: tuple[str, ...]
    config_inputs: tuple[str, ...]
    relational: bool
    enumerator_source: str | None = None
    description: str = ""
    # Host-sensor and cloud kinds (KubeletInfo, ClusterDescribe, ...): read from manifests or
    # --host-data, never listed from the API server.
    dynamic_match: tuple[MatchEntry, ...] = ()
    aggregator: str = ""  # attributes.resourcesAggregator, e.g. subject-role-rolebinding
    # What its Rego reads of `input` (scanner.policies.reads): relational when a result for one
    # object can depend on another, whatever kinds it matches.
    reads: InputReads = PER_OBJECT
    # attributes.joinKey: "subject" declares that the rule joins only along RBAC subjects, so X4 may
    # evaluate it in groups keyed by subject (scanner.subjects); "namespace" that it joins only
    # within one namespace, so X5 may evaluate it per namespace (scanner.namespaces); "" whole.
    join_key: str = ""

    @property
    def inputs(self) -> tuple[MatchEntry, ...]:
        """Every match entry the rule's input is selected by: `match` and `dynamicMatch`."""
        return self.match + self.dynamic_match


@dataclass(frozen=True)
class Control:
    control_id: str
    name: str
    rule_names: tuple[str, ...]
    base_score: float
    description: str = ""
    remediation: str = ""
    category: str = ""
    fixed_input: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """kubescape's mapping from base score to severity."""
        if self.base_score >= 9:
            return "Critical"
        if self.base_score >= 7:
            return "High"
        if self.base_score >= 4:
            return "Medium"
        if self.base_score >= 1:
            return "Low"
        return "Unknown"


@dataclass(frozen=True)
class Framework:
    name: str
    description: str
    control_ids: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    root: Path
    frameworks: Mapping[str, Framework]
    controls: Mapping[str, Control]
    rules: Mapping[str, Rule]
    config_inputs: Mapping[str, Any]
    helpers: Mapping[str, str]
    data_control_inputs: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"cloudProvider": "eks"}
    # (where, why) of what under root was not read: a scan reports each as a problem.
    skipped: tuple[tuple[str, str], ...] = ()

    def select(
        self, frameworks: list[str] | None = None, control_ids: list[str] | None = None
    ) -> list[Control]:
        """The controls a scan runs, sorted by ID; unknown names raise PolicyError."""
        chosen: dict[str, Control] = {}
        for name in frameworks or []:
            framework = self._framework(name)
            for control_id in framework.control_ids:
                chosen[control_id] = self._control(control_id)
        for control_id in control_ids or []:
            chosen[control_id] = self._control(control_id)
        if not frameworks and not control_ids:
            chosen = dict(self.controls)
        return [chosen[k] for k in sorted(chosen)]

    def _framework(self, name: str) -> Framework:
        for key, framework in self.frameworks.items():
            if key.lower() == name.lower():
                return framework
        raise PolicyError(f"unknown framework {name!r}; known: {', '.join(sorted(self.frameworks))}")

    def _control(self, control_id: str) -> Control:
        if control_id not in self.controls:
            raise PolicyError(f"unknown control {control_id!r}")
        return self.controls[control_id]

    def modules_for(self, rule: Rule) -> dict[str, str]:
        """The rule's own module plus every helper package (file name → source).

        Every helper, declared or not: kubescape loads its helper modules for every rule, and
        regolibrary rules call data.cautils without declaring it.
        """
        modules = {f"{rule.name}/raw.rego": rule.source}
        for package, source in sorted(self.helpers.items()):
            modules[f"helpers/{package}.rego"] = source
        return modules

    def data_for(self, rule: Rule, control: Control | None = None) -> dict[str, Any]:
        """`data.postureControlInputs` (the rule's config inputs plus the control's fixed input),
        and `data.dataControlInputs` when any were given."""
        inputs: dict[str, Any] = {}
        posture = self.config_inputs
        for path in rule.config_inputs:
            key = path.split(".")[-1]
            if key in posture:
                inputs[key] = posture[key]
        if control is not None:
            inputs.update(control.fixed_input)
        data: dict[str, Any] = {"postureControlInputs": inputs}
        if self.data_control_inputs:
            data["dataControlInputs"] = dict(self.data_control_inputs)
        return data


def _read_json(path: Path) -> Any:
    try:
        return read_json_bounded(path, OPTION_FILE_MAX_BYTES, "JSON file")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, not UTF-8, not JSON
        raise PolicyError(f"{path}: {exc}") from exc
    except RecursionError as exc:
        raise PolicyError(f"{path}: nested too deeply") from exc


def _strings(value: Any, where: Path, field_name: str) -> tuple[str, ...]:
    """A JSON list of strings (null or missing is empty); anything else is a PolicyError naming the field."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: {field_name} must be a list of strings")
    return tuple(value)


def _text(value: Any, default: str = "") -> str:
    """A display field: strings as they are, null as the default, other scalars as their JSON text."""
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value)


def _is_relational(
    meta: Mapping[str, Any],
    match: tuple[MatchEntry, ...],
    dynamic_match: tuple[MatchEntry, ...],
    reads: InputReads,
) -> bool:
    """Relational by what the Rego reads (never overruled by metadata), else by what it declares or matches."""
    if reads.relational:
        return True
    attributes = meta.get("attributes") or {}
    if not isinstance(attributes, dict):
        attributes = {}
    if "relational" in attributes:
        return bool(attributes["relational"])
    kinds = {r for entry in match for r in entry.resources}
    # A rule reading host-sensor or cloud objects joins them with whatever else it matches:
    # it must see them all in one evaluation, like an aggregating rule.
    return (
        bool(kinds & RELATIONAL_HINT_RESOURCES)
        or bool(attributes.get("resourcesAggregator"))
        or bool(dynamic_match)
    )


def _match_entries(rule_dir: Path, raw: Any, field_name: str) -> tuple[MatchEntry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise PolicyError(f"{rule_dir / 'rule.metadata.json'}: {field_name} must be a list of objects")
    where = rule_dir / "rule.metadata.json"
    return tuple(
        MatchEntry(
            api_groups=_strings(entry.get("apiGroups"), where, f"{field_name}.apiGroups"),
            api_versions=_strings(entry.get("apiVersions"), where, f"{field_name}.apiVersions"),
            resources=_strings(entry.get("resources"), where, f"{field_name}.resources"),
        )
        for entry in raw
    )


def _config_input_paths(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """`configInputs` (paths), else `controlConfigInputs` (objects with a `path`)."""
    config_inputs = meta.get("configInputs")
    paths = [p for p in config_inputs if isinstance(p, str)] if isinstance(config_inputs, list) else []
    control_inputs = meta.get("controlConfigInputs")
    for entry in control_inputs if isinstance(control_inputs, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            paths.append(entry["path"])
    return tuple(dict.fromkeys(paths))


def is_rule_folder(path: Path) -> bool:
    """A rule lives in a visible folder with a rule.metadata.json; anything else (.regal/, notes) is not one."""
    return path.is_dir() and not path.name.startswith(".") and (path / "rule.metadata.json").is_file()


def load_rule(rule_dir: Path) -> Rule:
    meta = _read_json(rule_dir / "rule.metadata.json")
    if not isinstance(meta, dict):
        raise PolicyError(f"{rule_dir / 'rule.metadata.json'}: expected a JSON object")
    try:
        source = read_text_bounded(rule_dir / "raw.rego", OPTION_FILE_MAX_BYTES, "rule")
    except (OSError, ValueError) as exc:
        raise PolicyError(f"rule {rule_dir.name}: {exc}") from exc
    match = _match_entries(rule_dir, meta.get("match"), "match")
    dynamic_match = _match_entries(rule_dir, meta.get("dynamicMatch"), "dynamicMatch")
    attributes = meta.get("attributes") or {}
    enumerator = rule_dir / "filter.rego"
    dependencies = meta.get("ruleDependencies")
    try:
        enumerator_source = (
            read_text_bounded(enumerator, OPTION_FILE_MAX_BYTES, "rule") if enumerator.exists() else None
        )
    except (OSError, ValueError) as exc:
        raise PolicyError(f"rule {rule_dir.name}: {exc}") from exc
    reads = analyse_rule(source, enumerator_source, _helper_sources())
    return Rule(
        name=_text(meta.get("name")) or rule_dir.name,
        source=source,
        match=match,
        dependencies=tuple(
            d["packageName"]
            for d in (dependencies if isinstance(dependencies, list) else [])
            if isinstance(d, dict) and isinstance(d.get("packageName"), str)
        ),
        config_inputs=_config_input_paths(meta),
        relational=_is_relational(meta, match, dynamic_match, reads),
        enumerator_source=enumerator_source,
        description=_text(meta.get("description")),
        dynamic_match=dynamic_match,
        aggregator=str(attributes.get("resourcesAggregator") or "") if isinstance(attributes, dict) else "",
        reads=reads,
        join_key=_text(attributes.get("joinKey")) if isinstance(attributes, dict) else "",
    )


def _load_control(path: Path) -> Control:
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a control must be a JSON object")
    if not raw.get("controlID") or not isinstance(raw["controlID"], str):
        raise PolicyError(f"{path}: control has no controlID")
    category = raw.get("category") or {}
    score = raw.get("baseScore")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise PolicyError(f"{path}: baseScore must be a number")
    fixed_input = raw.get("fixedInput") or {}
    if not isinstance(fixed_input, dict):
        raise PolicyError(f"{path}: fixedInput must be a JSON object")
    return Control(
        control_id=raw["controlID"],
        name=_text(raw.get("name")) or raw["controlID"],
        rule_names=_strings(raw.get("rulesNames"), path, "rulesNames"),
        base_score=float(score or 0),
        description=_text(raw.get("description")),
        remediation=_text(raw.get("remediation")),
        category=_text(category.get("name")) if isinstance(category, dict) else _text(category),
        fixed_input=fixed_input,
    )


def _load_framework(path: Path) -> Framework:
    raw = _read_json(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise PolicyError(f"{path}: a framework must be a JSON object with a name")
    active = raw.get("activeControls")
    ids = _strings(raw.get("controlsIDs"), path, "controlsIDs") or tuple(
        c["controlID"]
        for c in (active if isinstance(active, list) else [])
        if isinstance(c, dict) and isinstance(c.get("controlID"), str)
    )
    return Framework(name=raw["name"], description=_text(raw.get("description")), control_ids=ids)


def _unique(items: list[tuple[str, Path, Any]], what: str) -> dict[str, Any]:
    """Key → value; a key defined twice is an error naming both files."""
    seen: dict[str, Path] = {}
    out: dict[str, Any] = {}
    for key, path, value in items:
        if key in seen:
            raise PolicyError(f"duplicate {what} {key!r}: {seen[key]} and {path}")
        seen[key] = path
        out[key] = value
    return out


def _visible_json(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if p.is_file() and not p.name.startswith("."))


def load_rules(root: Path) -> list[tuple[Path, Rule]]:
    """Every rule folder under root/rules with its rule, in folder order; a name used twice is an error."""
    rules_dir = root / "rules"
    if not rules_dir.is_dir():
        raise PolicyError(f"{root}: no rules/ folder")
    linked = {Path(where) for where, _ in linked_rule_folders(root)}
    loaded = [(d, load_rule(d)) for d in sorted(rules_dir.iterdir()) if d not in linked and is_rule_folder(d)]
    _unique([(r.name, d / "rule.metadata.json", r) for d, r in loaded], "rule name")
    return loaded


def linked_rule_folders(root: Path) -> list[tuple[str, str]]:
    """(folder, why) for each symbolic link to a folder in root/rules: not followed, so a link can
    neither bring in a folder from elsewhere unseen nor loop; the caller says so."""
    rules_dir = root / "rules"
    return [
        (str(d), "not read: a symbolic link to a folder, not followed (put the rule folder itself here)")
        for d in sorted(rules_dir.iterdir())
        if d.is_symlink() and d.is_dir()
    ]


def load_config_inputs(root: Path) -> dict[str, Any]:
    """`settings.postureControlInputs` of root/default-config-inputs.json; {} without that file."""
    config_path = root / "default-config-inputs.json"
    config = _read_json(config_path) if config_path.exists() else {}
    settings = config.get("settings") if isinstance(config, dict) else None
    posture = settings.get("postureControlInputs") if isinstance(settings, dict) else None
    return dict(posture) if isinstance(posture, dict) else {}


def load_helpers() -> dict[str, str]:
    return {pkg: (HELPERS_DIR / name).read_text(encoding="utf-8") for pkg, name in HELPER_PACKAGES.items()}


@functools.cache
def _helper_sources() -> dict[str, str]:
    """The helper packages every rule is compiled with, read once: what a rule calls is analysed too."""
    return load_helpers()


def load_library(root: Path | None = None) -> Library:
    """Load a regolibrary-layout folder; every control's rules must exist."""
    root = root or LIBRARY_DIR
    if not (root / "rules").is_dir() or not (root / "controls").is_dir():
        raise PolicyError(f"{root}: not a policy library (expected rules/ and controls/ folders)")
    rules = {rule.name: rule for _, rule in load_rules(root)}
    skipped = tuple(linked_rule_folders(root))
    controls: dict[str, Control] = _unique(
        [(c.control_id, p, c) for p, c in ((p, _load_control(p)) for p in _visible_json(root / "controls"))],
        "control ID",
    )
    for control in controls.values():
        missing = [name for name in control.rule_names if name not in rules]
        if missing:
            why = "; ".join(f"{where}: {reason}" for where, reason in skipped)
            raise PolicyError(
                f"control {control.control_id} names unknown rules: {', '.join(missing)}"
                + (f" (skipped: {why})" if why else "")
            )
    frameworks = {f.name: f for f in (_load_framework(p) for p in _visible_json(root / "frameworks"))}
    posture = load_config_inputs(root)
    helpers = load_helpers()
    for rule in rules.values():
        unknown = [d for d in rule.dependencies if d not in helpers]
        if unknown:
            raise PolicyError(f"rule {rule.name} depends on unknown package(s): {', '.join(unknown)}")
    return Library(root, frameworks, controls, rules, posture, helpers, skipped=skipped)


def load_data_control_inputs(path: Path) -> dict[str, Any]:
    """A JSON object given to every rule as `data.dataControlInputs` (e.g. {"cloudProvider": "eks"})."""
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: data control inputs must be a JSON object")
    return raw
