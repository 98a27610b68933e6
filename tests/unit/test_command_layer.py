"""Commands only compose: every command module is in the independence contract, and none spawns a
process or computes a statistic itself (import-linter's contracts cover the harness's own modules;
this test covers the standard library and third-party ones, which the contracts do not see)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from harness.commands import main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ROOT / "harness" / "commands"
SHARED = {"__init__", "options"}  # argument helpers every command may import
# Modules that start processes or compute statistics: only lower layers may use them.
FORBIDDEN_MODULES = ("subprocess", "multiprocessing", "statistics", "numpy", "scipy", "pty")
FORBIDDEN_CALLS = {
    ("os", name) for name in ("system", "popen", "fork", "execv", "execvp", "spawnv", "posix_spawn")
}


def _contracts() -> list[dict[str, object]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = data["tool"]["importlinter"]["contracts"]
    return contracts


def _command_modules() -> list[Path]:
    return sorted(p for p in COMMANDS.glob("*.py") if p.stem not in SHARED)


def test_every_command_module_is_independent_of_every_other() -> None:
    independent = next(c for c in _contracts() if c["type"] == "independence")
    listed = {str(name) for name in independent["modules"]}  # type: ignore[attr-defined]
    assert listed == {f"harness.commands.{p.stem}" for p in _command_modules()}
    assert set(main.COMMAND_MODULES) <= {p.stem for p in _command_modules()}


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _calls(tree: ast.AST) -> set[tuple[str, str]]:
    return {
        (node.func.value.id, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    }


@pytest.mark.parametrize("module", _command_modules(), ids=lambda p: p.stem)
def test_no_command_module_spawns_or_computes_statistics(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))
    bad = {
        name
        for name in _imported(tree)
        if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN_MODULES)
    }
    assert not bad, f"{module.name} imports {sorted(bad)}: move that work into a lower layer"
    assert not _calls(tree) & FORBIDDEN_CALLS, f"{module.name} starts a process itself"


def test_the_check_sees_a_spawning_module(tmp_path: Path) -> None:
    tree = ast.parse("import subprocess\nimport os\nos.system('true')\nfrom numpy import median\n")
    assert {"subprocess", "numpy.median"} <= _imported(tree)
    assert ("os", "system") in _calls(tree)
