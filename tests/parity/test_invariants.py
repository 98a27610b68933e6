"""Each parity invariant beside the digest can fail: a test breaks the protection it watches and sees
the violation `scanner.parity.violations` reports (the message `ksbench parity` prints, exit 3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from scanner.engine.cache import RuleCompiler
from scanner.evaluate import Evaluator, Unit
from scanner.inventory import Inventory
from scanner.parity import violations
from scanner.sources.objects import ResourceID, resource_id
from tests.parity.parity_scan import scan_objects, scenario_objects

# Controls over workloads, services and RBAC (one relational): enough kinds to batch and release.
CONTROLS = ("C-0017", "C-0057", "C-9201", "C-9203", "C-0035")


def _objects() -> list[dict[str, Any]]:
    return list(scenario_objects("small"))


def _scan(phases: str, **kw: Any) -> dict[str, Any]:
    report: dict[str, Any] = scan_objects(
        _objects(), phases, page_size=9, controls=CONTROLS, audit=True, **kw
    )
    return report


def test_every_invariant_holds_on_an_unbroken_scanner() -> None:
    baseline = _scan("baseline")
    assert violations(None, baseline) == []
    for phases, kw in (("all", {"batch_size": 7, "workers": 2}), ("1,4", {"large_cluster_size": 10})):
        candidate = _scan(phases, **kw)
        assert violations(baseline, candidate) == [], phases
        assert candidate["metadata"]["audit"]["repeated_evaluations"] == 0


def test_a_compiled_rule_never_closed_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RuleCompiler, "close", lambda self: None)  # the end-of-scan close forgets the cache
    monkeypatch.setattr(RuleCompiler, "plan", lambda self, uses: None)  # and nothing closes after last use
    found = violations(None, _scan("1"))
    assert any("not closed exactly once" in v for v in found), found


def test_a_compiled_rule_closed_twice_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    release = RuleCompiler.release

    def twice(self: RuleCompiler, compiled: Any) -> None:
        release(self, compiled)
        release(self, compiled)

    monkeypatch.setattr(RuleCompiler, "release", twice)
    found = violations(None, _scan("baseline"))
    assert any("closed twice" in v for v in found), found


def test_recompiling_a_rule_the_cache_closed_too_early_is_a_violation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = RuleCompiler.plan
    # The plan undercounts uses: each rule is closed after its first evaluation and compiled again.
    monkeypatch.setattr(RuleCompiler, "plan", lambda self, uses: plan(self, dict.fromkeys(uses, 1)))
    found = violations(None, _scan("1", large_cluster_size=10))
    assert any("distinct (rule, config, variant) count" in v for v in found), found


def test_releasing_an_object_twice_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    def release(self: Inventory, ids: Iterable[ResourceID]) -> None:
        chosen = list(ids)
        for rid in chosen + chosen:  # released by two owners (batch and plan), no check it is still held
            self.objects.pop(rid, None)
            self.counters.objects_released += 1

    monkeypatch.setattr(Inventory, "release", release)
    found = violations(None, _scan("5,6", batch_size=7))
    assert any("objects released" in v for v in found), found


def test_an_object_counted_twice_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = _objects()
    # Three Deployments also served under a second API version (same uid), as an aggregated API does.
    again = [{**o, "apiVersion": "apps/v1beta2"} for o in objects if o["kind"] == "Deployment"][:3]
    served = objects + again
    baseline: dict[str, Any] = scan_objects(served, "baseline", page_size=9, controls=CONTROLS, audit=True)
    # The dedupe by identity (uid) is lost: only byte-identical resource IDs are dropped.
    monkeypatch.setattr("scanner.inventory.identity_key", resource_id)
    candidate: dict[str, Any] = scan_objects(
        served, "all", page_size=9, batch_size=7, controls=CONTROLS, audit=True
    )
    found = violations(baseline, candidate)
    assert any("resourceCount" in v for v in found), found
    assert any("per-kind counts differ" in v and "apps/v1beta2/Deployment 0 vs 3" in v for v in found), found


def test_an_object_evaluated_twice_by_one_rule_in_one_scope_is_a_violation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    units_for = Evaluator.units_for

    def overlapping(self: Evaluator, *args: Any) -> list[Unit]:
        units = units_for(self, *args)
        # A batch that also re-reads the previous batch's first object (a stale match-cache entry).
        return [Unit(u.task, u.scope, (*u.ids, u.ids[0])) for u in units]

    monkeypatch.setattr(Evaluator, "units_for", overlapping)
    found = violations(None, _scan("all", batch_size=7))
    assert any("evaluated twice by one rule in one scope" in v for v in found), found
