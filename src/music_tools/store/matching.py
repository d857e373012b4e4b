"""The queries duplicate checking needs: candidates by several keys in one snapshot, groups
of rows sharing a key, caching full hashes, and rows following files that were moved.

Every lookup is an IN-list chunked by the connection's own variable limit, on an indexed
column or expression (see schema version 4), so a batch of new files costs a handful of
queries whatever its size, and grouping a library is an index scan.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import apsw

from ..errors import StoreError
from ..models import LibraryFile
from ..util import chunks
from . import sql
from .blocking import FUZZY_BLOCK_SQL
from .database import TABLE, LibraryDatabase
from .driver_errors import store_error
from .rows import COLUMNS, db_path, files_from_rows

__all__ = [
    "KEY_EXPRESSIONS",
    "HashUpdate",
    "cache_full_hashes",
    "files_by_keys",
    "groups_by_key",
    "move_row",
]

#: kind of key -> the indexed column or expression that holds it
KEY_EXPRESSIONS: dict[str, str] = {
    "audio_key": "audio_key",
    "metadata_hash": "metadata_hash",
    "musicbrainz_recording_id": "musicbrainz_recording_id",
    "fuzzy_block": FUZZY_BLOCK_SQL,
}
CACHE_WAIT_S = 0.5


@dataclass(frozen=True, slots=True)
class HashUpdate:
    """Full hashes computed for a row, valid only while the file has this size and mtime."""

    row_id: int
    file_size: int
    file_mtime_ns: int
    audio_hash: str | None
    file_content_hash: str | None


def files_by_keys(
    db: LibraryDatabase, wanted: dict[str, Iterable[str]]
) -> dict[str, dict[str, list[LibraryFile]]]:
    """{kind: {key: [active rows]}} for every kind of key in `wanted`, in one read snapshot.

    A row that carries several wanted keys comes back once per kind, as the same object.
    """
    limit = db.connection.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1)
    seen: dict[int, LibraryFile] = {}
    found: dict[str, dict[str, list[LibraryFile]]] = {}
    with db.reading():
        for kind, keys in wanted.items():
            expression = KEY_EXPRESSIONS[kind]
            by_key: dict[str, list[LibraryFile]] = {}
            for chunk in chunks(sorted(set(keys)), limit):
                query = (
                    f"SELECT {expression}, {', '.join(COLUMNS)} FROM {TABLE} WHERE is_active = 1 "
                    f"AND {expression} IN ({sql.placeholders(len(chunk))})"
                )
                rows = _execute(db, query, chunk)
                files = files_from_rows(row[1:] for row in rows)
                for row, file in zip(rows, files, strict=True):
                    by_key.setdefault(str(row[0]), []).append(seen.setdefault(file.id or 0, file))
            found[kind] = by_key
    return found


def groups_by_key(db: LibraryDatabase, kind: str) -> Iterator[list[LibraryFile]]:
    """Active rows sharing a key of `kind` with at least one other, one list per key.

    The keys come from a GROUP BY over the (is_active, key) index, then the rows are read
    in key order, so memory holds one group at a time beyond the rows themselves.
    """
    expression = KEY_EXPRESSIONS[kind]
    query = (
        f"SELECT {expression}, {', '.join(COLUMNS)} FROM {TABLE} "
        f"WHERE is_active = 1 AND {expression} IN (SELECT {expression} FROM {TABLE} "
        f"WHERE is_active = 1 AND {expression} IS NOT NULL "
        f"GROUP BY {expression} HAVING count(*) > 1) ORDER BY 1"
    )
    with db.reading():
        rows = _execute(db, query, ())
        files = files_from_rows(row[1:] for row in rows)
    group: list[LibraryFile] = []
    current = None
    for row, file in zip(rows, files, strict=True):
        if row[0] != current and group:
            yield group
            group = []
        current = row[0]
        group.append(file)
    if group:
        yield group


def cache_full_hashes(db: LibraryDatabase, updates: Sequence[HashUpdate]) -> int:
    """Store full hashes in their rows, where the file has not changed since; returns how
    many rows took them. A database that cannot be written now (read-only, busy) is left
    alone: the cache is an optimisation, never a reason to fail a check."""
    if not updates:
        return 0
    statement = (
        f"UPDATE {TABLE} SET audio_hash = coalesce(?, audio_hash), "
        "file_content_hash = coalesce(?, file_content_hash) "
        "WHERE id = ? AND file_size = ? AND file_mtime_ns = ?"
    )
    params = [
        (u.audio_hash, u.file_content_hash, u.row_id, u.file_size, u.file_mtime_ns) for u in updates
    ]
    conn = db.connection
    conn.set_busy_timeout(int(CACHE_WAIT_S * 1000))  # an indexer writing: skip, not wait
    try:
        with db.atomic():
            before = conn.total_changes()
            conn.executemany(statement, params)
            return int(conn.total_changes() - before)
    except (StoreError, apsw.ReadOnlyError, apsw.BusyError, apsw.CantOpenError):
        return 0  # the write lock not had within CACHE_WAIT_S, or a read-only file
    finally:
        conn.set_busy_timeout(int(db.busy_timeout * 1000))


def move_row(
    db: LibraryDatabase,
    row_id: int,
    new_path: str,
    new_root: str | None,
    current: Sequence[str] = (),
) -> bool:
    """Point row `row_id` at `new_path` (inside the caller's transaction, if any); with
    `current`, only if the row is now at one of those paths (an action log replayed on
    another library must not re-point that library's row of the same id). Whether it did."""
    directory, filename = os.path.split(new_path)
    statement = (
        f"UPDATE {TABLE} SET file_path = ?, filename = ?, directory = ?, library_root = ? "
        "WHERE id = ?"
    )
    params: list[object] = [
        db_path(new_path),
        db_path(filename),
        db_path(directory),
        _opt(new_root),
        row_id,
    ]
    if current:
        statement += f" AND file_path IN ({sql.placeholders(len(current))})"
        params += [db_path(path) for path in current]
    try:
        conn = db.connection
        before = conn.total_changes()
        conn.execute(statement, params)
        return bool(conn.total_changes() - before)
    except apsw.Error as exc:
        raise store_error(db.path, exc) from exc


def _opt(path: str | None) -> str | bytes | None:
    return None if path is None else db_path(path)


def _execute(db: LibraryDatabase, query: str, params: Sequence[object]) -> list[tuple[object, ...]]:
    try:
        return db.connection.execute(query, params).fetchall()
    except apsw.Error as exc:
        raise store_error(db.path, exc) from exc
