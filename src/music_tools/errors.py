"""One error root for the package, a child per layer, each carrying what a person needs."""

from __future__ import annotations

import errno
import os

__all__ = [
    "DatabaseCorruptError",
    "DatabaseFullError",
    "DatabaseLockedError",
    "DatabaseReadOnlyError",
    "ExtractError",
    "MusicToolsError",
    "NotALibraryError",
    "ScanError",
    "SchemaError",
    "StoreError",
    "is_access_reason",
    "os_reason",
]

_OS_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such file (deleted, or a broken symbolic link)",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not a folder",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EIO: "input/output error (failing disk?)",
}


_ACCESS_ERRNOS = (errno.EACCES, errno.EPERM)


def is_access_reason(reason: str) -> bool:
    """Whether a recorded failure was about access (fixed by a chmod, which changes
    neither size nor mtime), so the file is worth trying again on every run."""
    return reason in {_OS_REASONS[e] for e in _ACCESS_ERRNOS}


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in words a person understands."""
    return _OS_REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


class MusicToolsError(Exception):
    """Root of every error music-tools raises on purpose."""


class _PathError(MusicToolsError):
    """An error about one file: `path` and a `reason` a person understands."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(path, reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ScanError(_PathError):
    """A folder or file could not be listed or stat-ed."""


class ExtractError(_PathError):
    """A file could not be read as audio."""


class StoreError(_PathError):
    """The database refused or lost a write, or could not be read or opened: `path` is the
    database (or the file whose row it refused; "" where none can be named, as for a URL
    that cannot be read), `reason` what went wrong."""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class SchemaError(StoreError):
    """The database schema is not one this version can use."""


class NotALibraryError(SchemaError):
    """The file is an SQLite database, but not a music-tools library."""


class DatabaseCorruptError(StoreError):
    """SQLite found the database damaged."""


class DatabaseLockedError(StoreError):
    """Another process held the database lock past the busy timeout."""


class DatabaseReadOnlyError(StoreError):
    """The database (or its folder) cannot be written by this user."""


class DatabaseFullError(StoreError):
    """The disk (or the database's size limit) is full."""
