"""The action log: one JSON line per step of an acting run, written before and after the
step, read back by `undo`.

Each record names the library it acted on (`library`: the database file, or the catalog's
URL without its password; `library_host`: the machine), so that a log is only ever
continued by runs on the same library: `--log` naming anything else (an audio file, notes,
another library's log) is refused before a file is touched, and nothing is appended to
it. Logs written before records named their library are still read and continued.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..errors import MusicToolsError, os_reason
from ..store import LibraryDatabase
from ..util import human_size, printable_path

__all__ = [
    "STEP_STATUSES",
    "library_of",
    "other_library",
    "prepare_log",
    "read_log",
    "read_log_file",
    "write_record",
]

#: what a record says of its step: begun, then done, failed or left alone
STEP_STATUSES = ("started", "done", "failed", "skipped")
#: a record is a few paths long; a longer line is not one (an audio file has none such)
_LINE_LIMIT = 1 << 20

#: each logged field of an Action -> the JSON types it may have (None: null)
_RECORD_TYPES: dict[str, tuple[type | None, ...]] = {
    "path": (str,),
    "target": (str, None),
    "size": (int, None),
    "mtime_ns": (int, None),
    "keep": (str,),
    "keep_size": (int, None),
    "keep_mtime_ns": (int, None),
    "row_id": (int, None),
    "root": (str, None),
    "target_root": (str, None),
    "step": (int,),
}
_OPTIONAL_TYPES: dict[str, tuple[type | None, ...]] = {
    "keep_row_id": (int, None),
    "library": (str,),
    "library_host": (str, None),
}


def library_of(db: LibraryDatabase) -> dict[str, Any]:
    """The fields that name `db` in a record: its file (resolved) and this host, or the
    catalog's URL (no password) and the machine this process acts as."""
    if db.dialect == "sqlite":
        return {"library": os.path.realpath(db.path), "library_host": socket.gethostname()}
    return {"library": db.path, "library_host": db.machine}


def write_record(log: IO[str] | None, record: dict[str, Any]) -> None:
    """One line, on disk before the step it announces begins. Written past the stream's
    buffer: a write that fails (a full disk) leaves nothing buffered for the close to fail
    on again, and is a MusicToolsError naming the log (the steps logged before it stay
    undoable; a line cut short at the end is left out by `read_log`)."""
    if log is None:
        return
    line = json.dumps(record) + "\n"  # ASCII: odd bytes in names survive as \udcXX
    try:
        fd = log.fileno()
    except (AttributeError, io.UnsupportedOperation):  # a stream without a descriptor
        log.write(line)
        return
    try:
        log.flush()
        data = memoryview(line.encode("ascii"))
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    except OSError as exc:
        name = printable_path(str(getattr(log, "name", "the action log")))
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None


def read_log(lines: Iterable[str]) -> dict[tuple[str, int], dict[str, Any]]:
    """Each step of a log -> its last record, in the order the steps began.

    A last line without its newline that does not parse was cut by a crash while being
    written (before its step began) and is left out; a bad line anywhere else refuses the
    whole log (MusicToolsError). The lines are read one ahead, never all at once."""
    steps: dict[tuple[str, int], dict[str, Any]] = {}
    pending = iter(lines)
    line = next(pending, None)
    number = 0
    while line is not None:
        number += 1
        following = next(pending, None)
        if line.strip():
            try:
                record = _parse(line)
            except ValueError:
                if following is None and not line.endswith("\n"):
                    break  # cut short by a crash
                raise MusicToolsError(f"line {number} is not a music-tools action") from None
            if record is not None:
                steps[(record.get("run", ""), record["step"])] = record
        line = following
    return steps


def read_log_file(path: str) -> dict[tuple[str, int], dict[str, Any]]:
    """`read_log` of the file at `path`, read as a stream of lines of at most 1 MiB: a
    FIFO, a device, a file that is not text or not JSON lines (an audio file given by
    mistake) is refused (MusicToolsError) at once, never read whole."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise MusicToolsError(os_reason(exc)) from None
    with open(fd, "rb") as log:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MusicToolsError("not a music-tools action log (not a regular file)")
        try:
            return read_log(_text_lines(log))
        except OSError as exc:
            raise MusicToolsError(os_reason(exc)) from None


def _text_lines(log: IO[bytes]) -> Iterator[str]:
    for number, raw in enumerate(_lines(log), start=1):
        if len(raw) >= _LINE_LIMIT and not raw.endswith(b"\n"):
            raise MusicToolsError(
                f"not a music-tools action log (line {number} is longer than "
                f"{human_size(_LINE_LIMIT)})"
            )
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MusicToolsError("not a music-tools action log (not text)") from None


def other_library(
    steps: dict[tuple[str, int], dict[str, Any]], library: dict[str, Any]
) -> dict[str, Any] | None:
    """The library fields of the first record that names a library other than `library`
    (None: every record names it, or none names any: a log from before they did)."""
    for record in steps.values():
        theirs = {key: record[key] for key in library if key in record}
        if theirs and theirs != library:
            return theirs
    return None


def prepare_log(path: str, library: dict[str, Any]) -> None:
    """Make sure a run may append to `path`: it is absent, empty, or an action log of
    `library` (a line a crash cut short at its end is dropped first: `undo` leaves it out,
    and a record appended to it would spoil both). Raise MusicToolsError otherwise."""
    name = printable_path(path)
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    if not stat.S_ISREG(found.st_mode):
        raise MusicToolsError(f"{name}: not a music-tools action log (not a regular file)")
    end = 0
    try:
        with open(path, "rb") as log:
            for number, raw in enumerate(_lines(log), start=1):
                record = _checked(raw, number, name)
                if record is None:  # the last line, cut short by a crash
                    break
                end += len(raw)
                _same_library(record, library, name)
    except OSError as exc:
        raise MusicToolsError(f"{name}: {os_reason(exc)}") from None
    if end < found.st_size:
        os.truncate(path, end)


def _lines(log: IO[bytes]) -> Iterator[bytes]:
    while raw := log.readline(_LINE_LIMIT):
        yield raw


def _checked(raw: bytes, number: int, name: str) -> dict[str, Any] | None:
    """The record on one raw line; None for a last line cut short by a crash."""
    refused = MusicToolsError(
        f"{name}: not a music-tools action log (line {number} is not a music-tools action); "
        "give --log a new file or one of this library's logs"
    )
    if not raw.strip():
        return {}
    try:
        record = _parse(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        if number > 1 and not raw.endswith(b"\n") and raw.startswith(b'{"run": '):
            return None  # after records of ours, the start of one
        raise refused from None
    if not raw.endswith(b"\n"):
        raise refused  # a whole record without its newline: edited by hand
    return record or {}


def _same_library(record: dict[str, Any], library: dict[str, Any], name: str) -> None:
    theirs = {key: record[key] for key in library if key in record}
    if theirs and theirs != library:
        where = printable_path(str(theirs.get("library")))
        host = theirs.get("library_host")
        raise MusicToolsError(
            f"{name}: an action log of another library ({where}"
            f"{f' on {host}' if host and host != library.get('library_host') else ''}); "
            "give --log a new file or one of this library's logs"
        )


def _parse(line: str) -> dict[str, Any] | None:
    """A step's record; None for a record of another kind; ValueError for no record."""
    try:
        record = json.loads(line)
        if record["status"] not in STEP_STATUSES:
            return None
        _check_record(record)
    except (KeyError, TypeError):
        raise ValueError(line) from None
    if not isinstance(record, dict):
        raise ValueError(line)
    return record


def _check_record(record: dict[str, Any]) -> None:
    """Raise ValueError unless `record` is a logged action (a log edited by hand may hold
    anything)."""
    if record["op"] not in ("move", "trash"):
        raise ValueError(record["op"])
    optional = {k: v for k, v in _OPTIONAL_TYPES.items() if k in record}
    for name, types in {**_RECORD_TYPES, **optional}.items():
        value = record[name]
        if not any(value is None if t is None else type(value) is t for t in types):
            raise ValueError(name)
        if type(value) is int and abs(value) >= 2**63:  # no SQLite integer holds it
            raise ValueError(name)
