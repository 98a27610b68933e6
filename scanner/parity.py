"""Findings parity: a report's canonical form, its digest, and the smallest diff between two.

Normalises what a user reads (statuses, paths as sets, related IDs, counters, scores, skipped
reasons, exceptions, redacted raw resources, metadata counts) and drops what legitimately
differs between runs (generation time, phases, workers, engine, the scanner's own counters).

Also owns the fields a cluster may be served without for a comparison across two clusters
(`ksbench scenario derive --strip`): `managed-fields` and `last-applied` are exactly what X1 drops
(both go through scanner.bookkeeping, as scanner.unread's prune does), `owner-references` is every object's `metadata.ownerReferences`. Parity
between a scan of the full cluster and one of the stripped cluster ignores those fields in the raw
resources (`resources[].object`, in both report shapes) and nothing else.
Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.bookkeeping import without_bookkeeping

# A report's canonical form: this module's `normalise` for ksbench reports; another reader
# (scanner.kubescape_report) passes its own for reports of another shape.
Normaliser = Callable[[dict[str, Any]], dict[str, Any]]

# What `strip_fields` can remove; the first two are X1's fields.
MANAGED_FIELDS = "managed-fields"
LAST_APPLIED = "last-applied"
OWNER_REFERENCES = "owner-references"
STRIPPABLE = (MANAGED_FIELDS, LAST_APPLIED, OWNER_REFERENCES)


def parse_strippable(text: str) -> tuple[str, ...]:
    """`managed-fields,last-applied` → the names in STRIPPABLE order; ValueError names the unknown one."""
    given = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(given - set(STRIPPABLE))
    if unknown:
        raise ValueError(f"cannot strip {unknown[0]!r}: strippable fields are {', '.join(STRIPPABLE)}")
    if not given:
        raise ValueError(f"no field to strip given: name some of {', '.join(STRIPPABLE)}")
    return tuple(name for name in STRIPPABLE if name in given)


def strip_fields(obj: dict[str, Any], fields: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """`obj` without `fields` (names from STRIPPABLE); `obj` itself is never changed.

    The X1 fields go through the function X1's prune uses, so a stripped cluster holds what X1 would keep:
    managedFields gone, the last-applied annotation gone (an annotations mapping left empty stays).
    """
    out = without_bookkeeping(
        obj, managed_fields=MANAGED_FIELDS in fields, last_applied=LAST_APPLIED in fields
    )
    metadata = out.get("metadata")
    if OWNER_REFERENCES in fields and isinstance(metadata, dict) and "ownerReferences" in metadata:
        out = {**out, "metadata": {k: v for k, v in metadata.items() if k != "ownerReferences"}}
    return out


def without_raw_fields(report: dict[str, Any], fields: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    """`report` with `fields` stripped from its raw resources (`resources[].object`) only."""
    if not fields or not isinstance(report.get("resources"), list):
        return report
    resources = [
        {**r, "object": strip_fields(r["object"], fields)}
        if isinstance(r, dict) and isinstance(r.get("object"), dict)
        else r
        for r in report["resources"]
    ]
    return {**report, "resources": resources}


# Metadata that describes how the scan ran, not what it found.
RUN_METADATA = ("phases", "workers", "engine", "options", "counters", "audit", "source")


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(report))
    out.pop("generationTime", None)
    meta = out.get("metadata") or {}
    for key in RUN_METADATA:
        meta.pop(key, None)
    for result in out.get("results") or []:
        result["controls"] = sorted(result.get("controls") or [], key=lambda c: c["controlID"])
        for control in result["controls"]:
            control["rules"] = sorted(control.get("rules") or [], key=lambda r: r["name"])
            for rule in control["rules"]:
                rule["paths"] = sorted({json.dumps(p, sort_keys=True) for p in rule.get("paths") or []})
                if "relatedResourcesIDs" in rule:
                    rule["relatedResourcesIDs"] = sorted(set(rule["relatedResourcesIDs"]))
                if "exception" in rule:
                    rule["exception"] = sorted(rule["exception"])
    out["results"] = sorted(out.get("results") or [], key=lambda r: r["resourceID"])
    out["resources"] = sorted(out.get("resources") or [], key=lambda r: r["resourceID"])
    for control in ((out.get("summaryDetails") or {}).get("controls") or {}).values():
        ids = control.get("resourceIDs") or {}
        for status in ids:
            ids[status] = sorted(ids[status])
    return out


def canonical(report: dict[str, Any], normaliser: Normaliser = normalise) -> bytes:
    return json.dumps(normaliser(report), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(report: dict[str, Any], normaliser: Normaliser = normalise) -> str:
    return hashlib.sha256(canonical(report, normaliser)).hexdigest()


@dataclass(frozen=True)
class Difference:
    control: str
    resource: str
    field: str
    baseline: Any
    candidate: Any

    def __str__(self) -> str:
        where = " ".join(
            p
            for p in (
                f"control {self.control}" if self.control else "",
                f"resource {self.resource}" if self.resource else "",
            )
            if p
        )
        return f"{where or 'report'}: {self.field}: baseline {_short(self.baseline)} vs candidate {_short(self.candidate)}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _walk(
    a: Any, b: Any, path: list[str], out: list[Difference], limit: int, control: str, resource: str
) -> None:
    if len(out) >= limit or a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        # A status explains more than the paths and counters that follow from it: compare it first.
        for key in sorted(set(a) | set(b), key=lambda k: (k != "status", k)):
            if key not in a or key not in b:
                out.append(
                    Difference(
                        control,
                        resource,
                        ".".join([*path, key]),
                        a.get(key, "<absent>"),
                        b.get(key, "<absent>"),
                    )
                )
            else:
                _walk(a[key], b[key], [*path, key], out, limit, control, resource)
            if len(out) >= limit:
                return
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, [*path, f"[{i}]"], out, limit, control, resource)
        return
    out.append(Difference(control, resource, ".".join(path), a, b))


def _rules_by_name(control: dict[str, Any]) -> dict[str, Any]:
    return {**control, "rules": {rule["name"]: rule for rule in control.get("rules") or []}}


def _keyed(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def _counts(items: Any, key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            name = str(item.get(key, ""))
            counts[name] = counts.get(name, 0) + 1
    return counts


def _rows(n: int) -> str:
    return f"{n} row" + ("" if n == 1 else "s")


def repeated_rows(baseline: dict[str, Any], candidate: dict[str, Any]) -> list[Difference]:
    """Rows a report holds more than once where the other holds them another number of times:
    a results or resources row per resource ID, a control per result, a rule per control."""
    out: list[Difference] = []

    def compare(
        a: dict[str, int], b: dict[str, int], field: str, control: str = "", resource: str = ""
    ) -> None:
        for name in sorted(set(a) | set(b)):
            times_a, times_b = a.get(name, 0), b.get(name, 0)
            if times_a == times_b or max(times_a, times_b) < 2:
                continue
            where = (
                (control, resource or name)
                if field in ("results", "resources")
                else (control or name, resource)
            )
            label = f"{field} {name!r} (repeated row)" if field == "rules" else f"{field} (repeated row)"
            out.append(Difference(*where, label, _rows(times_a), _rows(times_b)))

    for section in ("results", "resources"):
        compare(
            _counts(baseline.get(section), "resourceID"),
            _counts(candidate.get(section), "resourceID"),
            section,
        )
    rows_a = {str(r.get("resourceID", "")): r for r in baseline.get("results") or [] if isinstance(r, dict)}
    rows_b = {str(r.get("resourceID", "")): r for r in candidate.get("results") or [] if isinstance(r, dict)}
    for rid in sorted(set(rows_a) & set(rows_b)):
        controls_a, controls_b = rows_a[rid].get("controls"), rows_b[rid].get("controls")
        compare(_counts(controls_a, "controlID"), _counts(controls_b, "controlID"), "controls", resource=rid)
        by_id_a = {str(c.get("controlID", "")): c for c in controls_a or [] if isinstance(c, dict)}
        by_id_b = {str(c.get("controlID", "")): c for c in controls_b or [] if isinstance(c, dict)}
        for cid in sorted(set(by_id_a) & set(by_id_b)):
            rules_a, rules_b = by_id_a[cid].get("rules"), by_id_b[cid].get("rules")
            compare(_counts(rules_a, "name"), _counts(rules_b, "name"), "rules", cid, rid)
    return out


def _keyed_resources(
    a: list[dict[str, Any]], b: list[dict[str, Any]], out: list[Difference], limit: int
) -> None:
    """`resources` matched by resource ID: each one present on one side only is named, the others walked."""
    ka, kb = _keyed(a, "resourceID"), _keyed(b, "resourceID")
    for rid in sorted(set(ka) | set(kb)):
        if len(out) >= limit:
            return
        if rid not in ka or rid not in kb:
            out.append(
                Difference(
                    "",
                    rid,
                    "resources",
                    "present" if rid in ka else "absent",
                    "present" if rid in kb else "absent",
                )
            )
        else:
            _walk(ka[rid], kb[rid], ["resources"], out, limit, "", rid)


def differences(
    baseline: dict[str, Any], candidate: dict[str, Any], limit: int = 10, normaliser: Normaliser = normalise
) -> list[Difference]:
    """The first `limit` differences, each naming control, resource and field; [] when identical.

    Rows repeated on one side (a results row twice, a control twice in one result) come first:
    keyed by ID they would otherwise collapse into one and show nothing."""
    out: list[Difference] = repeated_rows(normaliser(baseline), normaliser(candidate))[:limit]
    a, b = normaliser(baseline), normaliser(candidate)
    ra, rb = _keyed(a.pop("results", []), "resourceID"), _keyed(b.pop("results", []), "resourceID")
    for rid in sorted(set(ra) | set(rb)):
        if len(out) >= limit:
            return out[:limit]
        if rid not in ra or rid not in rb:
            out.append(
                Difference(
                    "",
                    rid,
                    "results",
                    "present" if rid in ra else "absent",
                    "present" if rid in rb else "absent",
                )
            )
            continue
        ca, cb = _keyed(ra[rid]["controls"], "controlID"), _keyed(rb[rid]["controls"], "controlID")
        for cid in sorted(set(ca) | set(cb)):
            if cid not in ca or cid not in cb:
                out.append(
                    Difference(
                        cid,
                        rid,
                        "controls",
                        "present" if cid in ca else "absent",
                        "present" if cid in cb else "absent",
                    )
                )
            else:
                _walk(_rules_by_name(ca[cid]), _rules_by_name(cb[cid]), [], out, limit, cid, rid)
        if len(out) >= limit:
            return out[:limit]
    sa = (a.get("summaryDetails") or {}).pop("controls", {})
    sb = (b.get("summaryDetails") or {}).pop("controls", {})
    for cid in sorted(set(sa) | set(sb)):
        _walk(sa.get(cid), sb.get(cid), ["summaryDetails"], out, limit, cid, "")
    _keyed_resources(a.pop("resources", []) or [], b.pop("resources", []) or [], out, limit)
    _walk(a, b, [], out, limit, "", "")
    return out[:limit]


def violations(baseline: dict[str, Any] | None, candidate: dict[str, Any]) -> list[str]:
    """Invariants beside the digest, one message each; [] when all hold.

    Read from `metadata.counters` and `metadata.audit` (absent in reports of scanners that do not
    record them: those invariants are then not checked). With a baseline, `resourceCount` and the
    per-kind counts must also equal the baseline's.
    """
    meta = candidate.get("metadata") or {}
    counters = meta.get("counters") or {}
    audit = meta.get("audit") or {}
    found: list[str] = []
    if audit:
        opened, closed = audit.get("compiled_opened", 0), audit.get("compiled_closed", 0)
        if opened != closed:
            found.append(f"compiled rules not closed exactly once: {opened} compiled, {closed} closed")
        if audit.get("closes_unmatched", 0):
            found.append(f"compiled rules closed twice (or never opened): {audit['closes_unmatched']} closes")
        keys = audit.get("distinct_compile_keys")
        if keys is not None and counters.get("compilations") != keys:
            found.append(
                f"compilations with P1 ({counters.get('compilations')}) differ from the distinct"
                f" (rule, config, variant) count ({keys})"
            )
        if audit.get("repeated_evaluations"):
            found.append(
                f"objects evaluated twice by one rule in one scope: {audit['repeated_evaluations']} repeats"
            )
    released, collected = counters.get("objects_released", 0), counters.get("objects_collected", 0)
    if released > collected:
        found.append(f"objects released ({released}) exceed objects collected ({collected})")
    if baseline is not None:
        base_meta = baseline.get("metadata") or {}
        if base_meta.get("resourceCount") != meta.get("resourceCount"):
            found.append(
                f"resourceCount {meta.get('resourceCount')} differs from the baseline's {base_meta.get('resourceCount')}"
            )
        base_kinds = (base_meta.get("audit") or {}).get("kind_counts")
        kinds = audit.get("kind_counts")
        if base_kinds is not None and kinds is not None and base_kinds != kinds:
            changed = sorted(k for k in set(base_kinds) | set(kinds) if base_kinds.get(k) != kinds.get(k))
            found.append(
                "per-kind counts differ from the baseline's: "
                + ", ".join(f"{k} {base_kinds.get(k, 0)} vs {kinds.get(k, 0)}" for k in changed[:5])
            )
    return found
