"""One bench per output folder: an exclusive lock on `<out>/.ksbench.lock` for the bench's lifetime.

fcntl.flock, so the kernel releases it when the process ends, however it ends; the file itself
stays (removing it would race with a bench that just opened it). Two benches into one folder
would otherwise both exit 0 while one's results overwrite the other's.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.exit_codes import UsageError

LOCK_FILE = ".ksbench.lock"


@contextmanager
def locked_out(out: Path) -> Iterator[None]:
    """Hold the lock on `out` (created if missing); UsageError at once when another bench holds it."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK_FILE).open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UsageError(
                f"{out} is in use by another bench ({holder}): wait for it to finish, or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
