"""Reader for kubescape's own JSON report: recognise it, and give its canonical form for parity.

Supported schema: `kubescape-json/v3`, the report `kubescape scan … --format json` writes from
v3.0 on (the v2 "PostureReport" of kubescape's opa-utils `reporthandling`), which this
repository's v4 checkout still writes. Top level: `summaryDetails` (controls keyed by ID,
frameworks, counters, scores), `results[]` (per resource: `controls[]` with `status{status,
subStatus,info}` and `rules[]` with `status`, `paths[]` of `failedPath`/`fixPath`/`reviewPath`/
`deletePath`, `exception[]`, `relatedResourcesIDs[]`, `controlConfigurations`), `resources[]`
(`resourceID`, `object`, `source`), `metadata` (`scanMetadata`, `clusterMetadata`,
`targetMetadata`), plus identifiers such as `reportGUID` and `generationTime`. Fields not named
here are kept as they are, so a newer kubescape's additions still count as findings.

Normalising means: results by resource ID, controls by ID, rules by name, paths, exceptions and
related IDs as sets, frameworks by name, floats to 4 significant digits (kubescape sums scores
in float32 in map order: one build's scores differ in the 7th digit run to run); dropped are what describes the run rather than the findings (time stamps, GUIDs, the
kubescape version and output options). The result has the shape `scanner.parity.differences`
walks. Pure; must not import the scan pipeline: reading a report never loads an engine.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA = "kubescape-json/v3"

# Identifiers and time stamps that differ on every run of the same scan.
VOLATILE_TOP_LEVEL = ("generationTime", "reportGUID", "customerGUID", "jobID", "timestamp")
# scanMetadata fields that say which kubescape ran and how it printed, not what it found.
RUN_SCAN_METADATA = (
    "kubescapeVersion",
    "formats",
    "format",
    "formatVersion",
    "outputs",
    "output",
    "verboseMode",
    "submit",
    "keepLocal",
    "logger",
    "printAttackTree",
    "omitRawResources",
    "hostScanner",
)
FLOAT_SIGNIFICANT_DIGITS = 4
# Scores kubescape derives by summing float32 weights in map order: one build's runs differ in
# any digit (C-0038's score 5.947 vs 5.946 on `threshold`, and 46.303497 vs 46.303493, same
# binary and cluster), so rounding cannot make them stable. They follow from what is compared
# (statuses, resource counters, and the controls' scoreFactor weights), so their number is left
# out and only their presence is compared.
DERIVED_SCORES = frozenset({"score", "complianceScore"})
DERIVED = "<derived score>"


def is_kubescape_report(data: object) -> bool:
    """kubescape's report has no format_version, and summaryDetails plus results at the top."""
    return (
        isinstance(data, dict)
        and "format_version" not in data
        and isinstance(data.get("summaryDetails"), dict)
        and isinstance(data.get("results", []), list | type(None))
    )


def _round_floats(value: Any) -> Any:
    if isinstance(value, float):
        rounded = float(f"{value:.{FLOAT_SIGNIFICANT_DIGITS}g}")
        # 100 and 99.99999 (written as 100.0 after rounding) are the same score.
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, dict):
        return {
            k: DERIVED if k in DERIVED_SCORES and _is_number(v) else _round_floats(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_set(items: Any) -> list[Any]:
    """A list whose order and repeats mean nothing: unique items in one fixed order."""
    if not isinstance(items, list):
        return [] if items is None else [items]
    unique = {json.dumps(item, sort_keys=True): item for item in items}
    return [unique[key] for key in sorted(unique)]


def _status(value: Any) -> Any:
    # A bare string and {"status": s} mean the same status (older writers used the string).
    return {"status": value} if isinstance(value, str) else value


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule)
    out.setdefault("name", "")
    out["paths"] = _as_set(rule.get("paths"))
    for key in ("exception", "relatedResourcesIDs"):
        if key in out:
            out[key] = _as_set(out[key])
    return out


def _control(control: dict[str, Any]) -> dict[str, Any]:
    out = dict(control)
    out.setdefault("controlID", "")
    if "status" in out:
        out["status"] = _status(out["status"])
    out["rules"] = sorted((_rule(r) for r in control.get("rules") or []), key=lambda r: str(r["name"]))
    return out


def _result(result: dict[str, Any]) -> dict[str, Any]:
    out = dict(result)
    out.setdefault("resourceID", "")
    out["controls"] = sorted(
        (_control(c) for c in result.get("controls") or []), key=lambda c: str(c["controlID"])
    )
    return out


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    out = dict(summary)
    controls = out.get("controls")
    if isinstance(controls, dict):
        out["controls"] = {cid: _summary_control(c) for cid, c in controls.items()}
    if isinstance(out.get("frameworks"), list):
        out["frameworks"] = sorted(
            (_summary_framework(f) for f in out["frameworks"]), key=lambda f: str(f.get("name", ""))
        )
    if "topWorkloadsByScore" in out:
        # Ties in the score are broken by map order upstream: which of equals comes first is noise.
        out["topWorkloadsByScore"] = _as_set(out["topWorkloadsByScore"])
    return out


def _summary_control(control: Any) -> Any:
    if not isinstance(control, dict):
        return control
    out = dict(control)
    ids = out.get("resourceIDs")
    if isinstance(ids, dict):
        out["resourceIDs"] = {status: _as_set(listed) for status, listed in ids.items()}
    return out


def _summary_framework(framework: Any) -> Any:
    if not isinstance(framework, dict):
        return framework
    out = dict(framework)
    if isinstance(out.get("controls"), dict):
        out["controls"] = {cid: _summary_control(c) for cid, c in out["controls"].items()}
    return out


def _metadata(metadata: Any) -> Any:
    if not isinstance(metadata, dict):
        return metadata
    out = dict(metadata)
    scan = out.get("scanMetadata")
    if isinstance(scan, dict):
        out["scanMetadata"] = {k: v for k, v in scan.items() if k not in RUN_SCAN_METADATA}
    return out


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of a kubescape report: what a user reads, in one order, nothing volatile."""
    out: dict[str, Any] = {k: v for k, v in report.items() if k not in VOLATILE_TOP_LEVEL}
    out["results"] = sorted(
        (_result(r) for r in report.get("results") or [] if isinstance(r, dict)),
        key=lambda r: str(r["resourceID"]),
    )
    out["resources"] = sorted(
        (
            dict(r, resourceID=r.get("resourceID", ""))
            for r in report.get("resources") or []
            if isinstance(r, dict)
        ),
        key=lambda r: str(r["resourceID"]),
    )
    out["summaryDetails"] = _summary(report.get("summaryDetails") or {})
    if "metadata" in out:
        out["metadata"] = _metadata(out["metadata"])
    rounded: dict[str, Any] = _round_floats(out)
    return rounded
