"""Small helpers every stage uses: chunking an iterable, folder containment, printable paths."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

__all__ = ["chunks", "is_inside", "printable_path"]

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
