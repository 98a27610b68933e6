"""scanner.policies.reads: a rule is relational by what its Rego reads of `input`, not by what it matches."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from scanner.policies import LIBRARY_DIR, load_helpers, load_library, load_rule
from scanner.policies.reads import analyse, analyse_rule, parse_module, tokenize

HELPERS = load_helpers()
HEAD = "package armo_builtins\n\n"
ALERT = '\tmsga := {"alertObject": {"k8sApiObjects": [obj]}}\n'


def _reads(body: str, extra: str = ""):  # type: ignore[no-untyped-def]
    return analyse(HEAD + "deny contains msga if {\n" + body + ALERT + "}\n" + extra, HELPERS)


@pytest.mark.parametrize(
    "body",
    [
        '\tobj := input[_]\n\tobj.kind == "Pod"\n',
        '\tsome obj in input\n\tobj.kind == "Pod"\n',
        '\tsome i\n\tinput[i].kind == "Pod"\n\tobj := input[i]\n',  # one element, named twice
        "\tobj := input[_]\n\tdata.workloads.pod_spec(obj).hostPID\n",  # a helper that reads no input
        '\tobj := input[_]\n\tnot data.cautils.list_contains(["a"], obj.kind)\n',
        "\tobj := input[_]\n\tsome k in data.postureControlInputs.kinds\n\tk == obj.kind\n",
    ],
)
def test_one_element_at_a_time_is_per_object(body: str) -> None:
    reads = _reads(body)
    assert (reads.relational, reads.decided) == (False, True), reads.reason


@pytest.mark.parametrize(
    ("body", "extra", "why"),
    [
        ('\tobj := input[_]\n\tnode := input[_]\n\tnode.kind == "Node"\n', "", "joins two objects"),
        ("\tobj := input[_]\n\tcount(input) > 3\n", "", "uses input whole"),
        ("\tobj := input[_]\n\tnot exists(obj, input)\n", "exists(o, xs) if { xs[_] == o }\n", "whole"),
        ("\tobj := input[0]\n", "", "constant or an expression"),
        ('\tnodes := [n | n := input[_]; n.kind == "Node"]\n\tobj := nodes[_]\n', "", "comprehension"),
        ("\tobj := input[_]\n\tevery o in input { o.kind != obj.kind }\n", "", "every"),
        ('\tobj := input[_]\n\tnot input[_].kind == "Node"\n', "", "`not`"),
        (
            "\tobj := input[_]\n\thas_node\n",
            'has_node if {\n\tinput[_].kind == "Node"\n}\n',
            "reads rule has_node",
        ),
        (
            "\tobj := input[_]\n\tnode_of(obj)\n",
            "node_of(o) := n if {\n\tn := input[_]\n\tn.metadata.name == o.spec.nodeName\n}\n",
            "joins two objects",
        ),
        ("\tobj := input[_]\n\tdata.rbac.roles_of(obj)\n", "", "data.rbac.roles_of"),
    ],
)
def test_a_result_that_can_read_another_object_is_relational(body: str, extra: str, why: str) -> None:
    reads = _reads(body, extra)
    assert (reads.relational, reads.decided) == (True, True)
    assert why in reads.reason


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (
            HEAD + "deny contains x if {\n\tx := input[_]\n\tf with input as []\n}\nf if true\n",
            "with input as",
        ),
        (HEAD + "import input.foo\ndeny contains x if {\n\tx := input[_]\n}\n", "imports input.foo"),
        (
            HEAD + 'deny contains x if {\n\tx := input[_]\n\tk := "deny"\n\tdata.armo_builtins[k]\n}\n',
            "dynamic",
        ),
        (HEAD + "deny contains x if {\n\tx := input[_] ~ 1\n}\n", "cannot be read"),
    ],
)
def test_what_cannot_be_decided_is_relational_and_says_so(source: str, why: str) -> None:
    reads = analyse(source, HELPERS)
    assert (reads.relational, reads.decided) == (True, False)
    assert why in reads.reason


def test_a_join_in_the_enumerator_alone_makes_the_rule_relational() -> None:
    per_object = HEAD + "deny contains x if {\n\tx := input[_]\n}\n"
    joined = HEAD + 'deny contains x if {\n\tx := input[_]\n\tn := input[_]\n\tn.kind == "Node"\n}\n'
    assert not analyse_rule(per_object, per_object, HELPERS).relational
    reads = analyse_rule(per_object, joined, HELPERS)
    assert reads.relational and reads.reason.startswith("filter.rego: ")


def test_strings_comments_and_fields_named_input_are_not_the_document() -> None:
    source = HEAD + '# input[_] input[_]\ndeny contains x if {\n\tx := input[_]\n\tx.input == "input"\n}\n'
    assert not analyse(source, HELPERS).relational
    assert [t.text for t in tokenize('a := "input" # input')] == ["a", ":=", '"input"']


def test_statements_split_at_heads_not_inside_bodies_or_else_branches() -> None:
    module = parse_module(
        HEAD
        + "import data.cautils as cu\n\nf(x) := 1 if {\n\tx\n} else := 2\n\ndefault p := false\n\np if f(1)\n"
    )
    assert module.package == "armo_builtins" and module.aliases == {"cu": "cautils"}
    assert [(s.name, s.function) for s in module.statements] == [("f", True), ("p", False), ("p", False)]


def test_our_library_relational_rules_are_exactly_those_whose_rego_joins() -> None:
    library = load_library()
    by_reads = {name for name, rule in library.rules.items() if rule.reads.relational}
    assert {"rule-pod-on-cordoned-node", "rule-control-plane-pod-privileged"} <= by_reads
    assert all(rule.reads.decided for rule in library.rules.values())
    # The new rules declare nothing relational and match no RBAC kind: only their Rego says so.
    enumerated = library.rules["rule-control-plane-pod-privileged"]
    assert enumerated.relational and enumerated.reads.reason.startswith("filter.rego: ")
    assert not analyse(enumerated.source, HELPERS).relational
    for name, rule in library.rules.items():
        declared = load_rule(LIBRARY_DIR / "rules" / name)
        assert declared.relational == rule.relational


def test_metadata_cannot_make_a_joining_rule_per_object(tmp_path: Path) -> None:
    rule_dir = tmp_path / "join"
    rule_dir.mkdir()
    (rule_dir / "raw.rego").write_text(HEAD + "deny contains x if {\n\tx := input[_]\n\ty := input[_]\n}\n")
    (rule_dir / "rule.metadata.json").write_text(
        '{"name": "join", "match": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["Pod"]}],'
        ' "attributes": {"relational": false}}'
    )
    rule = load_rule(rule_dir)
    assert rule.relational and rule.reads.relational
    assert dataclasses.replace(rule, relational=False).reads.relational  # the verdict travels with the rule


REGOLIBRARY = Path(os.environ.get("KSBENCH_REGOLIBRARY", "/work/ext/regolibrary"))


@pytest.mark.skipif(
    not (REGOLIBRARY / "rules").is_dir(), reason="no regolibrary checkout (KSBENCH_REGOLIBRARY)"
)
def test_kubescape_regolibrary_joins_without_rbac_are_found() -> None:
    # Rules the fixture broke (Nodes × workloads, Services × workloads) and a per-object one.
    expected = {
        "set-procmount-default": True,
        "workload-mounted-pvc": True,
        "rule-privileged-container": False,
    }
    for name, relational in expected.items():
        if not (REGOLIBRARY / "rules" / name).is_dir():
            pytest.skip(f"{name} is not in this checkout")
        rule = load_rule(REGOLIBRARY / "rules" / name)
        assert rule.reads.relational is relational, rule.reads.reason
