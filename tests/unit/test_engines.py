"""The engine boundary on each engine: compile, evaluate, errors as values, regopy's crash isolation."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from scanner.engine import DENY_QUERY, CompileError, Engine, EngineUnavailable, load_engine

TINY_RULE = """package armo_builtins

deny contains msga if {
	some obj in input
	obj.kind == "Pod"
	obj.metadata.name in data.postureControlInputs.names
	msga := {
		"alertMessage": sprintf("pod %s is named", [obj.metadata.name]),
		"failedPaths": ["metadata.name"],
		"alertObject": {"k8sApiObjects": [obj]},
	}
}
"""
DATA = {"postureControlInputs": {"names": ["bad"]}}
PODS = [
    {"kind": "Pod", "metadata": {"name": "bad", "namespace": "a"}},
    {"kind": "Pod", "metadata": {"name": "good", "namespace": "a"}},
    {"kind": "Service", "metadata": {"name": "bad", "namespace": "a"}},
]
# Two definitions of one complete rule that disagree for this input: an error at evaluation.
CONFLICT_RULE = """package armo_builtins

value := input[0] if input[0]
value := input[1] if input[1]

deny contains {"alertMessage": sprintf("%v", [value])} if value
"""
# regopy 1.5.2 dies with SIGSEGV planning this pattern (issue 3).
REGOPY_CRASH_RULE = """package armo_builtins

deny contains k if {
	some obj in input
	xs := ["a", "b"]
	k := xs[_]
	obj[k]
}
"""


@pytest.fixture(params=["opa", "regorus", "regopy"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    try:
        loaded = load_engine(request.param)
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    yield loaded
    close = getattr(loaded, "close", None)
    if close is not None:
        close()


@pytest.fixture
def regopy() -> Iterator[Engine]:
    try:
        loaded = load_engine("regopy")
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    yield loaded
    loaded.close()  # type: ignore[attr-defined]


def test_compiles_and_evaluates_a_tiny_rule(engine: Engine) -> None:
    compiled = engine.compile({"tiny/raw.rego": TINY_RULE}, DATA, DENY_QUERY)
    try:
        outcome = compiled.evaluate(PODS)
        assert outcome.error is None
        assert [r["alertMessage"] for r in outcome.responses] == ["pod bad is named"]
        assert outcome.responses[0]["alertObject"]["k8sApiObjects"] == [PODS[0]]
        assert compiled.evaluate([]).responses == ()
    finally:
        compiled.close()


def test_engine_names_itself(engine: Engine) -> None:
    assert engine.info.name in {"opa", "regorus", "regopy"}
    assert engine.info.version
    assert "Rego v1" in engine.info.rego_version


def test_a_rule_that_does_not_parse_is_a_compile_error(engine: Engine) -> None:
    with pytest.raises(CompileError):
        engine.compile(
            {"broken/raw.rego": "package armo_builtins\n\ndeny contains msga if {\n"}, {}, DENY_QUERY
        )


def test_an_evaluation_error_is_a_value(engine: Engine) -> None:
    compiled = engine.compile({"conflict/raw.rego": CONFLICT_RULE}, {}, DENY_QUERY)
    try:
        outcome = compiled.evaluate([1, 2])  # type: ignore[list-item]
        assert outcome.error
        assert outcome.responses == ()
        assert compiled.evaluate([1, False]).error is None  # type: ignore[list-item]
    finally:
        compiled.close()


def test_regopy_crash_is_an_error_value_and_the_scan_goes_on(regopy: Engine) -> None:
    crashing = regopy.compile({"crash/raw.rego": REGOPY_CRASH_RULE}, {}, DENY_QUERY)
    healthy = regopy.compile({"tiny/raw.rego": TINY_RULE}, DATA, DENY_QUERY)
    pid = os.getpid()

    outcome = crashing.evaluate([{"a": 1}])

    assert os.getpid() == pid
    assert outcome.responses == ()
    assert outcome.error is not None
    assert outcome.error.startswith("regopy crashed (SIGSEGV)")
    assert [r["alertMessage"] for r in healthy.evaluate(PODS).responses] == ["pod bad is named"]
    assert crashing.evaluate([]).error is not None  # a fresh worker, the same crash
    crashing.close()
    healthy.close()


def test_regopy_time_out_is_an_error_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSBENCH_REGOPY_TIMEOUT", "0.3")
    try:
        engine = load_engine("regopy")
    except EngineUnavailable as exc:
        pytest.skip(str(exc))
    slow = (
        "package armo_builtins\n\ndeny contains n if n := count([x | some x in numbers.range(1, 50000000)])\n"
    )
    try:
        outcome = engine.compile({"slow/raw.rego": slow}, {}, DENY_QUERY).evaluate([])
        assert outcome.error is not None
        assert outcome.error.startswith("regopy timed out after 0.3 s")
    finally:
        engine.close()  # type: ignore[attr-defined]


def test_regopy_rejects_a_bad_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("regopy")
    monkeypatch.setenv("KSBENCH_REGOPY_TIMEOUT", "soon")
    with pytest.raises(EngineUnavailable, match="KSBENCH_REGOPY_TIMEOUT"):
        load_engine("regopy")
