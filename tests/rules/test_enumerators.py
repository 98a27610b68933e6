"""Rules with a resource enumerator (filter.rego): its golden cases name the objects it enumerates,
and controls that share a rule with different inputs get different findings."""

from __future__ import annotations

import json

import pytest

from scanner.engine import DENY_QUERY, EngineUnavailable, load_engine
from scanner.policies import LIBRARY_DIR, load_library
from scanner.policies.golden import load_cases

LIBRARY = load_library()
ENUMERATED = [
    (case, json.loads(path.read_text(encoding="utf-8")))
    for name, rule in sorted(LIBRARY.rules.items())
    if rule.enumerator_source is not None
    for case in load_cases(LIBRARY_DIR / "rules" / name, rule)
    if (path := LIBRARY_DIR / "rules" / name / "test" / case.name / "enumerated.json").exists()
]


def test_the_library_ships_enumerators_and_shared_rules_with_different_inputs() -> None:
    assert {case.rule for case, _ in ENUMERATED}
    users: dict[str, list[str]] = {}
    for control in LIBRARY.controls.values():
        for name in control.rule_names:
            users.setdefault(name, []).append(control.control_id)
    shared = {
        name: ids
        for name, ids in users.items()
        if len(
            {
                json.dumps(LIBRARY.data_for(LIBRARY.rules[name], LIBRARY.controls[c]), sort_keys=True)
                for c in ids
            }
        )
        > 1
    }
    assert len(shared) >= 2
    assert any(LIBRARY.rules[name].enumerator_source for name in shared)


@pytest.mark.parametrize("engine_name", ["opa", "regorus"])
@pytest.mark.parametrize("case_expected", ENUMERATED, ids=[f"{c.rule}/{c.name}" for c, _ in ENUMERATED])
def test_enumerator_golden_case(case_expected, engine_name) -> None:  # type: ignore[no-untyped-def]
    case, expected = case_expected
    try:
        engine = load_engine(engine_name)
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    rule = LIBRARY.rules[case.rule]
    modules = {**LIBRARY.modules_for(rule), f"{rule.name}/filter.rego": rule.enumerator_source or ""}
    del modules[f"{rule.name}/raw.rego"]
    data = case.data if case.data is not None else LIBRARY.data_for(rule)
    compiled = engine.compile(modules, data, DENY_QUERY)
    try:
        outcome = compiled.evaluate(list(case.objects))
    finally:
        compiled.close()
    assert outcome.error is None, outcome.error
    found = sorted(
        [o["kind"], o["metadata"]["name"], o["metadata"].get("namespace", "")]
        for r in outcome.responses
        for o in r["alertObject"]["k8sApiObjects"]
    )
    assert found == sorted(expected)
