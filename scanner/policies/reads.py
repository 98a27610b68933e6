"""What a rule reads of its `input`: whether its result for one object can depend on another.

A rule is per-object when every evaluation of each of its result rules reads exactly one element
of `input` (one iteration: `x := input[_]`, `some x in input`) and nothing else of it. It is
relational — it must see every object it may join in one evaluation, never a batch or a
namespace — when a rule body reads `input` through two iterations (a join), indexes it by a
constant or an expression, uses it whole (`count(input)`, `f(x, input)`, `input.kind`), iterates
it inside a comprehension, `every` or `not` (an aggregate over all objects), or reads another
rule or function that does any of that (a rule without arguments is evaluated over the whole
input, so reading one that reads `input` aggregates). References are followed through the rule's
own package and the helper packages (data.<package>.<name> and imported aliases).

Undecidable is conservative: a source the tokenizer cannot read, `with input as`, an import of
`input`, a dynamic reference into `data` — the rule is relational and `decided` is False, which
the scan counts (`rules_relational_undecided`).

A small tokenizer and a statement splitter, not a full Rego parser: enough structure to find
rule heads, bodies, brackets and comprehensions. Pure: reads strings, evaluates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

# Words that may open a line inside a statement without starting a new one.
_CONTINUATION = frozenset({"else", "if", "contains", "in", "with", "as", "not", "some", "every"})
_TOKEN = re.compile(
    r"""
    (?P<newline>\n)
    |(?P<space>[ \t\r\f]+)
    |(?P<comment>\#[^\n]*)
    |(?P<string>"(?:\\.|[^"\\\n])*")
    |(?P<raw>`[^`]*`)
    |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>:=|==|!=|<=|>=|[\[\]{}().,;:|&=<>+\-*/%])
    """,
    re.VERBOSE,
)


class Unreadable(ValueError):
    """A source the tokenizer cannot read."""


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, number, op
    text: str
    line_start: bool


@dataclass(frozen=True)
class InputReads:
    """A rule's verdict: relational or per-object, whether that was decided, and why."""

    relational: bool
    decided: bool = True
    reason: str = ""


PER_OBJECT = InputReads(False, True, "every result reads one object of input")


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position, line_start = 0, True
    while position < len(source):
        found = _TOKEN.match(source, position)
        if found is None:
            raise Unreadable(f"unexpected character {source[position]!r} at offset {position}")
        position = found.end()
        kind = found.lastgroup or ""
        if kind == "newline":
            line_start = True
            continue
        if kind in ("space", "comment"):
            continue
        tokens.append(Token("string" if kind == "raw" else kind, found.group(), line_start))
        line_start = False
    return tokens


@dataclass
class Statement:
    """One rule definition (head, bodies, else branches) or one package/import line."""

    tokens: list[Token]
    name: str = ""
    function: bool = False


@dataclass
class Module:
    package: str
    statements: list[Statement]
    aliases: dict[str, str] = field(default_factory=dict)  # import alias → package
    undecidable: str = ""


def _statements(tokens: list[Token]) -> Iterator[list[Token]]:
    depth, current = 0, []  # type: int, list[Token]
    for token in tokens:
        if (
            depth == 0
            and token.line_start
            and token.kind == "name"
            and token.text not in _CONTINUATION
            and current
        ):
            yield current
            current = []
        current.append(token)
        if token.text in "([{" and token.kind == "op":
            depth += 1
        elif token.text in ")]}" and token.kind == "op":
            depth = max(0, depth - 1)
    if current:
        yield current


def _dotted(tokens: list[Token], start: int) -> tuple[str, int]:
    """`a.b.c` from tokens[start] → ("a.b.c", index after it)."""
    parts = [tokens[start].text]
    index = start + 1
    while index + 1 < len(tokens) and tokens[index].text == "." and tokens[index + 1].kind == "name":
        parts.append(tokens[index + 1].text)
        index += 2
    return ".".join(parts), index


def parse_module(source: str) -> Module:
    tokens = tokenize(source)
    module = Module("", [])
    for part in _statements(tokens):
        head = part[0].text
        if head == "package" and len(part) > 1:
            module.package, _ = _dotted(part, 1)
            continue
        if head == "import" and len(part) > 1:
            path, after = _dotted(part, 1)
            if path == "input" or path.startswith("input."):
                module.undecidable = f"imports {path}"
            elif path.startswith("data."):
                alias = part[after + 1].text if after + 1 < len(part) and part[after].text == "as" else ""
                module.aliases[alias or path.rsplit(".", 1)[-1]] = path.removeprefix("data.")
            continue
        start = 1 if head == "default" and len(part) > 1 else 0
        if part[start].kind != "name":
            continue
        name, after = _dotted(part, start)
        function = after < len(part) and part[after].text == "("
        module.statements.append(Statement(part, name.split(".")[0], function))
    return module


def _closers(tokens: list[Token]) -> tuple[dict[int, int], set[int]]:
    """Each bracket's matching closer, and the openers whose group holds a `|` at its own depth."""
    matching: dict[int, int] = {}
    comprehension: set[int] = set()
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind != "op":
            continue
        if token.text in "([{":
            stack.append(index)
        elif token.text in ")]}" and stack:
            matching[stack.pop()] = index
        elif token.text == "|" and stack and tokens[stack[-1]].text in "[{":
            comprehension.add(stack[-1])
    return matching, comprehension


def _expression_start(tokens: list[Token], index: int) -> int:
    """Where the expression holding tokens[index] starts: after a `;`, a line break at its depth, or its opener."""
    depth = 0
    position = index
    while position > 0:
        token = tokens[position]
        if depth == 0 and token.line_start:
            return position
        previous = tokens[position - 1]
        if previous.kind == "op" and previous.text in ")]}":
            depth += 1
        elif previous.kind == "op" and previous.text in "([{":
            if depth == 0:
                return position
            depth -= 1
        elif depth == 0 and previous.text == ";":
            return position
        position -= 1
    return 0


@dataclass
class _Reads:
    """What one statement reads by itself."""

    iterations: int = 0
    relational: str = ""  # why, when it reads input other than by single iterations
    undecidable: str = ""
    calls: list[tuple[str, str]] = field(default_factory=list)  # (package, function) per call
    rules: list[tuple[str, str]] = field(default_factory=list)  # (package, rule) read whole


def _statement_reads(
    statement: Statement, module: Module, names: Mapping[str, bool], packages: frozenset[str]
) -> _Reads:
    """names: rule or function name in this package → whether it is a function."""
    tokens = statement.tokens
    matching, comprehension = _closers(tokens)
    reads = _Reads()
    index_vars: set[str] = set()
    open_groups: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind == "op" and token.text in "([{":
            open_groups.append(index)
            continue
        if token.kind == "op" and token.text in ")]}":
            if open_groups:
                open_groups.pop()
            continue
        if token.kind != "name":
            continue
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        before = tokens[index - 1] if index > 0 else None
        if before is not None and before.text == ".":
            continue  # a field (`x.input`), not the document
        if token.text == "with" and after is not None and after.text == "input":
            reads.undecidable = "replaces input (`with input as`)"
            continue
        if token.text == "input" and before is not None and before.text == "with":
            continue  # counted as undecidable at `with`
        if token.text == "input":
            _input_read(tokens, index, reads, index_vars, open_groups, comprehension, matching)
            continue
        if token.text == "data":
            _data_read(tokens, index, reads, packages)
            continue
        if index == 0 or (token.text == statement.name and index < 2):
            continue  # the statement's own head
        if token.text in module.aliases and after is not None and after.text == ".":
            path, end = _dotted(tokens, index)
            package, _, member = path.rpartition(".")
            target = (module.aliases[token.text] + package.removeprefix(token.text), member)
            called = end < len(tokens) and tokens[end].text == "("
            (reads.calls if called else reads.rules).append(target)
            continue
        if token.text in names and (after is None or after.text not in (":=", "=") or open_groups):
            (reads.calls if names[token.text] else reads.rules).append((module.package, token.text))
    return reads


def _input_read(
    tokens: list[Token],
    index: int,
    reads: _Reads,
    index_vars: set[str],
    open_groups: list[int],
    comprehension: set[int],
    matching: Mapping[int, int],
) -> None:
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    before = tokens[index - 1] if index > 0 else None
    start = _expression_start(tokens, index)
    words = {t.text for t in tokens[start:index] if t.kind == "name"}
    iteration = False
    if after is not None and after.text == "[":
        close = matching.get(index + 1, -1)
        inside = tokens[index + 2 : close]
        if len(inside) == 1 and inside[0].kind == "name" and inside[0].text not in ("true", "false", "null"):
            iteration = True
            if inside[0].text != "_":
                if inside[0].text in index_vars:
                    return  # the same element again
                index_vars.add(inside[0].text)
        else:
            reads.relational = reads.relational or "indexes input by a constant or an expression"
            return
    elif before is not None and before.text == "in" and "some" in words:
        iteration = True
    elif before is not None and before.text == "in" and "every" in words:
        reads.relational = reads.relational or "quantifies over every object of input (`every`)"
        return
    else:
        reads.relational = reads.relational or "uses input whole (not one element at a time)"
        return
    if iteration:
        if any(group in comprehension for group in open_groups):
            reads.relational = reads.relational or "iterates input inside a comprehension (an aggregate)"
            return
        if "not" in words or "every" in words:
            reads.relational = reads.relational or "iterates input under `not` or `every` (over every object)"
            return
        if any(_every_body(tokens, group) for group in open_groups):
            reads.relational = reads.relational or "iterates input inside an `every` body"
            return
        reads.iterations += 1


def _every_body(tokens: list[Token], opener: int) -> bool:
    if tokens[opener].text != "{" or opener == 0:
        return False
    start = _expression_start(tokens, opener)
    return any(t.text == "every" for t in tokens[start:opener])


def _data_read(tokens: list[Token], index: int, reads: _Reads, packages: frozenset[str]) -> None:
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if after is None or after.text != ".":
        reads.undecidable = "reads data by a dynamic reference"
        return
    path, end = _dotted(tokens, index)
    parts = path.split(".")[1:]
    # The longest known package the path starts with; the part after it is the rule or function.
    for cut in range(len(parts), 0, -1):
        package = ".".join(parts[:cut])
        if package not in packages:
            continue
        if cut == len(parts):
            reads.undecidable = f"reads data.{package} whole or by a dynamic reference"
            return
        member_end = end if cut + 1 == len(parts) else -1
        called = member_end != -1 and member_end < len(tokens) and tokens[member_end].text == "("
        (reads.calls if called else reads.rules).append((package, parts[cut]))
        return


class _Analysis:
    """Every module of one rule evaluation, and what each of their statements reads, transitively."""

    def __init__(self, modules: list[Module]) -> None:
        self.definitions: dict[tuple[str, str], list[_Reads]] = {}
        self.functions: set[tuple[str, str]] = set()
        self.undecidable = ""
        packages = frozenset(m.package for m in modules)
        for module in modules:
            self.undecidable = self.undecidable or module.undecidable
            names: dict[str, bool] = {}
            for statement in module.statements:
                names[statement.name] = names.get(statement.name, False) or statement.function
            for statement in module.statements:
                key = (module.package, statement.name)
                if statement.function:
                    self.functions.add(key)
                reads = _statement_reads(statement, module, names, packages)
                self.definitions.setdefault(key, []).append(reads)
        self._memo: dict[tuple[str, str], tuple[int, str, str]] = {}

    def total(self, key: tuple[str, str]) -> tuple[int, str, str]:
        """(iterations of input one evaluation of `key` reads at most, why relational, why undecidable)."""
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = (0, "", "")  # recursion: counted once
        most, why, unknown = 0, "", ""
        for reads in self.definitions.get(key, []):
            count, reason, undecided = reads.iterations, reads.relational, reads.undecidable
            for call in reads.calls:
                sub_count, sub_reason, sub_undecided = self.total(call)
                count += sub_count
                reason = reason or (f"calls {_name(call)}, which {sub_reason}" if sub_reason else "")
                undecided = undecided or sub_undecided
            for rule in reads.rules:
                sub_count, sub_reason, sub_undecided = self.total(rule)
                if sub_count or sub_reason:
                    reason = reason or f"reads rule {_name(rule)}, evaluated over the whole input"
                undecided = undecided or sub_undecided
            if count > 1:
                reason = reason or "joins two objects of input in one body"
            most = max(most, count)
            why = why or reason
            unknown = unknown or undecided
        self._memo[key] = (most, why, unknown)
        return self._memo[key]


def _name(key: tuple[str, str]) -> str:
    return f"data.{key[0]}.{key[1]}" if key[0] != "armo_builtins" else key[1]


def analyse(source: str, helpers: Mapping[str, str]) -> InputReads:
    """One module of package armo_builtins (a raw.rego or a filter.rego), helpers by package name."""
    try:
        module = parse_module(source)
        helper_modules = [parse_module(text) for text in helpers.values()]
    except Unreadable as exc:
        return InputReads(True, False, f"cannot be read ({exc})")
    analysis = _Analysis([module, *helper_modules])
    results = [s.name for s in module.statements if not s.function]
    undecided = analysis.undecidable
    for name in dict.fromkeys(results):
        _, reason, unknown = analysis.total((module.package, name))
        if reason:
            return InputReads(True, True, f"{name}: {reason}")
        undecided = undecided or unknown
    if undecided:
        return InputReads(True, False, undecided)
    return PER_OBJECT


def analyse_rule(source: str, enumerator: str | None, helpers: Mapping[str, str]) -> InputReads:
    """A rule with its resource enumerator: relational when either is."""
    main = analyse(source, helpers)
    if enumerator is None or (main.relational and main.decided):
        return main
    other = analyse(enumerator, helpers)
    if other.relational and (other.decided or not main.relational):
        return InputReads(True, other.decided, f"filter.rego: {other.reason}")
    return main
