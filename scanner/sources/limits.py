"""Bounds on what a source reads: bytes per file, bytes and nesting per object, and a deadline.

Owns the numbers and the checks; the sources apply them and record what they refuse as a
SourceProblem. Pure apart from reading the monotonic clock. Files are read by scanner.bounded
(`read_bounded`, re-exported here): regular files only, never past a byte limit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.bounded import MIB, NotRegularFile, over_limits, read_bounded
from scanner.decode import Budget

# The one reader and the one measure of a decoded value, where the sources import them.
__all__ = ["MIB", "NotRegularFile", "over_limits", "read_bounded"]

# The API server refuses objects above 1.5 MiB (etcd's request limit): nothing real is larger.
DEFAULT_MAX_OBJECT_BYTES = 3 * MIB // 2
DEFAULT_MAX_FILE_BYTES = 64 * MIB
# Deep enough for any CRD schema; shallow enough that copying and encoding never exhaust the stack.
DEFAULT_MAX_DEPTH = 100
DEFAULT_DEADLINE_SECONDS = 600.0
# Four times the largest scenario's whole cluster (huge: 50,000 resources): every real kind fits, an
# endless LIST (a new continue token on every page) does not.
DEFAULT_MAX_OBJECTS_PER_KIND = 200_000


class DeadlineExceeded(RuntimeError):
    """The scan's deadline passed while a source was still reading."""


@dataclass
class Deadline:
    """A budget of reading time on the monotonic clock; `None` seconds means no deadline.

    Only reading counts: while a page is with the scan (`with deadline.paused(): yield page`),
    the clock stops. With streaming (P5) the scan evaluates each batch while the source is
    suspended between pages; without the pause a large cluster's evaluation would use up the
    reading budget and the kinds listed last would be lost to the deadline on a slow machine.
    """

    seconds: float | None
    started: float = field(default_factory=lambda: time.monotonic())  # the clock as called now (tests)
    paused_seconds: float = 0.0  # time spent with the consumer, not reading
    _paused_at: float | None = field(default=None, repr=False)

    def remaining_seconds(self) -> float | None:
        if self.seconds is None:
            return None
        now = time.monotonic()
        stopped = self.paused_seconds + (now - self._paused_at if self._paused_at is not None else 0.0)
        return self.started + stopped + self.seconds - now

    @property
    def expired(self) -> bool:
        left = self.remaining_seconds()
        return left is not None and left <= 0

    def check(self) -> None:
        if self.expired:
            raise DeadlineExceeded(f"--deadline of {self.seconds:g} s passed before reading finished")

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock while the caller is not reading (nested pauses count once)."""
        if self._paused_at is not None:
            yield
            return
        self._paused_at = time.monotonic()
        try:
            yield
        finally:
            self.paused_seconds += time.monotonic() - self._paused_at
            self._paused_at = None


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_objects_per_kind: int = DEFAULT_MAX_OBJECTS_PER_KIND
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_DEADLINE_SECONDS))

    def budget(self) -> Budget:
        """What one file (or one LIST response) may decode to, measured while it is parsed: one value
        per scanner.decode.BYTES_PER_VALUE bytes of --max-file-bytes, as many string characters, the nesting limit,
        and the deadline checked as it goes."""
        return Budget.for_bytes(
            self.max_file_bytes,
            self.max_depth,
            self.deadline.check,
            f"--max-file-bytes {self.max_file_bytes:,}",
        )
