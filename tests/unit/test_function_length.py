"""No function of the packages is over 80 lines unless a one-line reason sits right above it.

The reason is a comment on the line before the `def` (or its first decorator) that starts with
`# long:`, e.g. `# long: one table of every flag, read top to bottom`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scanner", "harness", "ksbench")
LIMIT = 80
REASON = "# long:"


def _too_long(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function over LIMIT lines with no reason above it."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.end_lineno is None:
            continue
        length = node.end_lineno - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        above = lines[first - 2].strip() if first >= 2 else ""
        if length > LIMIT and not (above.startswith(REASON) and len(above) > len(REASON) + 3):
            found.append((node.name, node.lineno, length))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_long_function_without_a_reason(package: str) -> None:
    long = [
        f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, line, length in _too_long(path.read_text(encoding="utf-8"))
    ]
    assert not long, "split these or put a one-line '# long: why' above them:\n" + "\n".join(long)


def test_the_check_sees_a_long_function_and_accepts_a_reason() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT))
    assert [name for name, *_ in _too_long(f"def f():\n{body}")] == ["f"]
    assert _too_long(f"# long: a table of constants\ndef f():\n{body}") == []
    assert [n for n, *_ in _too_long(f"# long:\ndef f():\n{body}")] == ["f"]  # a reason says something
    short = "".join(f"    x{i} = {i}\n" for i in range(LIMIT - 1))
    assert _too_long(f"def f():\n{short}") == []  # 80 lines with its def
