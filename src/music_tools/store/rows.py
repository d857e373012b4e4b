"""LibraryFile <-> database row, and the path encoding that keeps non-UTF-8 names exact.

A path that is valid UTF-8 is stored as TEXT, so the database stays readable; one that
is not (a `str` holding surrogate escapes, as `os.fsdecode` makes) is stored as the raw
bytes in a BLOB, and decoded back with `os.fsdecode`. TEXT and BLOB never compare equal
in SQLite, so the unique path index still holds one row per real file name.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

from ..models import LIBRARY_FILE_FIELDS, LibraryFile

__all__ = [
    "COLUMNS",
    "PATH_COLUMNS",
    "db_path",
    "decode_path",
    "files_from_rows",
    "gc_paused",
    "path_repairer",
    "prefix_bounds",
    "row_of",
]

COLUMNS = tuple(c for c in LIBRARY_FILE_FIELDS if c != "machine")
"""The library_index columns of an SQLite library (a PostgreSQL catalog adds `machine`)."""

if COLUMNS[1:5] != ("file_path", "filename", "directory", "library_root"):
    raise ImportError("files_from_rows expects the path columns at positions 1-4")

row_of = attrgetter(*COLUMNS)
"""LibraryFile -> tuple of column values in COLUMNS order (one C call)."""


def db_path(path: str) -> str | bytes:
    """The value stored for `path`: itself when valid UTF-8, else its raw bytes."""
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def prefix_bounds(folder: str) -> list[tuple[str | bytes, str | bytes]]:
    """[low, high) ranges of stored paths that lie under `folder`: one for paths kept as
    TEXT and one for paths kept as BLOB (SQLite orders every TEXT before every BLOB).

    A folder whose own name is not valid UTF-8 holds only BLOB paths: one range."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    raw = os.fsencode(prefix)
    blobs: tuple[str | bytes, str | bytes] = (raw, raw[:-1] + bytes([raw[-1] + 1]))
    if isinstance(db_path(prefix), bytes):
        return [blobs]
    return [(prefix, prefix[:-1] + chr(ord(os.sep) + 1)), blobs]


def decode_path(value: Any) -> Any:
    """The inverse of db_path for a value read back (None and str pass through)."""
    return os.fsdecode(value) if type(value) is bytes else value


PATH_COLUMNS = frozenset({"file_path", "filename", "directory", "library_root"})


def path_repairer(columns: Sequence[str]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function that makes the path columns of a row (laid out as `columns`) storable.

    Used only after a row failed to bind, so valid rows never pay for it.
    """
    positions = [i for i, column in enumerate(columns) if column in PATH_COLUMNS]

    def repair(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for position in positions:
            if isinstance(values[position], str):
                values[position] = db_path(values[position])
        return tuple(values)

    return repair


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector held off for one batch read: its rows become objects
    that form no cycle, yet trigger dozens of collections (the pause is worth 7% of an
    unchanged rescan and 15-30% of a 100,000-key lookup: docs/benchmarks.md, Store)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def files_from_rows(rows: Iterable[Sequence[Any]]) -> list[LibraryFile]:
    """Rows selected in COLUMNS order -> LibraryFiles (booleans and paths restored)."""
    files: list[LibraryFile] = []
    append = files.append
    for row in rows:
        item = LibraryFile(*row)
        if item.is_lossless is not None:
            item.is_lossless = item.is_lossless == 1
        item.is_active = item.is_active == 1
        if bytes in (type(row[1]), type(row[2]), type(row[3]), type(row[4])):
            # a PostgreSQL catalog returns every path as bytes
            if type(row[1]) is bytes:
                item.file_path = os.fsdecode(row[1])
            if type(row[2]) is bytes:
                item.filename = os.fsdecode(row[2])
            if type(row[3]) is bytes:
                item.directory = os.fsdecode(row[3])
            if type(row[4]) is bytes:
                item.library_root = os.fsdecode(row[4])
        append(item)
    return files
