"""The Phases value: one parser, one spelling."""

from __future__ import annotations

import pytest

from scanner.phases import (
    ALL,
    BASELINE,
    Phases,
    PhasesError,
    all_combinations,
    key_combinations,
    parse_combinations,
)


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("baseline", "baseline"),
        ("", "baseline"),
        ("all", "all"),
        ("1,3,5", "P1+P3+P5"),
        ("P5+P1", "P1+P5"),
        ("p2 p4", "P2+P4"),
        ("1,2,3,4,5,6", "all"),
        ("6", "P6"),
        ("all+X1", "all+X1"),
        ("x3,5,X1", "P5+X1+X3"),
        ("X2", "X2"),
        ("1,2,3,4,5,6,x1,x2,x3", "all+X1+X2+X3"),
    ],
)
def test_parse_and_spell(text: str, spelled: str) -> None:
    assert str(Phases.parse(text)) == spelled
    assert Phases.parse(str(Phases.parse(text))) == Phases.parse(text)


@pytest.mark.parametrize("text", ["7", "1,x", "0,9", "fast", "X9", "all+X0"])
def test_bad_spellings_are_rejected(text: str) -> None:
    with pytest.raises(PhasesError):
        Phases.parse(text)


def test_sixty_four_distinct_combinations_baseline_first() -> None:
    combos = list(all_combinations())
    assert len(combos) == 64 == len(set(combos))
    assert combos[0] == BASELINE and combos[-1] == ALL


def test_key_combinations() -> None:
    names = [str(p) for p in key_combinations()]
    assert names[0] == "baseline" and names[-1] == "all" and len(names) == 14
    assert "P2+P3+P4+P5+P6" in names and "P4" in names


def test_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSBENCH_PHASES", "3,1")
    assert str(Phases.from_env()) == "P1+P3"


def test_parse_combinations_lists() -> None:
    assert [str(p) for p in parse_combinations("baseline;1;1,3")] == ["baseline", "P1", "P1+P3"]
    assert len(parse_combinations("all")) == 64


def test_candidates_are_not_the_plan() -> None:
    """`all` keeps meaning the plan's six; a candidate never counts as a plan phase."""
    with_x1 = Phases.parse("all+X1")
    assert with_x1 != ALL and with_x1.numbers == ALL.numbers and with_x1.extras == (1,)
    assert with_x1.plan_only() == ALL and with_x1.without(5).extras == (1,)
    assert all(not p.extras for p in all_combinations())
    assert str(parse_combinations("baseline;all;all+X3")[2]) == "all+X3"


def test_runtime_environment_only_for_the_go_gc_candidate() -> None:
    assert Phases.parse("all+X1+X2").runtime_environment() == {}
    assert Phases.parse("X3").runtime_environment() == {"GOGC": "25"}
