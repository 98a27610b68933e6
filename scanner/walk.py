"""Walking a folder the user named: bounded in depth, and nothing under it skipped without a reason.

One walker for every folder the tools read files from (manifest folders, `--host-data`, dumps
given to `scenario import`). It never follows a symbolic link to a folder: such a link is
returned as skipped, with the reason, so a link loop cannot make the walk endless and a folder
outside the one named is never read unasked. A symbolic link to a file is read as the file (as
before); a broken or looping link, and a folder that cannot be listed, are skipped with the
reason. A folder nested deeper than `max_depth` below the one named ends the walk with
FolderTooDeep naming it. Iterative: no recursion, whatever the depth. Reads folder listings only.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Real manifest trees are a few levels deep; 100 is far past any and far below PATH_MAX's reach.
MAX_FOLDER_DEPTH = 100


class FolderTooDeep(ValueError):
    """A folder nested deeper than the walk allows; the message names it."""

    def __init__(self, path: Path, max_depth: int) -> None:
        super().__init__(f"{path}: folders nested more than {max_depth} deep below the one given; not read")
        self.path = path


@dataclass(frozen=True)
class Skipped:
    """Something under the folder that was not read, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Walk:
    files: tuple[Path, ...]  # sorted by path, as a sorted recursive glob would list them
    skipped: tuple[Skipped, ...]


def walk_files(root: Path, suffixes: Sequence[str], max_depth: int = MAX_FOLDER_DEPTH) -> Walk:
    """Every file under `root` whose name ends in one of `suffixes`, and what was skipped."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    pending: list[tuple[Path, int]] = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append(Skipped(folder, f"cannot read: cannot list the folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            matches = entry.name.endswith(tuple(suffixes))
            if entry.is_symlink():
                reason = _link_reason(path, matches)
                if reason is None:
                    files.append(path)
                elif reason:
                    skipped.append(Skipped(path, reason))
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 > max_depth:
                    raise FolderTooDeep(path, max_depth)
                pending.append((path, depth + 1))
            elif matches and entry.is_file(follow_symlinks=False):
                files.append(path)
            elif matches:
                mode = entry.stat(follow_symlinks=False).st_mode
                skipped.append(Skipped(path, f"not read: {_what(mode)}"))
    return Walk(tuple(sorted(files)), tuple(sorted(skipped, key=lambda s: s.path)))


def _link_reason(path: Path, matches: bool) -> str | None:
    """None: a link to a file to read; "" a link to ignore (not a manifest by name); else why it is skipped."""
    try:
        target = os.stat(path)
    except OSError as exc:
        if not matches:
            return ""
        if exc.errno == errno.ELOOP:
            return "cannot read: a symbolic link loop"
        return f"cannot read: cannot be followed: {exc.strerror}"
    if stat.S_ISDIR(target.st_mode):
        return "not read: a symbolic link to a folder, not followed (name the folder itself to read it)"
    if matches and stat.S_ISREG(target.st_mode):
        return None
    return f"not read: a symbolic link to {_what(target.st_mode)}" if matches else ""


def _what(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "something that is not a regular file"
