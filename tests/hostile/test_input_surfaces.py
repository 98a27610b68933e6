"""Every option of `ksbench` and `ksbench scan` that takes a file or folder is in the table of input
surfaces (docs/safety.md), so none is read without a bound someone wrote down."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from harness.commands.main import build_parser as ksbench_parser
from scanner.cli import build_parser as scan_parser
from scanner.policytest import build_parser as policies_parser

SAFETY = Path(__file__).parents[2] / "docs" / "safety.md"
_PATHLIKE = re.compile(r"\b(file|folder|directory|dir|path|kubeconfig|\.toml)\b", re.IGNORECASE)
# Scenario names are read as NAME.toml in the scenarios folder, or as a path to a .toml file.
_SCENARIO_DESTS = ("scenario", "scenarios")
# Options whose help mentions a path but whose value is not a file any command reads.
NOT_READ = {
    "scan --context": "a context's name inside the kubeconfig",
    "bench --scanner": "a command line that is run, not read",
    "parity --scanner": "a command line that is run, not read",
    "bench --variant": "a command line that is run, not read",
    "policies test --rule": "a rule's name",
    "history --scenario": "a scenario's name in the stored results",
    "kubescape table --root": "a prefix for naming benches; nothing is read from it",
}


def _takes_a_path(action: argparse.Action) -> bool:
    if action.nargs == 0:  # a flag: no value at all
        return False
    if action.type is Path or getattr(action.type, "takes_path", False) or action.dest in _SCENARIO_DESTS:
        return True
    words = f"{action.metavar or ''} {action.help or ''} {action.dest}"
    return bool(_PATHLIKE.search(words))


def file_options() -> Iterator[str]:
    """`scan --exceptions`, `gate RESULTS`, …: each option that takes a path, spelled as the table spells it."""
    stack: list[tuple[str, argparse.ArgumentParser]] = [
        ("", ksbench_parser()),
        ("scan", scan_parser()),
        ("policies", policies_parser()),
    ]
    while stack:
        command, parser = stack.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack += [(f"{command} {name}".strip(), child) for name, child in action.choices.items()]
            elif _takes_a_path(action):
                spelled = action.option_strings[0] if action.option_strings else action.dest.upper()
                if action.option_strings:
                    spelled = max(action.option_strings, key=len)
                yield f"{command} {spelled}"


def _table() -> str:
    text = SAFETY.read_text(encoding="utf-8")
    start = text.index("## Every input surface")
    return text[start : text.index("\n\n", text.index("|---", start))]


def test_every_file_taking_option_is_in_the_table_of_input_surfaces() -> None:
    table = _table()
    options = sorted(set(file_options()) - set(NOT_READ))
    assert len(options) > 30  # the walk reaches every command
    missing = [option for option in options if f"`{option}`" not in table]
    assert not missing, f"add these to the table of input surfaces in docs/safety.md: {missing}"
