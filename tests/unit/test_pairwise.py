"""The fast parity run's combinations form a pairwise covering array of the plan's phases."""

from __future__ import annotations

import itertools

from scanner.phases import ALL, BASELINE, PHASE_NAMES, Phases, pairwise_combinations, parse_combinations


def _settings_seen(rows: list[Phases], a: int, b: int) -> set[tuple[bool, bool]]:
    return {(a in row.numbers, b in row.numbers) for row in rows}


def test_every_pair_of_phases_is_seen_in_all_four_settings() -> None:
    rows = pairwise_combinations()
    for a, b in itertools.combinations(PHASE_NAMES, 2):
        assert _settings_seen(rows, a, b) == {(False, False), (True, True), (True, False), (False, True)}, (
            a,
            b,
        )


def test_the_array_is_small_distinct_and_holds_the_baseline_and_the_gated_combination() -> None:
    rows = pairwise_combinations()
    assert len(rows) == len(set(rows)) == 6
    assert BASELINE in rows and ALL in rows
    assert parse_combinations("pairwise") == rows


def test_the_property_check_fails_on_an_array_that_misses_a_pair() -> None:
    # Dropping one row loses some pair setting: the check above can fail.
    rows = [r for r in pairwise_combinations() if str(r) != "P1+P2+P3"]
    missing = [
        (a, b) for a, b in itertools.combinations(PHASE_NAMES, 2) if len(_settings_seen(rows, a, b)) < 4
    ]
    assert missing
