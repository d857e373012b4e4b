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

from ..errors import StoreError
from ..models import LibraryFile
from ..util import chunks
from . import sql
from .blocking import FUZZY_BLOCK_SQL
from .database import TABLE, LibraryDatabase, both
from .rows import decode_path, files_from_rows

__all__ = [
    "KEY_EXPRESSIONS",
    "HashUpdate",
    "album_counts",
    "cache_full_hashes",
    "files_by_keys",
    "groups_by_key",
    "move_row",
]

#: kind of key -> the indexed column that holds it ("fuzzy_block" is an expression whose
#: text each engine gives, see store/blocking.py)
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


def _expression(db: LibraryDatabase, kind: str) -> str:
    return db.engine.fuzzy_block if kind == "fuzzy_block" else KEY_EXPRESSIONS[kind]


def files_by_keys(
    db: LibraryDatabase, wanted: dict[str, Iterable[str]]
) -> dict[str, dict[str, list[LibraryFile]]]:
    """{kind: {key: [active rows]}} for every kind of key in `wanted`, in one read snapshot,
    across the catalog (or `db.view`'s machine).

    A row that carries several wanted keys comes back once per kind, as the same object.
    """
    engine = db.engine
    scope = both("is_active = 1", engine.of_machine(db.view))
    seen: dict[int, LibraryFile] = {}
    found: dict[str, dict[str, list[LibraryFile]]] = {}
    with db.reading():
        for kind, keys in wanted.items():
            expression = _expression(db, kind)
            by_key: dict[str, list[LibraryFile]] = {}
            head = f"SELECT {expression}, {', '.join(db.columns)} FROM {TABLE} WHERE {scope} AND "
            for rows in engine.select_in(head, expression, sorted(set(keys))):
                files = files_from_rows(row[1:] for row in rows)
                for row, file in zip(rows, files, strict=True):
                    by_key.setdefault(str(row[0]), []).append(seen.setdefault(file.id or 0, file))
            found[kind] = by_key
    return found


def groups_by_key(db: LibraryDatabase, kind: str) -> Iterator[list[LibraryFile]]:
    """Active rows sharing a key of `kind` with at least one other, one list per key
    (across the catalog, or `db.view`'s machine).

    The keys come from a GROUP BY over the (is_active, key) index, then the rows are read
    in key order, so memory holds one group at a time beyond the rows themselves.
    """
    expression = _expression(db, kind)
    scope = both("is_active = 1", db.engine.of_machine(db.view))
    query = (
        f"SELECT {expression}, {', '.join(db.columns)} FROM {TABLE} "
        f"WHERE {scope} AND {expression} IN (SELECT {expression} FROM {TABLE} "
        f"WHERE {scope} AND {expression} IS NOT NULL "
        f"GROUP BY {expression} HAVING count(*) > 1) ORDER BY 1"
    )
    with db.reading():
        rows = db.engine.fetch(query)
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


def album_counts(
    db: LibraryDatabase, directories: Iterable[str]
) -> dict[tuple[str | None, str, str], int]:
    """(machine, folder, album) -> how many active rows lie directly in that folder with
    that album tag, for the folders given (machine None on SQLite): one grouped query per
    chunk of folders, on the directory index, however many groups ask. (`is_active` is
    tested in the count, not the WHERE clause, or SQLite would scan an (is_active, ...)
    index instead.)"""
    engine = db.engine
    machine = "machine" if db.machine is not None else "NULL"
    scope = both("album IS NOT NULL", engine.of_machine(db.view))
    keys = sorted({engine.db_path(d) for d in directories})
    counts: dict[tuple[str | None, str, str], int] = {}
    with db.reading():
        for chunk in chunks(keys, engine.in_chunk(10_000)):
            rows = engine.fetch(
                f"SELECT {machine}, directory, album, count(*) FILTER (WHERE is_active = 1) "
                f"FROM {TABLE} "
                f"WHERE {scope} AND {engine.in_clause('directory', len(chunk))} "
                "GROUP BY 1, 2, 3",
                engine.in_params(chunk),
            )
            for host, directory, album, count in rows:
                counts[(host, decode_path(directory), album)] = count
    return counts


def cache_full_hashes(db: LibraryDatabase, updates: Sequence[HashUpdate]) -> int:
    """Store full hashes in their rows, where the file has not changed since; returns how
    many rows took them. A database that cannot be written now (read-only, busy) is left
    alone: the cache is an optimisation, never a reason to fail a check."""
    if not updates or db.readonly:
        return 0
    statement = (
        f"UPDATE {TABLE} SET audio_hash = coalesce(?, audio_hash), "
        "file_content_hash = coalesce(?, file_content_hash) "
        "WHERE id = ? AND file_size = ? AND file_mtime_ns = ?"
    )
    params = [
        (u.audio_hash, u.file_content_hash, u.row_id, u.file_size, u.file_mtime_ns) for u in updates
    ]
    try:
        with db.engine.impatient(CACHE_WAIT_S), db.atomic():
            return db.engine.run_many(statement, params)
    except StoreError:
        return 0  # the write lock not had within CACHE_WAIT_S, or a read-only file


def move_row(
    db: LibraryDatabase,
    row_id: int,
    new_path: str,
    new_root: str | None,
    current: Sequence[str] = (),
) -> bool:
    """Point this machine's row `row_id` at `new_path` (inside the caller's transaction, if
    any); with `current`, only if the row is now at one of those paths (an action log
    replayed on another library must not re-point that library's row of the same id).
    Whether it did."""
    engine = db.engine
    directory, filename = os.path.split(new_path)
    conditions = [engine.mine(), "id = ?"]
    params: list[object] = [
        engine.db_path(new_path),
        engine.db_path(filename),
        engine.db_path(directory),
        None if new_root is None else engine.db_path(new_root),
        row_id,
    ]
    if current:
        conditions.append(f"file_path IN ({sql.placeholders(len(current))})")
        params += [engine.db_path(path) for path in current]
    statement = (
        f"UPDATE {TABLE} SET file_path = ?, filename = ?, directory = ?, library_root = ? "
        f"WHERE {both(*conditions)}"
    )
    return bool(engine.run(statement, params))
