"""Adding a phase is its name, its capability in the scanner, its promise and tests.

The fixture registers one or two more no-op phases (a seventh; a seventh and an eighth) the way a
real one is added — a line in scanner.phases.PHASE_NAMES and a Promise in harness.judge.gates —
and nothing else: the key set, `all`, the covering array, the counts in help texts and the
per-phase family follow, and every key combination keeps the baseline's findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from parity_scan import assert_parity, scan_objects, scenario_objects

from harness import results
from harness.judge import gates
from scanner import phases
from scanner.phases import (
    BASELINE,
    PHASE_NAMES,
    Phases,
    describe_named_sets,
    key_combinations,
    pairwise_combinations,
    parse_combinations,
)

SHIPPED = len(PHASE_NAMES)


def _register(monkeypatch: pytest.MonkeyPatch, how_many: int) -> Iterator[list[int]]:
    numbers = [SHIPPED + k for k in range(1, how_many + 1)]
    for number in numbers:
        monkeypatch.setitem(PHASE_NAMES, number, "no-op (test)")  # its name
    promises = tuple(gates.Promise(n, "cpu_seconds", 5, 10, False) for n in numbers)
    monkeypatch.setattr(gates, "PROMISES", gates.PROMISES + promises)  # its promise
    results.phases_of.cache_clear()  # spellings such as "all" mean more phases now
    yield numbers
    results.phases_of.cache_clear()


@pytest.fixture(params=[1, 2], ids=["seventh", "seventh-and-eighth"])
def added(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    yield from _register(monkeypatch, request.param)


@pytest.fixture
def up_to_the_eighth(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    yield from _register(monkeypatch, max(1, 8 - SHIPPED))


def test_the_sets_and_counts_follow_the_phase_list(added: list[int]) -> None:
    count = SHIPPED + len(added)
    everything = Phases.parse("all")
    assert everything.numbers == tuple(range(1, count + 1)) and str(everything) == "all"
    key = key_combinations()
    assert len(key) == 2 + 2 * count and key[-1] == everything
    assert str(everything.without(added[-1])) == "+".join(f"P{n}" for n in range(1, count))
    assert len(parse_combinations(str(2**count))) == 2**count
    assert describe_named_sets(["key", "all"]) == f"key ({2 + 2 * count}), all ({2**count})"
    per_phase = gates.family_sizes(1, [str(c) for c in key])["per-phase"]
    assert per_phase == 2 * count  # each promise alone and on top of all the others
    with pytest.raises(phases.PhasesError, match=f"phases are P1, .*P{count}$"):
        Phases.parse(str(count + 1))


def test_the_covering_array_covers_every_pair_of_the_longer_list(added: list[int]) -> None:
    rows = pairwise_combinations()
    assert BASELINE in rows and Phases.all() in rows and len(rows) == len(set(rows))
    for a, b in itertools.combinations(PHASE_NAMES, 2):
        seen = {(row.has(a), row.has(b)) for row in rows}
        assert seen == {(False, False), (True, True), (True, False), (False, True)}, (a, b)


def test_every_key_combination_keeps_the_baseline_findings(up_to_the_eighth: list[int]) -> None:
    objects = scenario_objects("small")
    baseline = scan_objects(objects, BASELINE, page_size=500)
    for combo in key_combinations():
        report = scan_objects(objects, combo, page_size=500)
        assert report["metadata"]["phases"] == str(combo)  # the scan ran with the new phase on
        assert_parity(baseline, report, f"small, {combo} with phases {sorted(PHASE_NAMES)}")
