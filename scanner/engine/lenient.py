"""kubescape's builtin-error semantics on an engine that raises them.

kubescape evaluates without strict builtin errors: a builtin that fails (base64.decode of text
that is not base64, `contains` given an object) is undefined and evaluation goes on. The OPA
binding raises instead, and so does regorus, and the whole rule would be skipped. So calls of the
builtins that fail on kubescape's inputs are routed through guarded wrappers that are undefined
exactly where the builtin would fail. Strings and comments are left as they are. Builtins not
listed here still raise (docs/policies.md lists what that leaves).
Pure text transformation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PACKAGE = "ksbench_lenient"
MODULE_NAME = "ksbench/lenient.rego"
MODULE = (
    f"package {PACKAGE}\n"
    + """

import rego.v1

base64_decode(text) := base64.decode(text) if base64.is_valid(text)

yaml_unmarshal(text) := yaml.unmarshal(text) if yaml.is_valid(text)

json_unmarshal(text) := json.unmarshal(text) if json.is_valid(text)

contains_text(text, part) := contains(text, part) if {
	is_string(text)
	is_string(part)
}

count_of(collection) := count(collection) if is_array(collection)

count_of(collection) := count(collection) if is_set(collection)

count_of(collection) := count(collection) if is_object(collection)

count_of(collection) := count(collection) if is_string(collection)
"""
)
# builtin → its wrapper; matched only as a call, not as part of a longer name.
WRAPPED = {
    "base64.decode": "base64_decode",
    "yaml.unmarshal": "yaml_unmarshal",
    "json.unmarshal": "json_unmarshal",
    "contains": "contains_text",
    "count": "count_of",
}
_CALL = re.compile(r"(?<![\w.])(" + "|".join(re.escape(b) for b in WRAPPED) + r")\(")


# Code, then a string ("..." with escapes, or `raw`) or a comment, repeatedly.
_SEGMENT = re.compile(r'([^"`#]*)("(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*|["`#])?', re.DOTALL)


def _rewrite(source: str) -> str:
    out: list[str] = []
    for match in _SEGMENT.finditer(source):
        code, literal = match.group(1), match.group(2) or ""
        out.append(_CALL.sub(lambda m: f"data.{PACKAGE}.{WRAPPED[m.group(1)]}(", code))
        out.append(literal)
    return "".join(out)


def lenient_modules(modules: Mapping[str, str]) -> dict[str, str]:
    """The modules with decoding builtins routed through the wrappers, plus the wrappers' module."""
    rewritten = {name: _rewrite(source) for name, source in modules.items()}
    if rewritten != dict(modules):
        rewritten[MODULE_NAME] = MODULE
    return rewritten
