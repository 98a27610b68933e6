"""Candidates beyond the plan (X1, X2, X3): each reports exactly the baseline's findings.

X1 is checked on objects that carry what it drops (managedFields, the last-applied annotation,
whose value here holds a secret): findings and the report's raw resources are unchanged, while
the objects evaluation saw had neither field. X2 writes the same bytes as the held report. X3 is
the Go runtime's GC target, set in the environment of a fresh process (`ksbench parity`); in
process it must at least leave findings alone.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from parity_scan import (
    adversarial_exceptions,
    assert_parity,
    engine,
    library,
    scan_objects,
    scan_source,
    scenario_objects,
)
from test_scenarios_parity import EmbeddedLikeSource

from scanner.cli import PINNED_TIME
from scanner.evaluate import ScanOptions
from scanner.phases import ALL, Phases
from scanner.report import ReportContext, build, write_json, write_json_streamed
from scanner.scan import run_scan
from scanner.unread import LAST_APPLIED

CANDIDATES = [Phases.parse("X1"), Phases.parse("X2"), Phases.parse("all+X1+X2"), Phases.parse("all+X1+X2+X3")]


def _with_bookkeeping(objects: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    out = json.loads(json.dumps(list(objects)))
    for obj in out:
        meta = obj["metadata"]
        meta["managedFields"] = [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]
        annotations = meta.setdefault("annotations", {})
        annotations[LAST_APPLIED] = json.dumps({"kind": obj["kind"], "data": {"password": "hunter2"}})
    return out


@pytest.mark.parametrize("combo", CANDIDATES, ids=str)
def test_small_candidates_workers_and_order(combo: Phases) -> None:
    objects = scenario_objects("small")
    base = scan_objects(objects, "baseline", page_size=30)
    for workers, order in [(1, "sorted"), (2, "shuffled:11")]:
        got = scan_objects(objects, combo, page_size=30, workers=workers, control_order=order)
        assert_parity(base, got, f"small, {combo}, workers={workers}, {order}")


def test_medium_candidates_with_opa() -> None:
    objects = scenario_objects("medium")
    base = scan_objects(objects, "baseline", page_size=500, engine_name="opa")
    for combo in (Phases.parse("all+X1+X2"), Phases.parse("X1+X2")):
        assert_parity(
            base, scan_objects(objects, combo, page_size=500, engine_name="opa"), f"medium, {combo}"
        )


def test_adversarial_candidates_with_opa(rendered_adversarial: Path) -> None:
    def scan(combo: Phases) -> dict[str, Any]:
        source = EmbeddedLikeSource(rendered_adversarial)
        return scan_source(source, combo, engine_name="opa", exceptions=adversarial_exceptions())  # type: ignore[no-any-return]

    base = scan(Phases())
    for combo in (Phases.parse("X1+X2"), Phases.parse("all+X1+X2")):
        assert_parity(base, scan(combo), f"adversarial, {combo}")


@pytest.mark.parametrize(
    "combo", [Phases.parse("X1"), Phases.parse("all+X1"), Phases.parse("P5+X1+X2")], ids=str
)
def test_x1_drops_bookkeeping_from_evaluation_but_not_from_the_report(combo: Phases) -> None:
    objects = _with_bookkeeping(scenario_objects("small"))
    base = scan_objects(objects, "baseline", page_size=40)
    got, state = scan_objects(objects, combo, page_size=40, with_state=True)
    assert_parity(base, got, f"small with managedFields, {combo}")
    assert got["resources"] == base["resources"]  # redacted raw form unchanged
    assert all(r["object"]["metadata"]["annotations"][LAST_APPLIED] == "***" for r in got["resources"])
    seen = list(state.inventory.objects.values())
    assert seen or combo.has(5) or combo.has(6)  # with P5/P6 everything may be released by the end
    for obj in seen:
        assert "managedFields" not in obj["metadata"]
        assert LAST_APPLIED not in obj["metadata"].get("annotations", {})


@pytest.mark.parametrize("phases", [Phases(), ALL], ids=str)
def test_x2_streamed_report_has_the_same_bytes(phases: Phases) -> None:
    """X2 writes results one at a time and forgets each row; the document must not change by a byte."""
    objects = json.loads(json.dumps(list(scenario_objects("small"))))
    from parity_scan import ListSource

    options = ScanOptions(phases)
    lib, eng = library(), engine("regorus")
    state = run_scan(ListSource(objects, 30), lib, eng, lib.select(None, []), options)
    try:
        ctx = ReportContext(lib, eng.info, options, (), (), PINNED_TIME, "objects")
        held, streamed = io.StringIO(), io.StringIO()
        report = build(state, ctx)
        write_json(report, state, held)
        summary = write_json_streamed(state, ctx, streamed)
    finally:
        state.inventory.raw.close()
    assert held.getvalue() == streamed.getvalue()
    assert summary["summaryDetails"] == report["summaryDetails"]
    assert not state.table.rows()  # every row was released as it was written
