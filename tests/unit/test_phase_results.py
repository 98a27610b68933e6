"""The results table's own units (P2 pre-sizing, P3 sets), fast enough for mutation testing: every
layout (sets or lists, pre-sized or grown) must record, merge, skip and forget the same rows."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.results import FAILED, PASSED, SKIPPED, ResultsTable
from scanner.sources.objects import ResourceID

A, B, C = (ResourceID(f"/v1/ns/Pod/{name}") for name in "abc")
LAYOUTS = [(sets, presize) for sets in (False, True) for presize in (False, True)]


def _plain(table: ResultsTable) -> dict[ResourceID, dict[str, dict[str, tuple[Any, ...]]]]:
    """The rows as plain values: what the report reads, whatever the layout."""
    return {
        rid: {
            control: {
                rule: (rec.status, rec.reason, list(rec.paths), list(rec.related))
                for rule, rec in rules.items()
            }
            for control, rules in controls.items()
        }
        for rid, controls in table.rows().items()
    }


@pytest.fixture(params=LAYOUTS, ids=lambda p: f"sets={p[0]},presize={p[1]}")
def table(request: pytest.FixtureRequest) -> ResultsTable:
    use_sets, presize = request.param
    return ResultsTable(use_sets=use_sets, presize=presize)


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        (PASSED, FAILED, FAILED),
        (FAILED, PASSED, FAILED),
        (PASSED, SKIPPED, SKIPPED),
        (SKIPPED, PASSED, SKIPPED),
        (SKIPPED, FAILED, FAILED),
        (FAILED, SKIPPED, FAILED),
    ],
)
def test_scopes_that_disagree_keep_the_worst_status_and_its_reason(
    first: str, second: str, status: str
) -> None:
    table = ResultsTable(use_sets=True, presize=False)
    table.record(A, "C-1", "r", first, reason=f"why {first}")
    table.record(A, "C-1", "r", second, reason=f"why {second}")
    assert _plain(table)[A]["C-1"]["r"][:2] == (status, f"why {status}")


def test_a_later_reason_fills_an_empty_one_of_the_same_status_but_never_replaces_one() -> None:
    table = ResultsTable(use_sets=False, presize=False)
    table.record(A, "C-1", "r", SKIPPED)
    table.record(A, "C-1", "r", SKIPPED, reason="first reason")
    table.record(A, "C-1", "r", SKIPPED, reason="second reason")
    table.record(A, "C-1", "r", PASSED, reason="a better status's reason")
    assert _plain(table)[A]["C-1"]["r"][:2] == (SKIPPED, "first reason")


def test_paths_and_related_are_kept_once_in_first_seen_order(table: ResultsTable) -> None:
    table.record(A, "C-1", "r", FAILED, [("failedPath", "x"), ("failedPath", "y")], [B])
    table.record(A, "C-1", "r", FAILED, [("failedPath", "y"), ("fixPath", "z", "1")], [C, B])
    table.record(A, "C-1", "r", PASSED, [("failedPath", "x")], [C])
    assert _plain(table)[A]["C-1"]["r"] == (
        FAILED,
        "",
        [("failedPath", "x"), ("failedPath", "y"), ("fixPath", "z", "1")],
        [B, C],
    )


def test_rows_are_per_resource_control_and_rule_in_reserved_order(table: ResultsTable) -> None:
    table.reserve([A, B])
    table.reserve([C])  # a second streamed batch continues after the first
    table.record(C, "C-1", "r", PASSED)
    table.record(A, "C-1", "r", FAILED, [("failedPath", "x")])
    table.record(A, "C-1", "s", PASSED)
    table.record(A, "C-2", "r", SKIPPED, reason="why")
    rows = _plain(table)
    assert rows == {
        A: {
            "C-1": {"r": (FAILED, "", [("failedPath", "x")], []), "s": (PASSED, "", [], [])},
            "C-2": {"r": (SKIPPED, "why", [], [])},
        },
        C: {"C-1": {"r": (PASSED, "", [], [])}},
    }
    if table.presize:
        assert list(rows) == [A, C]
        assert table.ordinals == {A: 0, B: 1, C: 2}
    else:
        assert table.ordinals == {}


def test_a_resource_recorded_without_a_reserved_row_is_still_a_row(table: ResultsTable) -> None:
    table.reserve([A])
    table.record(B, "C-1", "r", FAILED)
    table.record(A, "C-1", "r", PASSED)
    assert _plain(table) == {A: {"C-1": {"r": (PASSED, "", [], [])}}, B: {"C-1": {"r": (FAILED, "", [], [])}}}


def test_skip_rule_marks_only_that_rule_of_that_control_everywhere(table: ResultsTable) -> None:
    table.reserve([A])
    table.record(A, "C-1", "r", FAILED, [("failedPath", "x")])
    table.record(B, "C-1", "r", PASSED)  # not reserved
    table.record(A, "C-1", "s", FAILED)
    table.record(A, "C-2", "r", PASSED)
    table.skip_rule("C-1", "r", "inputs incomplete")
    table.skip_rule("C-9", "r", "a control with no rows")
    rows = _plain(table)
    assert rows[A]["C-1"]["r"][:2] == (SKIPPED, "inputs incomplete")
    assert rows[B]["C-1"]["r"][:2] == (SKIPPED, "inputs incomplete")
    assert rows[A]["C-1"]["s"][:2] == (FAILED, "")
    assert rows[A]["C-2"]["r"][:2] == (PASSED, "")


def test_forget_drops_one_resource_and_keeps_the_others(table: ResultsTable) -> None:
    table.reserve([A, B])
    for rid in (A, B, C):
        table.record(rid, "C-1", "r", PASSED)
    table.forget(A)
    table.forget(C)  # not reserved
    table.forget(ResourceID("/v1/ns/Pod/never-recorded"))
    assert list(_plain(table)) == [B]
