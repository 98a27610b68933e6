"""The one bounded reader for every file the tools open by name: regular files only, and never
more than a limit of bytes.

`read_json_bounded` decodes a JSON file within the budget that goes with its byte bound
(scanner.decode, measured while parsing). `over_limits` measures what a file decoded to (bytes as compact JSON, nesting), counting a part
shared by YAML aliases each time it appears without expanding it.

A FIFO, a device (/dev/zero), a socket or a folder given where a file is expected is refused by
name before a byte is read (opened non-blocking, so a FIFO with no writer cannot hang the
open); a file larger than the limit is refused after reading at most limit + 1 bytes. The
scanner's sources (scanner.sources.limits re-exports it), its option files (--exceptions,
--data-control-inputs, policies) and the harness's stored results all read through it.
Pure apart from reading that one file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from scanner.decode import Budget, Meter, OverBudget, load_json

MIB = 1024 * 1024
# Option files (exceptions, data control inputs, a policy's JSON): real ones are kilobytes.
OPTION_FILE_MAX_BYTES = 16 * MIB


class NotRegularFile(OSError):
    """A path that names something other than a regular file; `strerror` says what it is."""


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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def folder_problem(path: Path, must_exist: bool = True) -> str | None:
    """Why `path` cannot be used as a folder ("a FIFO, not a folder", "no such folder"), or None.

    For folders handed to other tools (git, go, kubescape): refused by name before they open them.
    A folder that does not exist yet is fine when `must_exist` is false (it will be made).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such folder" if must_exist else None
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return None
    return f"{'a regular file' if stat.S_ISREG(mode) else _kind(mode)}, not a folder"


def read_bounded(path: Path, limit_bytes: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `limit_bytes`.

    NotRegularFile (an OSError) for anything but a regular file; other OSErrors as open() raises them.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise NotRegularFile(
                0, f"{kind}, not a regular file" if kind.startswith("a ") else kind, str(path)
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            size = os.fstat(handle.fileno()).st_size
            # A buffer of the file's size, not the limit's; a file that grows is read up to the limit.
            data = handle.read(min(size, limit_bytes) + 1)
            if len(data) > size:
                data += handle.read(limit_bytes + 1 - len(data))
    finally:
        if fd >= 0:
            os.close(fd)
    return None if len(data) > limit_bytes else data


def read_text_bounded(path: Path, limit_bytes: int, what: str) -> str:
    """A regular file's UTF-8 text within `limit_bytes`; OSError or ValueError saying why not, naming `what`."""
    data = read_bounded(path, limit_bytes)
    if data is None:
        raise ValueError(f"{what} {path} is larger than {limit_bytes:,} bytes")
    return data.decode("utf-8")


class DecodedTooLarge(ValueError):
    """A file within its byte bound whose JSON decodes past its budget; the message names file and bound."""


def read_json_bounded(path: Path, limit_bytes: int, what: str, **options: Any) -> Any:
    """A regular file's JSON within `limit_bytes`, decoded within the budget that goes with it
    (scanner.decode: values, items, characters measured while parsing). OSError, ValueError
    (DecodedTooLarge past the budget) or RecursionError saying why not."""
    text = read_text_bounded(path, limit_bytes, what)
    try:
        return load_json(text, Meter(Budget.for_bytes(limit_bytes)), **options)
    except OverBudget as exc:
        raise DecodedTooLarge(f"{what} {path} {exc} (a file of at most {limit_bytes:,} bytes)") from exc
