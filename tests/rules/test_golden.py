"""Every shipped rule's golden cases, on every installed engine."""

from __future__ import annotations

import pytest

from scanner.engine import DENY_QUERY, EngineUnavailable, load_engine
from scanner.policies import LIBRARY_DIR, load_library
from scanner.policies.golden import compare, load_cases

LIBRARY = load_library()
CASES = [
    case
    for name, rule in sorted(LIBRARY.rules.items())
    for case in load_cases(LIBRARY_DIR / "rules" / name, rule)
]


def _engine(name: str):  # type: ignore[no-untyped-def]
    try:
        return load_engine(name)
    except EngineUnavailable as exc:
        pytest.skip(str(exc))


def test_every_rule_has_golden_cases() -> None:
    with_cases = {case.rule for case in CASES}
    assert sorted(set(LIBRARY.rules) - with_cases) == []


@pytest.mark.parametrize("engine_name", ["opa", "regorus"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}/{c.name}" for c in CASES])
def test_golden_case(case, engine_name) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(engine_name)
    rule = LIBRARY.rules[case.rule]
    data = case.data if case.data is not None else LIBRARY.data_for(rule)
    compiled = engine.compile(LIBRARY.modules_for(rule), data, DENY_QUERY)
    outcome = compiled.evaluate(list(case.objects))
    assert outcome.error is None, outcome.error
    assert compare(case.expected, outcome.responses) == []
