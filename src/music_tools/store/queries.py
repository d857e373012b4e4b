"""Read-only questions about a library (stats, search) and `relocate`, as library calls.

The CLI renders what these return; all the SQL stays here.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import StoreError
from ..models import LibraryFile
from ..util import (
    SEARCH_TEXT_FIELDS,
    SEARCH_TEXT_SEPARATOR,
    chunks,
    fold_text,
    is_inside,
    printable_path,
)
from .batch import ROW_ERRORS
from .database import TABLE, LibraryDatabase, where
from .engine import Engine
from .rows import db_path, decode_path, files_from_rows

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
    #: active files per machine (a PostgreSQL catalog; empty for an SQLite library)
    machines: dict[str, int] = field(default_factory=dict)
    last_indexed_at: float | None = None
    errors: int = 0

    @property
    def lossless_share(self) -> float:
        return self.lossless / self.files if self.files else 0.0


def library_stats(db: LibraryDatabase) -> LibraryStats:
    with db.reading():
        return _library_stats(db)


def _library_stats(db: LibraryDatabase) -> LibraryStats:
    engine = db.engine
    scope = where("is_active = 1", engine.of_machine(db.view))
    stats = LibraryStats()
    row: tuple[Any, ...] = engine.fetch(
        "SELECT count(*), coalesce(sum(file_size), 0), coalesce(sum(duration), 0.0), "
        f"coalesce(sum(is_lossless), 0), max(indexed_at) FROM {TABLE}{scope}"
    )[0]
    stats.files, size, duration, lossless, stats.last_indexed_at = row
    stats.total_size, stats.total_duration = int(size), float(duration)
    stats.lossless = int(lossless)
    stats.inactive = db.count_files(active_only=False) - stats.files
    for file_format, count in engine.fetch(
        f"SELECT file_format, count(*) FROM {TABLE}{scope} GROUP BY 1 ORDER BY 2 DESC, 1"
    ):
        stats.formats[file_format or "?"] = count
    machine = "machine" if db.machine is not None else "NULL"
    for owner, root, count in engine.fetch(
        f"SELECT {machine}, library_root, count(*) FROM {TABLE}{scope} GROUP BY 1, 2 ORDER BY 1, 2"
    ):
        name = decode_path(root) if root is not None else "(none)"
        stats.roots[f"{owner}:{name}" if owner is not None else name] = count
        if owner is not None:
            stats.machines[owner] = stats.machines.get(owner, 0) + count
    # the errors of the machines shown (db.scan_errors holds only this machine's)
    stats.errors = engine.fetch(
        f"SELECT count(*) FROM scan_errors{where(engine.of_machine(db.view))}"
    )[0][0]
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
_FREE_TEXT = SEARCH_TEXT_FIELDS[:4]  # artist, title, album, album_artist (not the genre)
_ESCAPE = "\\"


_YEARS = (0, 9999)
_MAX_LIMIT = 2**63 - 1


def search(
    db: LibraryDatabase, query: str | Sequence[str], limit: int | None = None
) -> Iterator[LibraryFile]:
    """Active rows matching `query`: `field:value` terms (artist, title, album, albumartist,
    genre, format, codec, path, year: 1999 or 1990..1999) and free words (looked for in the
    artist, title, album and album artist), all of which must match, as substrings. Tags
    are compared folded as the identity keys fold them (case and accents: `bjork` finds
    Björk); a path, byte for byte but for ASCII letters' case. A string is split as a shell
    would (quotes group words); a sequence is taken as the terms themselves.

    The query is checked here, before any row is read: a SearchError comes before output.
    """
    terms = _split(query) if isinstance(query, str) else list(query)
    conditions, params = _conditions(db, terms)
    _check_limits(db, terms, params)
    sql = (
        f"SELECT {', '.join(db.columns)} FROM {TABLE}{where(*conditions)} "
        "ORDER BY artist NULLS FIRST, album NULLS FIRST, disc_number NULLS FIRST, "
        "track_number NULLS FIRST, file_path"
    )
    if limit is not None:
        if not 1 <= limit <= _MAX_LIMIT:
            raise SearchError(f"the limit must be between 1 and {_MAX_LIMIT}: {limit}")
        sql += f" LIMIT {int(limit)}"
    return _rows(db, sql, params)


def _rows(db: LibraryDatabase, sql: str, params: list[Any]) -> Iterator[LibraryFile]:
    with db.reading():
        for rows in chunks(db.engine.stream(sql, params), 500):
            yield from files_from_rows(rows)


def _split(query: str) -> list[str]:
    try:
        return shlex.split(query)
    except ValueError as exc:
        raise SearchError(f"cannot read the query: {exc}") from None


def _check_limits(db: LibraryDatabase, terms: list[str], params: list[Any]) -> None:
    """The engine's own limits (SQLite's, read from the connection), as a clear error
    before the query."""
    depth_limit, variables, longest = db.engine.search_limits()
    depth = depth_limit - len(_FREE_TEXT) - 10
    if len(terms) > depth:
        raise SearchError(f"too many search terms ({len(terms):,}); at most {depth:,}")
    if len(params) > variables:
        raise SearchError(f"too many search terms ({len(terms):,}) for one query")
    if any(isinstance(p, str | bytes) and len(p) > longest for p in params):
        raise SearchError(f"a search term is too long (at most {longest - 2:,} characters)")


def _conditions(db: LibraryDatabase, terms: list[str]) -> tuple[list[str], list[Any]]:
    engine = db.engine
    conditions: list[str] = ["is_active = 1", engine.of_machine(db.view)]
    params: list[Any] = []
    for term in terms:
        name, sep, value = term.partition(":")
        name = name.lower()
        if sep and name == "year":
            conditions.append("year BETWEEN ? AND ?")
            params += _years(value)
        elif (sep and name == "path") or not _is_utf8(term):
            # a word that is not valid UTF-8 can only be part of a file name
            conditions.append(engine.path_like("file_path", f"ESCAPE '{_ESCAPE}'"))
            params.append(engine.path_pattern(_like(value if sep and name == "path" else term)))
        elif sep and name in _TEXT_FIELDS and _TEXT_FIELDS[name] in SEARCH_TEXT_FIELDS:
            column = _TEXT_FIELDS[name]
            conditions.append(_folded(engine, (column,)))
            params += _folded_params(value, SEARCH_TEXT_FIELDS.index(column), 1)
        elif sep and name in _TEXT_FIELDS:
            conditions.append(engine.text_like(_TEXT_FIELDS[name], f"ESCAPE '{_ESCAPE}'"))
            params.append(_like(value))
        elif sep and name and name.isidentifier():
            known = ", ".join(sorted({*_TEXT_FIELDS, "year"}))
            raise SearchError(f"unknown field {name!r}; use one of: {known}")
        else:
            conditions.append(_folded(engine, _FREE_TEXT))
            params += _folded_params(term, None, len(_FREE_TEXT))
    return conditions, params


def _folded(engine: Engine, columns: tuple[str, ...]) -> str:
    """A tag term: the row's folded tags match (`search_text`, see util.search_text), or,
    where it holds none (every tag ASCII), one of `columns` matches as written."""
    escape = f"ESCAPE '{_ESCAPE}'"
    tags = " OR ".join(engine.text_like(column, escape) for column in columns)
    return f"(search_text LIKE ? {escape} OR (search_text IS NULL AND ({tags})))"


def _folded_params(value: str, slot: int | None, columns: int) -> list[Any]:
    """The patterns `_folded` binds: `value` folded, in its slot of `search_text` (None: in
    any of the free words' slots, which come first), then as a plain pattern per column.

    No folded value holds the separator, so a pattern that wants `slot` separators before
    the value and the rest after it can only match inside that slot; one that wants one
    after it (the genre's slot is last), inside a free word's slot."""
    separator = SEARCH_TEXT_SEPARATOR
    escaped = _escaped(fold_text(value).replace(separator, " "))
    last = len(SEARCH_TEXT_FIELDS) - 1
    before, after = (0, last - len(_FREE_TEXT) + 1) if slot is None else (slot, last - slot)
    inside = "%" + f"{separator}%" * before + escaped + f"%{separator}" * after + "%"
    return [inside] + [f"%{escaped}%"] * columns


def _years(value: str) -> tuple[int, int]:
    low, dots, high = value.partition("..")
    try:
        years = (int(low), int(high if dots else low))
    except ValueError:
        years = (-1, -1)
    if not all(_YEARS[0] <= year <= _YEARS[1] for year in years):
        raise SearchError(
            f"year wants a number from {_YEARS[0]} to {_YEARS[1]} or a range like "
            f"1990..1999: {printable_path(value)!r}"
        )
    return years


def _is_utf8(text: str) -> bool:
    return text.isascii() or isinstance(db_path(text), str)


def _like(text: str) -> str:
    return f"%{_escaped(text)}%"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def relocate(db: LibraryDatabase, old: str, new: str) -> int:
    """Re-point every row under folder `old` to folder `new`, in one transaction."""
    old, new = os.path.abspath(old), os.path.abspath(new)
    if old == new:
        return 0
    engine = db.engine
    moved = 0
    with db.atomic():
        for table, columns in (
            (TABLE, ("file_path", "directory", "library_root")),
            ("scan_errors", ("file_path", "library_root")),
        ):
            select = f"SELECT id, {', '.join(columns)} FROM {table}" + where(
                engine.mine(), "file_path >= ?", "file_path < ?"
            )
            updates = []
            for bounds in engine.prefix_bounds(old):
                for row_id, *values in engine.fetch(select, bounds):
                    updates.append(
                        (*(_moved(engine, decode_path(v), old, new) for v in values), row_id)
                    )
            sets = ", ".join(f"{c} = ?" for c in columns)
            try:
                engine.run_many(f"UPDATE {table} SET {sets} WHERE id = ?", updates)
            except ROW_ERRORS as exc:
                raise StoreError(f"cannot relocate {old} to {new}: {exc}") from exc
            except StoreError as exc:
                if "unique" in str(exc).lower() or "duplicate key" in str(exc).lower():
                    raise StoreError(
                        f"cannot relocate {old} to {new}: the library already has files there"
                    ) from exc
                raise
            if table == TABLE:
                moved = len(updates)
    return moved


def _moved(engine: Engine, value: str | None, old: str, new: str) -> Any:
    """`value` re-pointed from folder `old` to folder `new` (either may be the root, /)."""
    if value is None:
        return None
    if value == old:
        value = new
    elif is_inside(value, old):
        value = new.rstrip(os.sep) + value[len(old.rstrip(os.sep)) :]
    return engine.db_path(value)
