"""Every SQLite error, reads included, becomes a StoreError naming the database and saying
what went wrong in words a person can act on. Wrapped once, where the driver is called."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import apsw

from ..errors import (
    DatabaseCorruptError,
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    NotALibraryError,
    StoreError,
)

__all__ = ["store_error", "translated"]

_FRESH = "move it aside and run `music-tools index` to build a fresh index"


def store_error(path: str | os.PathLike[str], exc: BaseException) -> StoreError:
    """The StoreError (or child) for a driver error `exc` on the database at `path`."""
    if isinstance(exc, StoreError):
        return exc
    where = os.fspath(path)
    if isinstance(exc, apsw.NotADBError):
        return NotALibraryError(
            where, "not a music-tools library: not an SQLite database (or its header is damaged)"
        )
    if isinstance(exc, apsw.CorruptError):
        return DatabaseCorruptError(where, f"the database is corrupt ({exc}); {_FRESH}")
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return DatabaseLockedError(
            where, "the database is locked by another process (gave up waiting)"
        )
    if isinstance(exc, apsw.ReadOnlyError):
        return DatabaseReadOnlyError(
            where, "the database is read-only here (no permission to write the file or its folder)"
        )
    if isinstance(exc, apsw.FullError):
        return DatabaseFullError(
            where,
            "the disk is full: the database could not grow (what was committed is kept; "
            "free some space and run again)",
        )
    if isinstance(exc, apsw.CantOpenError):
        return StoreError(where, "cannot open the database file (missing folder or permission?)")
    if isinstance(exc, apsw.IOError):
        return StoreError(where, f"input/output error on the database (failing disk?): {exc}")
    return StoreError(where, f"database error: {exc}")


@contextmanager
def translated(path: str | os.PathLike[str]) -> Iterator[None]:
    """Driver errors raised inside become StoreErrors about `path`."""
    try:
        yield
    except apsw.Error as exc:
        raise store_error(path, exc) from exc
