"""Small helpers every stage uses: chunking an iterable, folder containment, printable paths."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

__all__ = ["chunks", "human_size", "is_inside", "printable_path", "special_kind"]

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, never materialising the whole input."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def is_inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies below it (by name: links are not resolved)."""
    if folder == os.sep:
        return path.startswith(os.sep)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def printable_path(path: str) -> str:
    """A path as text: one that is not valid UTF-8 shows its odd bytes as \\xNN escapes.

    Every path that leaves the program (a table, JSON, CSV, an error line) goes through here.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def human_size(size: float) -> str:
    """A byte count as a person reads it: 2.1 MB (decimal units)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def special_kind(mode: int) -> str:
    """What a file that is not a regular file is (from its st_mode), in a word or two."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"
