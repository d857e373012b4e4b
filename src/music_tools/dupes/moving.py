"""The file operations of an action, each safe on its own: a move is one rename, or across
file systems a copy beside the target renamed into place (a crash leaves both files, never
neither; `undo` removes the copy a crash left), a trashed file goes to the system trash
(its errors naming the trash folder, not the music file), and a name taken gets " (2)".
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from contextlib import suppress

from send2trash import send2trash

from ..errors import os_reason
from ..util import printable_path

__all__ = [
    "ActionFailed",
    "free_name",
    "remove_partial_copy",
    "rename",
    "same_file",
    "send_to_trash",
    "unchanged",
]


class ActionFailed(Exception):
    """An action that could not be done, and why, in words that name the right place."""


def same_file(first: str, second: str) -> bool:
    """One file under two names: a link, or a folder mounted twice (a bind mount), where
    moving one name takes the other with it."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return os.path.realpath(first) == os.path.realpath(second)


def unchanged(path: str, size: int | None, mtime_ns: int | None) -> bool:
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns == mtime_ns


def free_name(target: str, taken: set[str]) -> str:
    """`target`, or "name (2).ext" and so on when a file of that name is already there
    (or an earlier action of this run takes it)."""
    stem, ext = os.path.splitext(target)
    candidate, n = target, 1
    while candidate in taken or os.path.lexists(candidate):
        n += 1
        candidate = f"{stem} ({n}){ext}"
    return candidate


def rename(source: str, target: str) -> None:
    """One rename; across file systems a copy beside the target (under a name of its own)
    renamed into place, then the source removed: a crash in between leaves both, never
    neither, and a copy that fails (a full disk) leaves nothing behind."""
    try:
        os.rename(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=_PART, dir=folder)
    os.close(handle)
    try:
        shutil.copy2(source, partial)
        os.rename(partial, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(partial)
        raise
    try:
        os.unlink(source)
    except OSError:  # the source stays where it was, so its copy goes
        with suppress(OSError):
            os.unlink(target)
        raise


_PART = ".part"
#: the name `rename` gives its copy: ".<name>.<tempfile's 8 random characters>.part"
_PART_NAME = ".{}." + "[a-z0-9_]" * 8 + re.escape(_PART)


def remove_partial_copy(target: str) -> None:
    """The hidden copy a move across file systems was making beside `target` when a
    crash stopped it: only a regular file of exactly that name's pattern."""
    folder, name = os.path.split(target)
    pattern = re.compile(_PART_NAME.format(re.escape(name)))
    with suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with suppress(OSError):
                    os.unlink(entry.path)


def send_to_trash(path: str) -> None:
    """send2trash, whose errors about the trash folder (one it cannot make, say) would
    otherwise read as if about the music file."""
    try:
        send2trash(path)
    except OSError as exc:
        place = os.fsdecode(exc.filename) if exc.filename is not None else None
        if place is None or place == path:
            raise
        reason = f"cannot use the trash folder {printable_path(place)}: {os_reason(exc)}"
        raise ActionFailed(reason) from None
