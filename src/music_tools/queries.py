"""Read-only questions about a library (stats, search) and `relocate`, as library calls.

The CLI renders what these return; all the SQL stays here.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import StoreError
from .models import LibraryFile
from .store import TABLE, LibraryDatabase
from .store.batch import ROW_ERRORS
from .store.rows import COLUMNS, db_path, decode_path, files_from_rows, prefix_bounds
from .util import chunks, is_inside

__all__ = ["LibraryStats", "SearchError", "library_stats", "relocate", "search"]


@dataclass(slots=True)
class LibraryStats:
    files: int = 0
    inactive: int = 0
    total_size: int = 0
    total_duration: float = 0.0
    lossless: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    roots: dict[str, int] = field(default_factory=dict)
    last_indexed_at: float | None = None
    errors: int = 0

    @property
    def lossless_share(self) -> float:
        return self.lossless / self.files if self.files else 0.0


def library_stats(db: LibraryDatabase) -> LibraryStats:
    conn = db.connection
    stats = LibraryStats()
    row: tuple[Any, ...] = conn.execute(
        f"SELECT count(*), total(file_size), total(duration), total(is_lossless), "
        f"max(indexed_at) FROM {TABLE} WHERE is_active = 1"
    ).fetchall()[0]
    stats.files, size, duration, lossless, stats.last_indexed_at = row
    stats.total_size, stats.total_duration, stats.lossless = int(size), duration, int(lossless)
    stats.inactive = db.count_files(active_only=False) - stats.files
    for file_format, count in conn.execute(
        f"SELECT coalesce(file_format, '?'), count(*) FROM {TABLE} WHERE is_active = 1 "
        "GROUP BY 1 ORDER BY 2 DESC"
    ):
        stats.formats[file_format] = count
    for root, count in conn.execute(
        f"SELECT library_root, count(*) FROM {TABLE} WHERE is_active = 1 GROUP BY 1 ORDER BY 1"
    ):
        stats.roots[decode_path(root) if root is not None else "(none)"] = count
    stats.errors = len(db.scan_errors)
    return stats


class SearchError(ValueError):
    """A search query that cannot be understood."""


_TEXT_FIELDS = {
    "artist": "artist",
    "title": "title",
    "album": "album",
    "albumartist": "album_artist",
    "album_artist": "album_artist",
    "genre": "genre",
    "format": "file_format",
    "codec": "codec",
    "path": "file_path",
}
_FREE_TEXT = ("artist", "title", "album", "album_artist")


def search(db: LibraryDatabase, query: str, limit: int | None = None) -> Iterator[LibraryFile]:
    """Active rows matching `query`: `field:value` terms (artist, title, album, albumartist,
    genre, format, codec, path, year: 1999 or 1990..1999) and free words, all of which must
    match (case-insensitive for ASCII letters, substring match, quotes group words)."""
    where, params = _conditions(query)
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE {' AND '.join(where)} "
        "ORDER BY artist, album, disc_number, track_number, file_path"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.connection.execute(sql, params)
    for rows in chunks(cursor, 500):
        yield from files_from_rows(rows)


def _conditions(query: str) -> tuple[list[str], list[Any]]:
    try:
        terms = shlex.split(query)
    except ValueError as exc:
        raise SearchError(f"cannot read the query: {exc}") from None
    where: list[str] = ["is_active = 1"]
    params: list[Any] = []
    for term in terms:
        name, sep, value = term.partition(":")
        name = name.lower()
        if sep and name == "year":
            low, dots, high = value.partition("..")
            try:
                years = (int(low), int(high if dots else low))
            except ValueError:
                raise SearchError(
                    f"year wants a number or a range like 1990..1999: {value!r}"
                ) from None
            where.append("year BETWEEN ? AND ?")
            params += years
        elif sep and name in _TEXT_FIELDS:
            where.append(f"{_TEXT_FIELDS[name]} LIKE ? ESCAPE '\\'")
            params.append(_like(value))
        elif sep and name and name.isidentifier():
            known = ", ".join(sorted({*_TEXT_FIELDS, "year"}))
            raise SearchError(f"unknown field {name!r}; use one of: {known}")
        else:
            where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in _FREE_TEXT) + ")")
            params += [_like(term)] * len(_FREE_TEXT)
    return where, params


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def relocate(db: LibraryDatabase, old: str, new: str) -> int:
    """Re-point every row under folder `old` to folder `new`, in one transaction."""
    old, new = os.path.abspath(old), os.path.abspath(new)
    if old == new:
        return 0
    conn = db.connection
    moved = 0
    with db.atomic():
        for table, columns in (
            (TABLE, ("file_path", "directory", "library_root")),
            ("scan_errors", ("file_path", "library_root")),
        ):
            select = (
                f"SELECT id, {', '.join(columns)} FROM {table} "
                "WHERE file_path >= ? AND file_path < ?"
            )
            updates = []
            for low, high in prefix_bounds(old):
                for row_id, *values in conn.execute(select, (low, high)).fetchall():
                    updates.append((*(_moved(decode_path(v), old, new) for v in values), row_id))
            sets = ", ".join(f"{c} = ?" for c in columns)
            try:
                conn.executemany(f"UPDATE {table} SET {sets} WHERE id = ?", updates)
            except ROW_ERRORS as exc:
                raise StoreError(f"cannot relocate {old} to {new}: {exc}") from exc
            if table == TABLE:
                moved = len(updates)
    return moved


def _moved(value: str | None, old: str, new: str) -> str | bytes | None:
    if value is None:
        return None
    if is_inside(value, old):
        value = new + value[len(old) :]
    return db_path(value)
