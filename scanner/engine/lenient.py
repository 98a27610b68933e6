"""kubescape's builtin-error semantics on an engine that raises them.

kubescape evaluates without strict builtin errors: a builtin that fails (base64.decode of text
that is not base64, yaml.unmarshal of bad YAML) is undefined and evaluation goes on. The OPA
binding raises instead, and so does regorus, which would skip the whole rule. For the decoding
builtins, calls are routed through guarded wrappers that are undefined exactly where the builtin
would fail. Other builtins (e.g. `contains` or `count` given the wrong type) still raise: see
README "kubescape's regolibrary" for the cases this leaves. Pure text transformation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PACKAGE = "ksbench_lenient"
MODULE_NAME = "ksbench/lenient.rego"
MODULE = f"""package {PACKAGE}

import rego.v1

base64_decode(text) := base64.decode(text) if base64.is_valid(text)

yaml_unmarshal(text) := yaml.unmarshal(text) if yaml.is_valid(text)

json_unmarshal(text) := json.unmarshal(text) if json.is_valid(text)
"""
# builtin → its wrapper; matched only as a call, not as part of a longer name.
WRAPPED = {
    "base64.decode": "base64_decode",
    "yaml.unmarshal": "yaml_unmarshal",
    "json.unmarshal": "json_unmarshal",
}
_CALL = re.compile(r"(?<![\w.])(" + "|".join(re.escape(b) for b in WRAPPED) + r")\(")


def _rewrite(source: str) -> str:
    return _CALL.sub(lambda m: f"data.{PACKAGE}.{WRAPPED[m.group(1)]}(", source)


def lenient_modules(modules: Mapping[str, str]) -> dict[str, str]:
    """The modules with decoding builtins routed through the wrappers, plus the wrappers' module."""
    rewritten = {name: _rewrite(source) for name, source in modules.items()}
    if rewritten != dict(modules):
        rewritten[MODULE_NAME] = MODULE
    return rewritten
