"""One error root for the package, a child per layer, each carrying what a person needs."""

from __future__ import annotations

import enum
import errno
import os

__all__ = [
    "ActionError",
    "DatabaseCorruptError",
    "DatabaseFullError",
    "DatabaseLockedError",
    "DatabaseReadOnlyError",
    "ExtractError",
    "ExtractKind",
    "MusicToolsError",
    "NotALibraryError",
    "SchemaError",
    "StoreError",
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


class ExtractKind(enum.Enum):
    """What kind of failure an ExtractError is, set where it is raised: what code decides by
    (whether to try again, what to say), while its reason is what a person reads."""

    ACCESS = "access"  # permission denied: a chmod fixes it, changing neither size nor mtime
    UNREADABLE = "unreadable"  # the OS could not read it: gone, an I/O error
    NOT_A_FILE = "not_a_file"  # a folder, FIFO, device or socket
    NOT_AUDIO = "not_audio"  # no audio format recognised, or an empty file
    TOO_LARGE = "too_large"  # tags larger than a reader holds in memory
    DAMAGED = "damaged"  # its headers declare more than it holds, or another stream
    TRUNCATED = "truncated"  # a parser ran out of bytes
    CORRUPT = "corrupt"  # a parser failed on what is there

    @property
    def lasting(self) -> bool:
        """Whether trying again is pointless until the file changes (its size or mtime):
        every kind but ACCESS."""
        return self is not ExtractKind.ACCESS


def os_kind(exc: OSError) -> ExtractKind:
    """The kind of a failure to open or read a file."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ExtractKind.ACCESS
    return ExtractKind.NOT_A_FILE if exc.errno == errno.EISDIR else ExtractKind.UNREADABLE


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


class ActionError(_PathError):
    """An action on duplicates that cannot start: the folder it moves files into cannot be
    made (`path` names the folder, never the music file)."""


class ExtractError(_PathError):
    """A file could not be read as audio: `reason` says why, `kind` what kind of failure."""

    def __init__(self, path: str | os.PathLike[str], reason: str, kind: ExtractKind) -> None:
        super().__init__(path, reason)
        self.kind = kind
        self.args = (self.path, reason, kind)  # pickled with its kind (a worker sends it)


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
