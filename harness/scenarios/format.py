"""The scenario file format: load and validate TOML files into frozen `Scenario` values.

Owns the format (documented in scenarios/README.md), the per-kind counts a scenario implies and
the misconfiguration shares. Must not generate objects, talk to a cluster or spawn processes.
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.exit_codes import UsageError
from harness.scenarios.kinds import CUSTOM_KINDS, GENERATED_KINDS, KIND_BY_NAME, POD_SPEC_OWNERS, WIDGET
from harness.scenarios.sizes import SIZED_KINDS, SizeTarget, default_sizes
from scanner.bounded import OPTION_FILE_MAX_BYTES, read_text_bounded
from scanner.parity import parse_strippable

# Kinds whose count is a share of the remainder; Namespaces and Nodes are given as counts and
# the CustomResourceDefinition comes with the adversarial widgets.
SHARED_KINDS: tuple[str, ...] = tuple(
    info.kind
    for info in GENERATED_KINDS
    if info.kind not in ("Namespace", "Node", "CustomResourceDefinition")
)


# Misconfiguration → the kinds whose objects are eligible for it. For pod-spec misconfigurations
# the eligible objects are those that author a pod spec: workload controllers and Pods without an
# owner (ReplicaSets and owned Pods inherit their owner's template).
MISCONFIGURATIONS: dict[str, tuple[str, ...]] = {
    "privileged": POD_SPEC_OWNERS,
    "host_network": POD_SPEC_OWNERS,
    "host_pid": POD_SPEC_OWNERS,
    "host_ipc": POD_SPEC_OWNERS,
    "host_path_mount": POD_SPEC_OWNERS,
    "no_resource_limits": POD_SPEC_OWNERS,
    "run_as_root": POD_SPEC_OWNERS,
    "writable_root_fs": POD_SPEC_OWNERS,
    "dangerous_capabilities": POD_SPEC_OWNERS,
    "automount_service_account_token": POD_SPEC_OWNERS,
    "secrets_in_env": POD_SPEC_OWNERS,
    "latest_image_tag": POD_SPEC_OWNERS,
    "wildcard_rbac": ("Role", "ClusterRole"),  # the built-in cluster-admin ClusterRole excluded
    "cluster_admin_bindings": ("RoleBinding", "ClusterRoleBinding"),
    "unprotected_namespaces": ("Namespace",),
    "exposed_services": ("Service",),
    "outdated_kubelet": ("Node",),
    "cordoned_nodes": ("Node",),
}

_TOP_LEVEL_FIELDS = (
    "name",
    "description",
    "total_resources",
    "seed",
    "namespaces",
    "nodes",
    "forbidden",
    "kinds",
    "misconfigurations",
    "adversarial",
    "compact",
    "realistic",
    "sizes",
    "imported",
    "counts",
)
_IMPORTED_FIELDS = (
    "name",
    "description",
    "imported",
    "total_resources",
    "namespaces",
    "nodes",
    "counts",
    "forbidden",
    "seed",
)
_REALISTIC_FIELDS = ("helm_release_share", "crds", "custom_resources")
_ADVERSARIAL_FIELDS = ("widgets", "hub_role_bindings", "duplicates", "exceptions")
_DERIVED_FIELDS = ("name", "description", "derived_from", "strip")
_SHARE_TOLERANCE = 1e-6
_DERIVATION_DEPTH = 8  # derived from derived from …: deeper than this is taken for a loop


@dataclass(frozen=True)
class Scenario:
    """One scenario file, validated. Shares are fractions in [0, 1]."""

    name: str
    description: str
    total_resources: int
    seed: int
    namespaces: int
    nodes: int
    kind_shares: tuple[tuple[str, float], ...]
    misconfiguration_shares: tuple[tuple[str, float], ...]
    forbidden: tuple[str, ...] = ()
    widgets: int = 0  # adversarial: Widgets served under two API versions (plus their CRD)
    hub_role_bindings: int = 0  # adversarial: RoleBindings in one namespace → other namespaces' SAs
    duplicates: int = 0  # adversarial: objects written twice in the rendered manifests
    exceptions_file: Path | None = None
    # compact: today's small objects (quick tests); otherwise objects as a real API server returns them.
    compact: bool = False
    helm_release_share: float = 0.0  # share of the Secrets that are Helm release Secrets
    crds: int = 0  # CustomResourceDefinitions beyond the adversarial Widget's
    custom_resources: int = 0  # objects of those CRDs' kinds
    sizes: tuple[tuple[str, SizeTarget], ...] = ()  # JSON bytes per object, median and p90
    imported: Path | None = None  # an imported dump's objects file: served as is, nothing generated
    counts: tuple[tuple[str, int], ...] = ()  # an imported dump's objects per kind
    # A derived scenario (`ksbench scenario derive`): its parent's objects without these fields
    # (scanner.parity.STRIPPABLE names), served as a cluster of its own.
    derived_from: str | None = None
    strip: tuple[str, ...] = ()
    source_path: Path | None = field(default=None, compare=False)

    def kind_share(self, kind: str) -> float:
        return dict(self.kind_shares).get(kind, 0.0)

    def misconfiguration_share(self, name: str) -> float:
        return dict(self.misconfiguration_shares).get(name, 0.0)

    def size(self, kind: str) -> SizeTarget:
        return dict(self.sizes).get(kind) or default_sizes()[kind]


def scenarios_dir() -> Path:
    """Where named scenarios live: $KSBENCH_SCENARIOS, else the repository's scenarios/, else the
    copy a non-editable install puts under <prefix>/share/ksbench/scenarios."""
    env = os.environ.get("KSBENCH_SCENARIOS")
    if env:
        return Path(env)
    repo_dir = Path(__file__).resolve().parents[2] / "scenarios"  # the checkout's top-level scenarios/
    if repo_dir.is_dir():
        return repo_dir
    return Path(sys.prefix) / "share" / "ksbench" / "scenarios"


def list_scenarios() -> list[Scenario]:
    return [load_scenario(path) for path in sorted(scenarios_dir().glob("*.toml"))]


def load_scenario(name_or_path: str | Path, *, compact: bool | None = None) -> Scenario:
    """Load a scenario by name (scenarios_dir()/NAME.toml) or by path; UsageError when unknown or invalid.

    `compact` overrides the file's choice (tests of logic rather than realism use compact objects).
    """
    scenario = _load(name_or_path, None, 0)
    if compact is not None and compact != scenario.compact:
        return replace(scenario, compact=compact)
    return scenario


def _scenario_path(name_or_path: str | Path, beside: Path | None) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or os.sep in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise UsageError(f"scenario file {path} does not exist")
        return path
    # A derived scenario names its parent: beside the derived file first, then the scenarios folder.
    if beside is not None and (beside / f"{text}.toml").is_file():
        return beside / f"{text}.toml"
    path = scenarios_dir() / f"{text}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.toml"))) or "none"
        raise UsageError(f"unknown scenario {text!r}; known scenarios: {known} (in {scenarios_dir()})")
    return path


def _load(name_or_path: str | Path, beside: Path | None, depth: int) -> Scenario:
    path = _scenario_path(name_or_path, beside)
    try:
        data = tomllib.loads(read_text_bounded(path, OPTION_FILE_MAX_BYTES, "scenario file"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, or not UTF-8
        raise UsageError(f"{path}: cannot read: {exc}") from exc
    if "derived_from" in data:
        return _parse_derived(data, path, depth)
    return parse_scenario(data, path)


def _parse_derived(data: Mapping[str, Any], path: Path, depth: int) -> Scenario:
    """A derived scenario: its parent (loaded as any scenario) under a new name, with fields stripped."""
    for key in data:
        if key not in _DERIVED_FIELDS:
            raise _fail(
                path, key, f"not allowed in a derived scenario; allowed: {', '.join(_DERIVED_FIELDS)}"
            )
    name = data.get("name")
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise _fail(path, "name", f"{name!r} is not allowed; letters, digits, '-' and '_' are")
    parent_name = data["derived_from"]
    if not isinstance(parent_name, str) or not parent_name:
        raise _fail(path, "derived_from", "the name of a scenario (or a path to its .toml file)")
    if depth >= _DERIVATION_DEPTH:
        raise _fail(path, "derived_from", f"more than {_DERIVATION_DEPTH} derivations deep: a loop?")
    strip = data.get("strip")
    if not isinstance(strip, list) or not all(isinstance(item, str) for item in strip):
        raise _fail(path, "strip", 'a list of field names, e.g. ["managed-fields", "last-applied"]')
    try:
        fields = parse_strippable(",".join(strip))
    except ValueError as exc:
        raise _fail(path, "strip", str(exc)) from exc
    parent = _load(parent_name, path.parent, depth + 1)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _fail(path, "description", "must be a string")
    merged = tuple(dict.fromkeys([*parent.strip, *fields]))
    return replace(
        parent, name=name, description=description, derived_from=parent.name, strip=merged, source_path=path
    )


def _fail(path: Path | None, field_name: str, problem: str) -> UsageError:
    return UsageError(f"{path or '<scenario>'}: field {field_name!r}: {problem}")


def _int(
    data: Mapping[str, Any], key: str, path: Path | None, *, minimum: int, default: int | None = None
) -> int:
    if key not in data:
        if default is None:
            raise _fail(path, key, f"missing; an integer >= {minimum} is required")
        return default
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(path, key, f"{value!r} is not allowed; an integer >= {minimum} is required")
    return value


def _shares(
    table: Any, allowed: Sequence[str], path: Path | None, table_name: str
) -> tuple[tuple[str, float], ...]:
    if not isinstance(table, dict):
        raise _fail(path, table_name, "must be a table of NAME = share")
    result: list[tuple[str, float]] = []
    for key, value in table.items():
        if key not in allowed:
            raise _fail(path, f"{table_name}.{key}", f"unknown name; allowed: {', '.join(allowed)}")
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
            raise _fail(
                path, f"{table_name}.{key}", f"{value!r} is not allowed; a share between 0 and 1 is required"
            )
        result.append((key, float(value)))
    return tuple(sorted(result))


def parse_scenario(data: Mapping[str, Any], path: Path | None = None) -> Scenario:
    """Validate a parsed scenario document; every error names the field and what is allowed."""
    for key in data:
        if key not in _TOP_LEVEL_FIELDS:
            raise _fail(path, key, f"unknown field; allowed: {', '.join(_TOP_LEVEL_FIELDS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise _fail(path, "name", f"{name!r} is not allowed; letters, digits, '-' and '_' are")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _fail(path, "description", "must be a string")
    if "imported" in data:
        return _parse_imported(data, path, name, description)
    total = _int(data, "total_resources", path, minimum=1)
    seed = _int(data, "seed", path, minimum=0)
    namespaces = _int(data, "namespaces", path, minimum=1)
    nodes = _int(data, "nodes", path, minimum=0, default=1)
    kinds = _shares(data.get("kinds"), SHARED_KINDS, path, "kinds")
    share_sum = sum(share for _, share in kinds)
    if abs(share_sum - 1.0) > _SHARE_TOLERANCE:
        raise _fail(path, "kinds", f"shares sum to {share_sum:.6f}; they must sum to 1")
    misconfigurations = _shares(
        data.get("misconfigurations", {}), tuple(MISCONFIGURATIONS), path, "misconfigurations"
    )
    forbidden = _forbidden(data, path)
    adversarial = _subtable(data, "adversarial", _ADVERSARIAL_FIELDS, path)
    exceptions_file = _exceptions_file(adversarial, path)
    compact = data.get("compact", False)
    if not isinstance(compact, bool):
        raise _fail(path, "compact", "must be true or false")
    helm_share, crds, custom_resources = _realistic(
        _subtable(data, "realistic", _REALISTIC_FIELDS, path), path
    )
    scenario = Scenario(
        name=name,
        description=description,
        total_resources=total,
        seed=seed,
        namespaces=namespaces,
        nodes=nodes,
        kind_shares=kinds,
        misconfiguration_shares=misconfigurations,
        forbidden=tuple(forbidden),
        widgets=_int(adversarial, "widgets", path, minimum=0, default=0),
        hub_role_bindings=_int(adversarial, "hub_role_bindings", path, minimum=0, default=0),
        duplicates=_int(adversarial, "duplicates", path, minimum=0, default=0),
        exceptions_file=exceptions_file,
        compact=compact,
        helm_release_share=helm_share,
        crds=crds,
        custom_resources=custom_resources,
        sizes=_sizes(data.get("sizes", {}), path),
        source_path=path,
    )
    _check_counts(scenario)
    return scenario


def _forbidden(data: Mapping[str, Any], path: Path | None) -> list[str]:
    forbidden = data.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(
        isinstance(item, str) and item.count("/") >= 1 for item in forbidden
    ):
        raise _fail(
            path, "forbidden", "a list of resource ids like 'v1/pods' or 'networking.k8s.io/v1/ingresses'"
        )
    return forbidden


def _subtable(
    data: Mapping[str, Any], name: str, allowed: Sequence[str], path: Path | None
) -> Mapping[str, Any]:
    """An optional table of known fields (`[adversarial]`, `[realistic]`)."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise _fail(path, name, "must be a table")
    for key in table:
        if key not in allowed:
            raise _fail(path, f"{name}.{key}", f"unknown field; allowed: {', '.join(allowed)}")
    return table


def _exceptions_file(adversarial: Mapping[str, Any], path: Path | None) -> Path | None:
    exceptions_name = adversarial.get("exceptions")
    if exceptions_name is None:
        return None
    if not isinstance(exceptions_name, str):
        raise _fail(path, "adversarial.exceptions", "a file name beside the scenario file")
    return (path.parent if path else Path.cwd()) / exceptions_name


def _realistic(realistic: Mapping[str, Any], path: Path | None) -> tuple[float, int, int]:
    """(Helm release share, CRDs, custom resources) of the `[realistic]` table."""
    helm_share = dict(
        _shares(
            {"helm_release_share": realistic.get("helm_release_share", 0.0)},
            ("helm_release_share",),
            path,
            "realistic",
        )
    )["helm_release_share"]
    crds = _int(realistic, "crds", path, minimum=0, default=0)
    if crds > len(CUSTOM_KINDS):
        raise _fail(path, "realistic.crds", f"{crds} is not allowed; at most {len(CUSTOM_KINDS)}")
    custom_resources = _int(realistic, "custom_resources", path, minimum=0, default=0)
    if custom_resources and not crds:
        raise _fail(path, "realistic.custom_resources", "needs realistic.crds >= 1 to define their kinds")
    return helm_share, crds, custom_resources


def _parse_imported(data: Mapping[str, Any], path: Path | None, name: str, description: str) -> Scenario:
    """An imported dump (`ksbench scenario import`): its objects file beside the scenario file, its counts."""
    for key in data:
        if key not in _IMPORTED_FIELDS:
            raise _fail(
                path, key, f"not allowed in an imported scenario; allowed: {', '.join(_IMPORTED_FIELDS)}"
            )
    objects_file = data["imported"]
    if not isinstance(objects_file, str) or "/" in objects_file:
        raise _fail(path, "imported", "the name of the objects file beside the scenario file")
    counts = data.get("counts", {})
    if not isinstance(counts, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()
    ):
        raise _fail(path, "counts", "a table of KIND = number of objects")
    forbidden = data.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(isinstance(item, str) for item in forbidden):
        raise _fail(path, "forbidden", "a list of resource ids like 'v1/pods'")
    return Scenario(
        name=name,
        description=description,
        total_resources=_int(data, "total_resources", path, minimum=1),
        seed=_int(data, "seed", path, minimum=0, default=0),
        namespaces=_int(data, "namespaces", path, minimum=0, default=0),
        nodes=_int(data, "nodes", path, minimum=0, default=0),
        kind_shares=(),
        misconfiguration_shares=(),
        forbidden=tuple(forbidden),
        imported=(path.parent if path else Path.cwd()) / objects_file,
        counts=tuple(sorted(counts.items())),
        source_path=path,
    )


def _sizes(table: Any, path: Path | None) -> tuple[tuple[str, SizeTarget], ...]:
    if not isinstance(table, dict):
        raise _fail(path, "sizes", "must be a table of KIND = { median = BYTES, p90 = BYTES }")
    result: list[tuple[str, SizeTarget]] = []
    for kind, value in table.items():
        where = f"sizes.{kind}"
        if kind not in SIZED_KINDS:
            raise _fail(path, where, f"unknown kind; allowed: {', '.join(SIZED_KINDS)}")
        if not isinstance(value, dict) or set(value) != {"median", "p90"}:
            raise _fail(path, where, "must be { median = BYTES, p90 = BYTES }")
        median, p90 = value["median"], value["p90"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (median, p90)):
            raise _fail(path, where, "median and p90 must be integers (bytes)")
        if not 0 < median <= p90 < 1_000_000:
            raise _fail(
                path, where, "needs 0 < median <= p90 < 1000000 (the API server's object limit is 1 MiB)"
            )
        result.append((kind, SizeTarget(median, p90)))
    return tuple(sorted(result))


def custom_kind_counts(scenario: Scenario) -> dict[str, int]:
    """Custom resources per kind: spread evenly over the first CRDs' kinds (at most eight carry objects)."""
    kinds = [info.kind for info in CUSTOM_KINDS[: min(scenario.crds, 8)]]
    if scenario.compact or not kinds:
        return {}
    base, extra = divmod(scenario.custom_resources, len(kinds))
    return {kind: base + (1 if i < extra else 0) for i, kind in enumerate(kinds)}


def _largest_remainder(total: int, shares: Sequence[tuple[str, float]]) -> dict[str, int]:
    exact = [(name, share * total) for name, share in shares]
    counts = {name: math.floor(value) for name, value in exact}
    left = total - sum(counts.values())
    # Ties broken by name so the allocation never depends on dict or hash order.
    by_remainder = sorted(exact, key=lambda item: (-(item[1] - math.floor(item[1])), item[0]))
    for name, _ in by_remainder[:left]:
        counts[name] += 1
    return counts


def kind_counts(scenario: Scenario) -> dict[str, int]:
    """Exact number of objects of each kind the generator emits (or an import holds); they sum to total_resources."""
    if scenario.imported is not None:
        return dict(scenario.counts)
    fixed = {"Namespace": scenario.namespaces, "Node": scenario.nodes}
    crds = (1 if scenario.widgets else 0) + (0 if scenario.compact else scenario.crds)
    if crds:
        fixed["CustomResourceDefinition"] = crds
    if scenario.widgets:
        fixed[WIDGET.kind] = scenario.widgets
    custom = custom_kind_counts(scenario)
    fixed.update(custom)
    remainder = scenario.total_resources - sum(fixed.values())
    counts = _largest_remainder(remainder, scenario.kind_shares) if remainder > 0 else {}
    counts.update(fixed)
    return {
        kind: counts.get(kind, 0)
        for kind in [*KIND_BY_NAME, WIDGET.kind, *custom]
        if counts.get(kind, 0) or kind in fixed
    }


def misconfigured_count(share: float, eligible: int) -> int:
    """round(share × eligible), halves rounded up so that the rule does not depend on banker's rounding."""
    return math.floor(share * eligible + 0.5)


def _check_counts(scenario: Scenario) -> None:
    path = scenario.source_path
    fixed = scenario.namespaces + scenario.nodes + (scenario.widgets + 1 if scenario.widgets else 0)
    if not scenario.compact:
        fixed += scenario.crds + scenario.custom_resources
    if fixed >= scenario.total_resources:
        raise _fail(
            path,
            "total_resources",
            f"{scenario.total_resources} leaves no room after {fixed} namespaces, nodes and widgets",
        )
    counts = kind_counts(scenario)
    if counts.get("ReplicaSet", 0) < counts.get("Deployment", 0):
        raise _fail(
            path,
            "kinds.ReplicaSet",
            "must give at least as many ReplicaSets as Deployments (each Deployment owns one)",
        )
    unprotected = misconfigured_count(
        scenario.misconfiguration_share("unprotected_namespaces"), scenario.namespaces
    )
    protected = scenario.namespaces - unprotected
    policies = counts.get("NetworkPolicy", 0)
    if protected and policies < protected:
        raise _fail(
            path,
            "kinds.NetworkPolicy",
            f"gives {policies} NetworkPolicies but {protected} namespaces must have one "
            "(raise the share or misconfigurations.unprotected_namespaces)",
        )
    if policies and not protected:
        raise _fail(
            path, "misconfigurations.unprotected_namespaces", "leaves no namespace for the NetworkPolicies"
        )
    bindings = counts.get("RoleBinding", 0) + counts.get("ClusterRoleBinding", 0)
    if bindings and counts.get("ClusterRole", 0) < 2:
        raise _fail(
            path,
            "kinds.ClusterRole",
            "must give at least 2 ClusterRoles (cluster-admin and one other) when bindings exist",
        )
    if scenario.hub_role_bindings > counts.get("RoleBinding", 0):
        raise _fail(
            path, "adversarial.hub_role_bindings", f"exceeds the {counts.get('RoleBinding', 0)} RoleBindings"
        )
    if scenario.duplicates > scenario.total_resources:
        raise _fail(path, "adversarial.duplicates", "exceeds total_resources")
