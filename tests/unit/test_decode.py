"""scanner.decode: YAML built from events gives what PyYAML's SafeLoader gives, and every bound
stops the parse while it runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from scanner.decode import Budget, Meter, OverBudget, json_upper_bound, load_json, load_yaml_all

BIG = Budget.for_bytes(1 << 20)

SAME_AS_PYYAML = [
    "a: 1\nb: [1, 2.5, true, null, '3', 2024-01-01, 0x1f, .inf]\n",
    "--- &x {a: 1}\n---\nbase: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n",
    "b: &b {x: 1}\nc: {<<: [*b, {y: 2, x: 9}], z: 3}\n",
    "b: &b {x: 1, w: 0}\nc: {x: 5, <<: *b}\n",
    "- !!binary aGVsbG8=\n- !!set {a, b}\n- !!str 12\n- !!float 1\n",
    "k: &s hello\nl: [*s, *s]\nm: {*s : 1}\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "",
    "# only a comment\n",
    "---\n---\na: 1\n",
    "? [1]\n: 2\n",
    "a: *nope\n",
    "a: <<\n",
    "a: !unknown 1\n",
    "a: &x 1\nb: &x 2\n",
]


def _outcome(load: Any) -> Any:
    try:
        return repr(list(load()))
    except yaml.YAMLError as exc:
        return type(exc).__name__


@pytest.mark.parametrize("text", SAME_AS_PYYAML)
def test_documents_are_built_as_pyyaml_builds_them(text: str) -> None:
    expected = _outcome(lambda: yaml.safe_load_all(text))
    got = _outcome(lambda: load_yaml_all(text, Meter(BIG)))
    assert got == expected


def test_an_alias_counts_its_anchor_each_time_without_expanding_it() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    meter = Meter(Budget(max_values=10_000, max_string_chars=10**12))
    with pytest.raises(OverBudget, match="decodes to more than 10,000 values"):
        list(load_yaml_all(text, meter))
    assert meter.values <= 10_000 + 1_111  # stopped at the first alias past the bound


@pytest.mark.parametrize(
    ("text", "budget", "message"),
    [
        ("- {}\n" * 50, Budget(1_000, 1_000, max_items=20), "more than 20 items in one sequence or mapping"),
        ("[" * 30 + "]" * 30, Budget(1_000, 1_000, max_depth=10), "nested deeper than 10 levels"),
        ("a: " + "x" * 200 + "\n", Budget(1_000, 100, source="--max-file-bytes 100"),
         r"more than 100 characters of strings \(--max-file-bytes 100\)"),
        ("- [1, 2, 3]\n" * 50, Budget(100, 1_000, source="--max-file-bytes 800"),
         r"more than 100 values \(--max-file-bytes 800 ÷ 8\)"),
        ("a: &a [1, *a]\n", BIG, r"the alias \*a refers to the node that contains it"),
    ],
)  # fmt: skip
def test_each_bound_stops_the_parse(text: str, budget: Budget, message: str) -> None:
    with pytest.raises(OverBudget, match=message):
        list(load_yaml_all(text, Meter(budget)))


class _Late(Exception):
    pass


def test_the_deadline_is_checked_while_parsing() -> None:
    calls: list[int] = []

    def deadline() -> None:
        calls.append(1)
        if len(calls) > 2:
            raise _Late

    with pytest.raises(_Late):
        list(load_yaml_all("- [1, 2, 3]\n" * 10_000, Meter(Budget(10**9, 10**9, deadline=deadline))))
    with pytest.raises(_Late):
        calls.clear()
        load_json(
            json.dumps([{"a": i} for i in range(10_000)]), Meter(Budget(10**9, 10**9, deadline=deadline))
        )


@pytest.mark.parametrize(
    "value",
    [[], {}, [[], [], {}], {"a": "x,y[z]{", "b": [1, 2, {"c": None}]}, "text", 3, [[[[[]]]]]],
)
def test_the_json_count_is_never_below_what_decodes(value: Any) -> None:
    def values(item: Any) -> int:
        if isinstance(item, dict):
            return 1 + sum(values(v) for v in item.values())
        if isinstance(item, list):
            return 1 + sum(values(v) for v in item)
        return 1

    text = json.dumps(value)
    assert json_upper_bound(text) >= values(value)
    assert json_upper_bound(text.encode()) == json_upper_bound(text)


def test_json_past_its_count_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(OverBudget, match="could decode to more than 10 values"):
        load_json("[" + "[]," * 20 + "[]]", Meter(Budget(10, 10**6)))
    with pytest.raises(OverBudget, match="more than 3 items"):
        load_json('{"a": 1, "b": 2, "c": 3, "d": 4}', Meter(Budget(100, 10**6, max_items=3)))
