"""The queries duplicate checking needs: candidates by several keys in one snapshot, groups
of rows sharing a key, caching full hashes, and rows following files that were moved (or
whose whole library root is gone).

Every lookup is an IN-list chunked by the connection's own variable limit, on an indexed
column or expression (see schema version 4), so a batch of new files costs a handful of
queries whatever its size, and grouping a library is an index scan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import StoreError
from ..models import LibraryFile
from ..util import chunks
from . import sql
from .engine import Engine
from .keys import KEY_EXPRESSIONS
from .rows import decode_path, files_from_rows
from .sql import TABLE, both, where

__all__ = ["CACHE_WAIT_S", "HashUpdate", "Matching", "write_as_cache"]

#: how long a cache write waits for another writer's lock before it gives up (the cache
#: is an optimisation: an indexer writing meanwhile is not waited for)
CACHE_WAIT_S = 0.5


def write_as_cache(engine: Engine, write: Callable[[], int]) -> int:
    """Run `write`, a write that only saves work for later (full hashes, fingerprints or
    verdicts made while looking for duplicates): skipped (0) when the database cannot be
    written now (read-only, or another writer holding the lock past CACHE_WAIT_S), never a
    reason to fail. Returns what `write` returns."""
    if engine.readonly:
        return 0
    try:
        with engine.impatient(CACHE_WAIT_S):
            return write()
    except StoreError:
        return 0


@dataclass(frozen=True, slots=True)
class HashUpdate:
    """Full hashes computed for a row, valid only while the file has this size and mtime."""

    row_id: int
    file_size: int
    file_mtime_ns: int
    audio_hash: str | None
    file_content_hash: str | None


class Matching:
    """`db.matching`: the lookups and writes of duplicate checking and of acting on files,
    on one store (`engine`); reads see the catalog, or `engine.view`'s machine's rows."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _expression(self, kind: str) -> str:
        return self._engine.fuzzy_block if kind == "fuzzy_block" else KEY_EXPRESSIONS[kind]

    def files_by_keys(
        self, wanted: dict[str, Iterable[str]]
    ) -> dict[str, dict[str, list[LibraryFile]]]:
        """{kind: {key: [active rows]}} for every kind of key (a key name, see keys.py) in
        `wanted`, in one read snapshot, across the catalog (or `engine.view`'s machine).

        A row that carries several wanted keys comes back once per kind, as the same object.
        """
        engine = self._engine
        scope = both("is_active = 1", engine.of_machine(engine.view))
        columns = ", ".join(engine.columns)
        seen: dict[int, LibraryFile] = {}
        found: dict[str, dict[str, list[LibraryFile]]] = {}
        with engine.snapshot():
            for kind, keys in wanted.items():
                expression = self._expression(kind)
                by_key: dict[str, list[LibraryFile]] = {}
                head = f"SELECT {expression}, {columns} FROM {TABLE} WHERE {scope} AND "
                for rows in engine.select_in(head, expression, sorted(set(keys))):
                    files = files_from_rows(row[1:] for row in rows)
                    for row, file in zip(rows, files, strict=True):
                        by_key.setdefault(str(row[0]), []).append(
                            seen.setdefault(file.id or 0, file)
                        )
                found[kind] = by_key
        return found

    def groups_by_key(self, kind: str) -> Iterator[list[LibraryFile]]:
        """Active rows sharing a key of `kind` with at least one other, one list per key
        (across the catalog, or `engine.view`'s machine).

        The keys come from a GROUP BY over the (is_active, key) index, then the rows are read
        in key order, so memory holds one group at a time beyond the rows themselves.
        """
        engine = self._engine
        expression = self._expression(kind)
        scope = both("is_active = 1", engine.of_machine(engine.view))
        query = (
            f"SELECT {expression}, {', '.join(engine.columns)} FROM {TABLE} "
            f"WHERE {scope} AND {expression} IN (SELECT {expression} FROM {TABLE} "
            f"WHERE {scope} AND {expression} IS NOT NULL "
            f"GROUP BY {expression} HAVING count(*) > 1) ORDER BY 1"
        )
        with engine.snapshot():
            rows = engine.fetch(query)
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

    def album_counts(self, directories: Iterable[str]) -> dict[tuple[str | None, str, str], int]:
        """(machine, folder, album) -> how many active rows lie directly in that folder with
        that album tag, for the folders given (machine None on SQLite): one grouped query per
        chunk of folders, on the directory index, however many groups ask. (`is_active` is
        tested in the count, not the WHERE clause, or SQLite would scan an (is_active, ...)
        index instead.)"""
        engine = self._engine
        machine = "machine" if engine.machine is not None else "NULL"
        scope = both("album IS NOT NULL", engine.of_machine(engine.view))
        keys = [engine.db_path(d) for d in sorted(set(directories))]  # str and bytes: sort names
        counts: dict[tuple[str | None, str, str], int] = {}
        with engine.snapshot():
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

    def cache_full_hashes(self, updates: Sequence[HashUpdate]) -> int:
        """Store full hashes in their rows, where the file has not changed since; returns how
        many rows took them. A database that cannot be written now (read-only, busy) is left
        alone: the cache is an optimisation, never a reason to fail a check."""
        engine = self._engine
        statement = (
            f"UPDATE {TABLE} SET audio_hash = coalesce(?, audio_hash), "
            "file_content_hash = coalesce(?, file_content_hash) "
            "WHERE id = ? AND file_size = ? AND file_mtime_ns = ?"
        )
        params = [
            (u.audio_hash, u.file_content_hash, u.row_id, u.file_size, u.file_mtime_ns)
            for u in updates
        ]

        def write() -> int:
            with engine.atomic():
                return engine.run_many(statement, params)

        return write_as_cache(engine, write) if updates else 0

    def move_row(
        self,
        row_id: int,
        new_path: str,
        new_root: str | None,
        current: Sequence[str] = (),
        *,
        active: bool | None = None,
    ) -> bool:
        """Point this machine's row `row_id` at `new_path` (inside the caller's transaction, if
        any); with `current`, only if the row is now at one of those paths (an action log
        replayed on another library must not re-point that library's row of the same id);
        with `active`, the row becomes (in)active too (a file moved out of the library keeps
        its row, for `undo`, but is no longer one of the library's files). Whether it did."""
        engine = self._engine
        directory, filename = os.path.split(new_path)
        conditions = [engine.mine(), "id = ?"]
        params: list[object] = [
            engine.db_path(new_path),
            engine.db_path(filename),
            engine.db_path(directory),
            None if new_root is None else engine.db_path(new_root),
        ]
        sets = "file_path = ?, filename = ?, directory = ?, library_root = ?"
        if active is not None:
            sets += ", is_active = ?"
            params.append(int(active))
        params.append(row_id)
        if current:
            conditions.append(f"file_path IN ({sql.placeholders(len(current))})")
            params += [engine.db_path(path) for path in current]
        statement = f"UPDATE {TABLE} SET {sets} WHERE {both(*conditions)}"
        return bool(engine.run(statement, params))

    def row_is_at(self, row_id: int, path: str) -> bool:
        """Whether this machine's row `row_id` is an active row at `path` (a keeper that
        another run moved out of the library, or that an index found gone, is not)."""
        engine = self._engine
        query = f"SELECT 1 FROM {TABLE}" + where(
            engine.mine(), "id = ?", "file_path = ?", "is_active = 1"
        )
        return bool(engine.fetch(query, (row_id, engine.db_path(path))))

    def is_library_root(self, folder: str) -> bool:
        """Whether any of this machine's rows has `folder` as its library root."""
        rows, params = self._root_rows(folder)
        with self._engine.snapshot():
            return bool(self._engine.fetch(f"SELECT 1 FROM {TABLE} WHERE {rows} LIMIT 1", params))

    def mark_root_missing(self, root: str) -> int | None:
        """Mark this machine's rows of library root `root` missing (a root folder deleted as a
        whole, which a scan cannot tell from one not mounted); how many were active, or None
        when no row has that root. One transaction."""
        engine = self._engine
        rows, params = self._root_rows(root)
        with engine.atomic():
            if not engine.fetch(f"SELECT 1 FROM {TABLE} WHERE {rows} LIMIT 1", params):
                return None
            statement = f"UPDATE {TABLE} SET is_active = 0 WHERE {rows} AND is_active = 1"
            return engine.run(statement, params)

    def _root_rows(self, root: str) -> tuple[str, list[object]]:
        """The predicate (and its values) of this machine's rows of library root `root`,
        found through the path index: a root's rows lie under it."""
        engine = self._engine
        bounds = engine.prefix_bounds(root)
        under = " OR ".join(["(file_path >= ? AND file_path < ?)"] * len(bounds))
        rows = both(engine.mine(), "library_root = ?", f"({under})")
        return rows, [engine.db_path(root), *(bound for pair in bounds for bound in pair)]
