"""Bounds on what a source reads: bytes per file, bytes and nesting per object, and a deadline.

Owns the numbers and the checks; the sources apply them and record what they refuse as a
SourceProblem. Pure apart from reading the monotonic clock and `read_bounded`'s one file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
# The API server refuses objects above 1.5 MiB (etcd's request limit): nothing real is larger.
DEFAULT_MAX_OBJECT_BYTES = 3 * MIB // 2
DEFAULT_MAX_FILE_BYTES = 64 * MIB
# Deep enough for any CRD schema; shallow enough that copying and encoding never exhaust the stack.
DEFAULT_MAX_DEPTH = 100
DEFAULT_DEADLINE_SECONDS = 600.0


class DeadlineExceeded(RuntimeError):
    """The scan's deadline passed while a source was still reading."""


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock; `None` seconds means no deadline."""

    seconds: float | None
    started: float = field(default_factory=time.monotonic)

    def remaining_seconds(self) -> float | None:
        if self.seconds is None:
            return None
        return self.started + self.seconds - time.monotonic()

    @property
    def expired(self) -> bool:
        left = self.remaining_seconds()
        return left is not None and left <= 0

    def check(self) -> None:
        if self.expired:
            raise DeadlineExceeded(f"--deadline of {self.seconds:g} s passed before reading finished")


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_DEADLINE_SECONDS))


class _Over(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def over_limits(value: Any, max_bytes: int, max_depth: int, what: str = "object") -> str | None:
    """Why `value` is over the bounds, or None.

    The size is about that of `value` as compact JSON; a part shared by YAML aliases counts
    each time it appears, so an alias bomb is measured as what it expands to, without
    expanding it. A part that contains itself is refused.
    """
    try:
        _cost(value, 0, {}, set(), max_bytes, max_depth, what)
    except _Over as over:
        return over.reason
    return None


def _cost(
    value: Any,
    depth: int,
    memo: dict[int, tuple[int, int]],
    active: set[int],
    max_bytes: int,
    max_depth: int,
    what: str,
) -> tuple[int, int]:
    """(bytes, height) of `value`; raises _Over past a bound. Recursion stops at max_depth."""
    if isinstance(value, str):
        return len(value) + 2, 0
    if not isinstance(value, dict | list):
        return 8, 0
    key = id(value)
    if key in active:
        raise _Over("a YAML alias refers to the node that contains it")
    known = memo.get(key)
    if known is not None:
        if depth + known[1] > max_depth:
            raise _Over(f"{what} nested deeper than {max_depth} levels")
        return known
    if depth >= max_depth:
        raise _Over(f"{what} nested deeper than {max_depth} levels")
    active.add(key)
    # A container is a level itself, even an empty one: met again through an alias it is then
    # refused at the same depth as when first met (`depth >= max_depth` above).
    total, height = 2, 1
    pairs = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    for name, item in pairs:
        size, below = _cost(item, depth + 1, memo, active, max_bytes, max_depth, what)
        total += size + (len(str(name)) + 4 if name is not None else 1)
        height = max(height, below + 1)
        if total > max_bytes:
            raise _Over(f"{what} is larger than {max_bytes:,} bytes")
    active.discard(key)
    memo[key] = (total, height)
    return total, height


def read_bounded(path: Path, limit_bytes: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `limit_bytes`; OSError as open() raises it."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        # A buffer of the file's size, not the limit's; a file that grows is read up to the limit.
        data = handle.read(min(size, limit_bytes) + 1)
        if len(data) > size:
            data += handle.read(limit_bytes + 1 - len(data))
    return None if len(data) > limit_bytes else data
