"""Policies in kubescape's regolibrary layout: frameworks, controls, rules, config inputs.

Loads a library folder (ours under library/, or a user's via --policies) into frozen values.
Reads files only; never evaluates Rego (that is scanner.engine's job).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

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
        """The rule's own module plus the helper packages it depends on (file name → source)."""
        modules = {f"{rule.name}/raw.rego": rule.source}
        for package in rule.dependencies:
            if package not in self.helpers:
                raise PolicyError(f"rule {rule.name} depends on unknown package {package!r}")
            modules[f"helpers/{package}.rego"] = self.helpers[package]
        return modules

    def data_for(self, rule: Rule, control: Control | None = None) -> dict[str, Any]:
        """`data.postureControlInputs`: the rule's config inputs plus the control's fixed input."""
        inputs: dict[str, Any] = {}
        posture = self.config_inputs
        for path in rule.config_inputs:
            key = path.split(".")[-1]
            if key in posture:
                inputs[key] = posture[key]
        if control is not None:
            inputs.update(control.fixed_input)
        return {"postureControlInputs": inputs}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc


def _is_relational(meta: Mapping[str, Any], match: tuple[MatchEntry, ...]) -> bool:
    attributes = meta.get("attributes") or {}
    if "relational" in attributes:
        return bool(attributes["relational"])
    kinds = {r for entry in match for r in entry.resources}
    return (
        bool(kinds & RELATIONAL_HINT_RESOURCES)
        or attributes.get("resourcesAggregator") == "subject-role-rolebinding"
    )


def load_rule(rule_dir: Path) -> Rule:
    meta = _read_json(rule_dir / "rule.metadata.json")
    try:
        source = (rule_dir / "raw.rego").read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"rule {rule_dir.name}: {exc}") from exc
    match = tuple(
        MatchEntry(
            api_groups=tuple(entry.get("apiGroups", [])),
            api_versions=tuple(entry.get("apiVersions", [])),
            resources=tuple(entry.get("resources", [])),
        )
        for entry in meta.get("match", [])
    )
    enumerator = rule_dir / "filter.rego"
    return Rule(
        name=meta.get("name", rule_dir.name),
        source=source,
        match=match,
        dependencies=tuple(d["packageName"] for d in meta.get("ruleDependencies", [])),
        config_inputs=tuple(meta.get("configInputs") or meta.get("controlConfigInputs_paths") or []),
        relational=_is_relational(meta, match),
        enumerator_source=enumerator.read_text(encoding="utf-8") if enumerator.exists() else None,
        description=meta.get("description", ""),
    )


def _load_control(path: Path) -> Control:
    raw = _read_json(path)
    category = raw.get("category") or {}
    return Control(
        control_id=raw["controlID"],
        name=raw["name"],
        rule_names=tuple(raw.get("rulesNames", [])),
        base_score=float(raw.get("baseScore", 0)),
        description=raw.get("description", ""),
        remediation=raw.get("remediation", ""),
        category=category.get("name", "") if isinstance(category, dict) else str(category),
        fixed_input=raw.get("fixedInput") or {},
    )


def _load_framework(path: Path) -> Framework:
    raw = _read_json(path)
    ids = raw.get("controlsIDs") or [c["controlID"] for c in raw.get("activeControls", [])]
    return Framework(name=raw["name"], description=raw.get("description", ""), control_ids=tuple(ids or ()))


def load_library(root: Path | None = None) -> Library:
    """Load a regolibrary-layout folder; every control's rules must exist."""
    root = root or LIBRARY_DIR
    if not (root / "rules").is_dir() or not (root / "controls").is_dir():
        raise PolicyError(f"{root}: not a policy library (expected rules/ and controls/ folders)")
    rules = {r.name: r for r in (load_rule(d) for d in sorted((root / "rules").iterdir()) if d.is_dir())}
    controls = {
        c.control_id: c for c in (_load_control(p) for p in sorted((root / "controls").glob("*.json")))
    }
    for control in controls.values():
        missing = [name for name in control.rule_names if name not in rules]
        if missing:
            raise PolicyError(f"control {control.control_id} names unknown rules: {', '.join(missing)}")
    frameworks = {
        f.name: f for f in (_load_framework(p) for p in sorted((root / "frameworks").glob("*.json")))
    }
    config_path = root / "default-config-inputs.json"
    config = _read_json(config_path) if config_path.exists() else {}
    posture = (config.get("settings") or {}).get("postureControlInputs") or {}
    helpers = {pkg: (HELPERS_DIR / name).read_text(encoding="utf-8") for pkg, name in HELPER_PACKAGES.items()}
    return Library(root, frameworks, controls, rules, posture, helpers)
