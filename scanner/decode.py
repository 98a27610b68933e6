"""YAML and JSON decoded within a budget measured while parsing: values, nesting, items per
container, string characters, and the deadline.

YAML is built from the parser's events (libyaml's when it is installed), one value at a time and
without PyYAML's node tree: each event is counted as it arrives and the parse stops at the first
bound it crosses, so a file of empty mappings cannot grow a gigabyte of nodes first. An alias
counts what its anchor decoded to each time it appears (measured, never expanded); an alias to a
node that is still open (a node that contains itself) is refused.

JSON is decoded by the standard library's C decoder. Before it starts, the values it can make are
counted from the text (one per comma, bracket and brace, strings included, so never fewer than it
makes); while it runs, a hook on every object counts its items and checks the deadline. Nesting is
bounded by the decoder's recursion guard and measured after (scanner.bounded.over_limits).

Pure apart from the deadline callback a caller passes in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

# Real dumps hold one value per 20 bytes of JSON (kubescape's 60 MB fixture: 2,934,556 values, 3,783,977
# by the JSON count below) and the largest shipped scenario's largest file one per 14.5 by that count
# (huge's Pods: 112,668,018 bytes, 7,766,689); one value per 8 bytes of the byte bound leaves both
# twice that, and caps the worst case (`[]`, `{}`: 3 bytes, ~70 bytes of Python each) at ~9 bytes
# of memory per byte allowed.
BYTES_PER_VALUE = 8
# Items in one sequence or mapping: four times the largest shipped scenario's whole cluster (huge:
# 50,000 objects) as one List.
DEFAULT_MAX_ITEMS = 200_000
DEFAULT_MAX_DEPTH = 100
_DEADLINE_EVERY = 1024  # events (YAML) or objects (JSON) between two looks at the clock

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SET = "tag:yaml.org,2002:set"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_STR = "tag:yaml.org,2002:str"


class OverBudget(Exception):
    """A decoded value crossed a bound; the message names the bound and its value."""


@dataclass(frozen=True)
class Budget:
    """What one file or response may decode to. `deadline` raises when the caller's time is up."""

    max_values: int
    max_string_chars: int
    max_depth: int = DEFAULT_MAX_DEPTH
    max_items: int = DEFAULT_MAX_ITEMS
    deadline: Callable[[], None] | None = None
    # The byte bound the budget goes with, named in messages so a user knows which option moves it.
    source: str = ""

    @property
    def values_source(self) -> str:
        return f"{self.source} ÷ {BYTES_PER_VALUE}" if self.source else ""

    @classmethod
    def for_bytes(
        cls, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH, deadline: Callable[[], None] | None = None,
        source: str = "",
    ) -> Budget:  # fmt: skip
        """The budget that goes with a byte bound: one value per BYTES_PER_VALUE bytes, as many characters."""
        return cls(
            max(max_bytes // BYTES_PER_VALUE, 1), max_bytes, max_depth, DEFAULT_MAX_ITEMS, deadline, source
        )


class Meter:
    """Counts what one file (all its documents) or one response decodes to, against a Budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.values = 0
        self.string_chars = 0
        self._ticks = 0

    def _over(self, what: str, bound: int, origin: str = "") -> OverBudget:
        return OverBudget(f"decodes to more than {bound:,} {what}" + (f" ({origin})" if origin else ""))

    def counted(self) -> tuple[int, int]:
        """What was counted so far, for `restore` when a caller drops what it decoded since."""
        return self.values, self.string_chars

    def restore(self, counted: tuple[int, int]) -> None:
        self.values, self.string_chars = counted

    def add(self, values: int, string_chars: int = 0) -> None:
        self.values += values
        self.string_chars += string_chars
        if self.values > self.budget.max_values:
            raise self._over("values", self.budget.max_values, self.budget.values_source)
        if self.string_chars > self.budget.max_string_chars:
            raise self._over("characters of strings", self.budget.max_string_chars, self.budget.source)

    def depth(self, depth: int) -> None:
        if depth > self.budget.max_depth:
            raise OverBudget(f"nested deeper than {self.budget.max_depth} levels")

    def items(self, count: int) -> None:
        if count > self.budget.max_items:
            raise self._over("items in one sequence or mapping", self.budget.max_items)

    def tick(self) -> None:
        self._ticks += 1
        if self._ticks % _DEADLINE_EVERY == 0 and self.budget.deadline is not None:
            self.budget.deadline()


# --- JSON ---------------------------------------------------------------------------------------


def json_upper_bound(text: str | bytes) -> int:
    """Never fewer than the values `text` decodes to: one per comma, bracket and brace, plus one."""
    if isinstance(text, bytes):
        return 1 + text.count(b",") + text.count(b"[") + text.count(b"{")
    return 1 + text.count(",") + text.count("[") + text.count("{")


def _object_hook(meter: Meter) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def hook(obj: dict[str, Any]) -> dict[str, Any]:
        meter.items(len(obj))
        meter.tick()
        return obj

    return hook


def json_decoder(meter: Meter, **options: Any) -> json.JSONDecoder:
    """A decoder whose objects are counted and whose parse checks the deadline (after `json_precount`)."""
    return json.JSONDecoder(object_hook=_object_hook(meter), **options)


def json_precount(text: str | bytes, meter: Meter) -> None:
    """Refuse, before a value is made, a text that could decode past the budget."""
    if meter.budget.deadline is not None:
        meter.budget.deadline()
    count = json_upper_bound(text)
    if meter.values + count > meter.budget.max_values:
        origin = f" ({meter.budget.values_source})" if meter.budget.values_source else ""
        raise OverBudget(
            f"could decode to more than {meter.budget.max_values:,} values{origin}: "
            f"it has {count:,} commas, brackets and braces"
        )
    meter.add(count)


def load_json(text: str | bytes, meter: Meter, **options: Any) -> Any:
    """`json.loads` within the meter's budget: OverBudget (or the deadline's error) past it."""
    json_precount(text, meter)
    return json.loads(text, object_hook=_object_hook(meter), **options)


# --- YAML ---------------------------------------------------------------------------------------


def _key_any(key: Any, mark: Any, mapping_mark: Any) -> Hashable:
    if not isinstance(key, Hashable):
        raise ConstructorError("while constructing a mapping", mapping_mark, "found unhashable key", mark)
    return key


@dataclass(frozen=True)
class Dialect:
    """How a mapping is built: the loader whose scalar constructors and resolver apply, how a key
    is turned into a dictionary key (may raise ConstructorError), and whether `!!set` is a mapping."""

    loader: type[yaml.SafeLoader] = yaml.SafeLoader
    key: Callable[[Any, Any, Any], Hashable] = _key_any
    sets_as_mappings: bool = False


class _Frame:
    __slots__ = (
        "anchor",
        "height",
        "items",
        "key",
        "key_mark",
        "kind",
        "mark",
        "merge_next",
        "merges",
        "pairs",
        "start_chars",
        "start_values",
        "tag",
        "value",
        "want_key",
    )  # fmt: skip

    def __init__(self, kind: str, tag: str | None, anchor: str | None, mark: Any, meter: Meter) -> None:
        self.kind = kind
        self.tag = tag
        self.anchor = anchor
        self.mark = mark
        self.value: list[Any] = []
        self.pairs: list[tuple[Any, Any]] = []
        self.merges: list[Any] = []
        self.want_key = True
        self.key: Any = None
        self.key_mark: Any = None
        self.merge_next = False
        self.items = 0
        self.height = 1
        self.start_values = meter.values
        self.start_chars = meter.string_chars


class _Open:
    """An anchor whose node has not ended yet."""


_OPEN = _Open()


def _event_source(text: str) -> Any:
    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]  # libyaml's, when PyYAML has it
    except ImportError:
        return yaml.SafeLoader(text)  # its Parser part, pure Python
    return CParser(text)


def load_yaml_all(text: str, meter: Meter, dialect: Dialect | None = None) -> Iterator[Any]:
    """Each document of `text` as the dialect's loader would build it, within the meter's budget.

    Errors as PyYAML raises them (yaml.YAMLError with marks), OverBudget past a bound, and the
    deadline's own error when the deadline passes.
    """
    builder = _Builder(meter, dialect or Dialect())
    parser = _event_source(text)
    try:
        while True:
            event = parser.get_event()
            meter.tick()
            if isinstance(event, StreamEndEvent):
                return
            done = builder.feed(event)
            if done:
                yield builder.document
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


class _Builder:
    def __init__(self, meter: Meter, dialect: Dialect) -> None:
        self.meter = meter
        self.dialect = dialect
        self.constructor = dialect.loader("")
        self.constructors = dialect.loader.yaml_constructors
        self.anchors: dict[str, Any] = {}
        self.stack: list[_Frame] = []
        self.document: Any = None

    def feed(self, event: Any) -> bool:
        """Take one event; True when a document ended (its value in `self.document`)."""
        if isinstance(event, ScalarEvent):
            self._scalar(event)
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            kind = "mapping" if isinstance(event, MappingStartEvent) else "sequence"
            if event.anchor is not None:
                self._new_anchor(event.anchor, event.start_mark)
                self.anchors[event.anchor] = _OPEN
            self.meter.add(1)
            self.stack.append(_Frame(kind, event.tag, event.anchor, event.start_mark, self.meter))
            self.meter.depth(len(self.stack))
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            self._end()
        elif isinstance(event, AliasEvent):
            self._alias(event)
        elif isinstance(event, DocumentStartEvent):
            self.anchors = {}
            self.document = None
        elif isinstance(event, DocumentEndEvent):
            return True
        elif not isinstance(event, StreamStartEvent):  # pragma: no cover - PyYAML has no other events
            raise ConstructorError(None, None, f"unexpected event {type(event).__name__}", event.start_mark)
        return False

    def _new_anchor(self, anchor: str, mark: Any) -> None:
        if anchor in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {anchor!r}", mark)

    def _scalar(self, event: Any) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.constructor.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _VALUE:
            tag = _STR
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        is_merge_key = (
            tag == _MERGE
            and bool(self.stack)
            and self.stack[-1].kind == "mapping"
            and self.stack[-1].want_key
        )
        if is_merge_key:
            value: Any = _MERGE
        else:
            make = self.constructors.get(tag) or self.constructors[None]
            value = make(self.constructor, node)
        if event.anchor is not None:
            self._new_anchor(event.anchor, event.start_mark)
        self.meter.add(1, len(event.value))
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1, len(event.value), 0)
        self._place(value, 0, event.start_mark, is_merge_key=is_merge_key)

    def _alias(self, event: Any) -> None:
        known = self.anchors.get(event.anchor)
        if known is None:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        if known is _OPEN:
            raise OverBudget(f"the alias *{event.anchor} refers to the node that contains it")
        value, values, chars, height = known
        self.meter.depth(len(self.stack) + height)
        self.meter.add(values, chars)
        self._place(value, height, event.start_mark)

    def _end(self) -> None:
        frame = self.stack.pop()
        value = self._finish(frame)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (
                value,
                self.meter.values - frame.start_values + 1,
                self.meter.string_chars - frame.start_chars,
                frame.height,
            )
        self._place(value, frame.height, frame.mark)

    def _finish(self, frame: _Frame) -> Any:
        tag = frame.tag
        if frame.kind == "sequence":
            if tag not in (None, "!", _SEQ):
                raise ConstructorError(None, None, f"the tag {tag!r} is not read on a sequence", frame.mark)
            return frame.value
        if tag == _SET and not self.dialect.sets_as_mappings:
            return {key for key, _ in frame.pairs}
        if tag not in (None, "!", _MAP, _SET):
            raise ConstructorError(None, None, f"the tag {tag!r} is not read on a mapping", frame.mark)
        mapping: dict[Any, Any] = {}
        # Merged mappings first, in order (an earlier one wins over a later), then the mapping's own keys win.
        for merged in frame.merges:
            for key, value in merged.items():
                mapping.setdefault(key, value)
        for key, value in frame.pairs:
            mapping[key] = value
        return mapping

    def _place(self, value: Any, height: int, mark: Any, is_merge_key: bool = False) -> None:
        if not self.stack:
            self.document = value
            return
        parent = self.stack[-1]
        parent.height = max(parent.height, height + 1)
        if parent.kind == "sequence":
            parent.value.append(value)
            parent.items += 1
            self.meter.items(parent.items)
            return
        if parent.want_key:
            parent.merge_next = is_merge_key
            if not is_merge_key:
                parent.key = self.dialect.key(value, mark, parent.mark)
            parent.want_key = False
            return
        parent.want_key = True
        if parent.merge_next:
            parent.merges.extend(_merged(value, mark, parent.mark))
            return
        parent.pairs.append((parent.key, value))
        parent.items += 1
        self.meter.items(parent.items)


def _merged(value: Any, mark: Any, mapping_mark: Any) -> list[dict[Any, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return list(value)
    raise ConstructorError(
        "while constructing a mapping",
        mapping_mark,
        "expected a mapping or list of mappings for merging",
        mark,
    )
