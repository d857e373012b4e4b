"""LibraryDatabase: the SQLite store, with the seed's single-row and batch methods."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from operator import attrgetter
from types import TracebackType
from typing import Any, Literal, NamedTuple

import apsw

from ..errors import StoreError
from ..models import LibraryFile
from ..util import chunks
from . import sql
from .batch import ROW_ERRORS, BatchResult, describe_error, execute_isolated
from .connection import DEFAULT_BUSY_TIMEOUT_S, Transactions, open_sqlite
from .driver_errors import store_error, translated
from .operation import BatchOperation, OperationType
from .rows import (
    COLUMNS,
    db_path,
    decode_path,
    files_from_rows,
    gc_paused,
    path_repairer,
    prefix_bounds,
    row_of,
)
from .scan_errors import ScanErrorTable

__all__ = ["HASH_COLUMNS", "TABLE", "HashType", "LibraryDatabase", "RowState"]


class RowState(NamedTuple):
    """What the indexer's diff needs of a row."""

    id: int
    file_size: int | None
    file_mtime_ns: int | None
    is_active: bool
    audio_key: str | None


TABLE = "library_index"
HashType = Literal["metadata", "audio_key", "audio", "content"]
HASH_COLUMNS: dict[str, str] = {
    "metadata": "metadata_hash",
    "audio_key": "audio_key",
    "audio": "audio_hash",
    "content": "file_content_hash",
}

_UPDATE_COLUMNS = tuple(c for c in COLUMNS if c not in ("id", "file_path"))
_update_params = attrgetter(*_UPDATE_COLUMNS, "file_path")
_UPSERT = sql.upsert_sql(TABLE, COLUMNS, key="file_path")
_UPDATE = sql.update_sql(TABLE, _UPDATE_COLUMNS, key="file_path")
_MARK_INACTIVE = sql.set_flag_sql(TABLE, "is_active", 0, key="file_path")
_DELETE = sql.delete_sql(TABLE, key="file_path")
_RELINK_COLUMNS = tuple(c for c in COLUMNS if c not in ("id", "indexed_at"))
_relink_params = attrgetter(*_RELINK_COLUMNS)
_RELINK = sql.update_sql(TABLE, _RELINK_COLUMNS, key="id")
_SET_METADATA_KEY = f"UPDATE {TABLE} SET metadata_hash = ?, metadata_version = ? WHERE id = ?"
_REACTIVATE = f"UPDATE {TABLE} SET is_active = 1, last_seen_at = ? WHERE file_path = ?"
_STATE_COLUMNS = "file_path, id, file_size, file_mtime_ns, is_active, audio_key"
_DIRECTORIES = f"SELECT DISTINCT directory FROM {TABLE} WHERE directory >= ? AND directory < ?"
_repair_insert = path_repairer(COLUMNS)
_repair_relink = path_repairer((*_RELINK_COLUMNS, "id"))
_repair_update = path_repairer((*_UPDATE_COLUMNS, "file_path"))


def _add_states(rows: dict[str, RowState], cursor: Iterable[Sequence[Any]]) -> None:
    for path, row_id, size, mtime_ns, active, audio_key in cursor:
        rows[decode_path(path)] = RowState(row_id, size, mtime_ns, active == 1, audio_key)


def _path_params(path: str) -> tuple[str | bytes]:
    return (db_path(path),)


def _path_of(item: Any) -> str:
    return str(item.file_path)


def _hash_column(hash_type: str) -> str:
    try:
        return HASH_COLUMNS[hash_type]
    except KeyError:
        choices = ", ".join(HASH_COLUMNS)
        raise ValueError(f"unknown hash_type {hash_type!r}; use one of: {choices}") from None


class LibraryDatabase:
    """A music library index in one SQLite file.

    Batch writes run in one transaction per call, or join the caller's `atomic()` block.
    Within a call a bad row is skipped and reported (see `BatchResult`), never the batch.
    Batch reads run in one read snapshot, so a concurrent writer is seen all or not at all.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S,
        readonly: bool = False,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        """Open (or create) the library at `path`; `readonly` opens an existing one without
        writing anything to it; `on_wait` is called once a lock has been waited for a while."""
        self.path = os.fspath(path)
        self.busy_timeout = busy_timeout
        self.readonly = readonly
        self._conn = open_sqlite(path, busy_timeout, readonly=readonly, on_wait=on_wait)
        self._tx = Transactions(self._conn, self.path)
        self.scan_errors = ScanErrorTable(self._conn, self._tx)
        self.last_batch_result = BatchResult()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def connection(self) -> apsw.Connection:
        """The underlying connection, for inspection (limits, pragmas, ad-hoc reads)."""
        return self._conn

    def check_integrity(self) -> None:
        """Raise DatabaseCorruptError unless SQLite's `quick_check` finds the file sound.

        Run before acting on files: a query that succeeded read only the pages it needed,
        and a library damaged elsewhere must not steer moves or deletions. It reads the
        whole file (a few seconds for a million rows)."""
        with translated(self.path):
            found = [row[0] for row in self._conn.execute("PRAGMA quick_check(3)")]
        if found != ["ok"]:
            raise store_error(self.path, apsw.CorruptError("; ".join(map(str, found))))

    def optimize(self) -> None:
        """Give the query planner fresh statistics where a large write made them stale
        (`PRAGMA optimize`, with sampling capped so a million rows cost milliseconds)."""
        with translated(self.path):
            self._conn.execute("PRAGMA analysis_limit=1000")
            self._conn.execute("PRAGMA optimize")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LibraryDatabase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def atomic(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all; nests with SAVEPOINTs."""
        return self._tx.atomic()

    # -- single-row methods (each its own transaction, as the seed's old approach) -----

    def add_file(self, file: LibraryFile) -> int:
        """Insert `file` (or replace the row with its path); return the row id."""
        _, returned = self._write_one(
            f"{_UPSERT} RETURNING id", row_of(file), file.file_path, _repair_insert
        )
        row_id: int = returned[0][0]
        return row_id

    def update_file(self, file: LibraryFile) -> bool:
        """Overwrite the row with `file.file_path`; False when there is none."""
        params = _update_params(file)
        return self._write_one(_UPDATE, params, file.file_path, _repair_update)[0] > 0

    def mark_inactive(self, path: str) -> bool:
        return self._write_one(_MARK_INACTIVE, _path_params(path), path)[0] > 0

    def delete_file(self, path: str) -> bool:
        return self._write_one(_DELETE, _path_params(path), path)[0] > 0

    def get_file_by_path(self, path: str) -> LibraryFile | None:
        return self.batch_get_files_by_paths([path])[path]

    def get_files_by_hash(self, hash_value: str, hash_type: HashType) -> list[LibraryFile]:
        return self.batch_get_files_by_hashes([hash_value], hash_type)[hash_value]

    def count_files(self, active_only: bool = True) -> int:
        query = sql.count_sql(TABLE, "is_active = 1" if active_only else "")
        with self._tx.snapshot():
            count: int = self._conn.execute(query).get
        return count

    def _write_one(
        self,
        statement: str,
        params: Sequence[Any],
        key: str,
        repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    ) -> tuple[int, list[Any]]:
        """One statement in its own transaction -> (rows changed, rows returned).

        A bad row raises StoreError naming the path and the reason.
        """
        with self._tx.atomic():
            try:
                try:
                    cursor = self._conn.execute(statement, params)
                except UnicodeEncodeError:
                    if repair is None:
                        raise
                    cursor = self._conn.execute(statement, repair(params))
                returned = cursor.fetchall()
            except ROW_ERRORS as exc:
                raise StoreError(f"{key}: {describe_error(exc)}") from exc
            return self._conn.changes(), returned

    # -- batch writes --------------------------------------------------------------------

    def batch_insert_files(
        self, files: Iterable[LibraryFile], batch_size: int = 500
    ) -> BatchResult:
        """Insert `files`; a row whose path exists is replaced in place (id kept).

        Returns a BatchResult: the number written (`int(result)`), and `failures`, the rows
        skipped with the reason.
        """
        return self._write_many(_UPSERT, files, row_of, _path_of, batch_size, _repair_insert)

    def batch_update_files(
        self, files: Iterable[LibraryFile], batch_size: int = 200
    ) -> BatchResult:
        """Overwrite the rows with these paths; returns how many rows existed and changed."""
        return self._write_many(
            _UPDATE, files, _update_params, _path_of, batch_size, _repair_update
        )

    def batch_delete_files(self, paths: Iterable[str], batch_size: int = 500) -> BatchResult:
        return self._write_many(_DELETE, paths, _path_params, str, batch_size)

    def batch_mark_inactive(self, paths: Iterable[str], batch_size: int = 500) -> BatchResult:
        """Soft-delete: the rows stay, with is_active = 0."""
        return self._write_many(_MARK_INACTIVE, paths, _path_params, str, batch_size)

    def reactivate_files(self, paths: Iterable[str], seen_at: float) -> BatchResult:
        """Mark rows whose file came back unchanged active again."""
        return self._write_many(_REACTIVATE, paths, lambda p: (seen_at, db_path(p)), str, 500)

    def relink_files(self, moves: Iterable[tuple[int, LibraryFile]]) -> BatchResult:
        """Point existing rows (by id) at files that moved, keeping id and indexed_at."""
        return self._write_many(
            _RELINK,
            moves,
            lambda move: (*_relink_params(move[1]), move[0]),
            lambda move: str(move[1].file_path),
            500,
            _repair_relink,
        )

    def metadata_keys_older_than(
        self, version: int
    ) -> list[tuple[int, str | None, str | None, str]]:
        """(id, artist, title, file_path) of the rows whose metadata_hash was made under
        normalization rules older than `version` (NULL: the first rules)."""
        query = (
            f"SELECT id, artist, title, file_path FROM {TABLE} "
            "WHERE metadata_version IS NULL OR metadata_version < ?"
        )
        with self.reading():
            return [
                (row_id, artist, title, decode_path(path))
                for row_id, artist, title, path in self._conn.execute(query, (version,))
            ]

    def set_metadata_keys(self, keys: Iterable[tuple[str, int, int]]) -> BatchResult:
        """(metadata_hash, metadata_version, id) for each row to re-key, in one transaction."""
        return self._write_many(_SET_METADATA_KEY, keys, tuple, lambda key: str(key[2]), 1000)

    def rows_in_directories(self, directories: Sequence[str]) -> dict[str, RowState]:
        """path -> what the diff needs of the rows whose file lies directly in one of
        `directories` (one indexed IN-list query per chunk)."""
        rows: dict[str, RowState] = {}
        keys = [db_path(d) for d in directories]
        limit = self._conn.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1)
        with self._tx.snapshot(), gc_paused():
            for chunk in chunks(keys, limit):
                query = sql.select_in_sql(
                    TABLE, _STATE_COLUMNS.split(", "), "directory", len(chunk)
                )
                _add_states(rows, self._conn.execute(query, chunk))
        return rows

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A value from the small key/value table the store keeps about itself."""
        with self._tx.snapshot():
            rows = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchall()
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        with self._tx.atomic():
            self._conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                (key, value, value),
            )

    def max_id(self) -> int:
        with self._tx.snapshot():
            found: int | None = self._conn.execute(f"SELECT max(id) FROM {TABLE}").get
        return found or 0

    def has_rows_under(self, folder: str) -> bool:
        """Whether any row lies at or below `folder`."""
        query = f"SELECT 1 FROM {TABLE} WHERE file_path >= ? AND file_path < ? LIMIT 1"
        return any(self._conn.execute(query, bounds).fetchall() for bounds in prefix_bounds(folder))

    def directories_under(self, folder: str) -> list[str]:
        """Every distinct folder holding a row, at or below `folder` (an index-only scan)."""
        found: list[str] = []
        with self._tx.snapshot():
            own = self._conn.execute(
                f"SELECT 1 FROM {TABLE} WHERE directory = ? LIMIT 1", (db_path(folder),)
            ).fetchall()
            if own:
                found.append(folder)
            for low, high in prefix_bounds(folder):
                rows = self._conn.execute(_DIRECTORIES, (low, high)).fetchall()
                found.extend(decode_path(directory) for (directory,) in rows)
        return found

    def batch_operation(self, operation_type: OperationType) -> BatchOperation:
        """Accumulate with `.add(item)`; all is written on a clean exit, nothing on error."""
        writers: dict[str, Callable[[Iterable[Any]], BatchResult]] = {
            "insert": self.batch_insert_files,
            "update": self.batch_update_files,
            "delete": self.batch_delete_files,
            "mark_inactive": self.batch_mark_inactive,
        }
        if operation_type not in writers:
            raise ValueError(
                f"unknown operation_type {operation_type!r}; use one of: {', '.join(writers)}"
            )
        return BatchOperation(writers[operation_type], self._tx.atomic)

    def _write_many(
        self,
        statement: str,
        items: Iterable[Any],
        to_params: Callable[[Any], Sequence[Any]],
        key_of: Callable[[Any], str],
        batch_size: int,
        repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    ) -> BatchResult:
        """Write `items` in chunks of `batch_size`, all in one transaction.

        `batch_size` is the unit handed to one executemany; a bad row is isolated
        within it at no cost to the others, so it no longer trades speed for safety.
        Committing per chunk would: each commit rewrites the touched index pages to the
        WAL (see benchmarks/benchmark_batch_operations.py, "commit per batch").
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        result = BatchResult()
        with self._tx.atomic():
            for chunk in chunks(items, batch_size):
                result += execute_isolated(self._conn, statement, chunk, to_params, key_of, repair)
        self.last_batch_result = result
        return result

    # -- batch reads ---------------------------------------------------------------------

    def batch_get_files_by_paths(
        self, paths: Iterable[str], batch_size: int = 500
    ) -> dict[str, LibraryFile | None]:
        """Every requested path -> its row (active or not), or None when not indexed."""
        wanted = sorted(set(paths))
        keys = [db_path(p) for p in wanted]
        # Filled in the order rows arrive (sorted), absent paths added after: writing
        # into a dict pre-filled in input order costs a cache miss per row.
        result: dict[str, LibraryFile | None] = {}
        with self._tx.snapshot(), gc_paused():
            for files in self._select_in("file_path", keys, batch_size):
                for file in files:
                    result[file.file_path] = file
        if len(result) < len(wanted):
            for path in wanted:
                result.setdefault(path, None)
        return result

    def batch_get_files_by_hashes(
        self, hashes: Iterable[str], hash_type: HashType, batch_size: int = 500
    ) -> dict[str, list[LibraryFile]]:
        """Every requested hash -> the active rows that carry it (an empty list if none)."""
        column = _hash_column(hash_type)
        wanted = sorted(set(hashes))
        key_of = attrgetter(column)
        result: dict[str, list[LibraryFile]] = {}
        with self._tx.snapshot(), gc_paused():
            for files in self._select_in(column, wanted, batch_size, "is_active = 1"):
                for file in files:
                    key = key_of(file)
                    group = result.get(key)
                    if group is None:
                        result[key] = [file]
                    else:
                        group.append(file)
        if len(result) < len(wanted):
            for key in wanted:
                result.setdefault(key, [])
        return result

    def iter_files(self, active_only: bool = True) -> Iterator[LibraryFile]:
        """Every row, streamed in path order."""
        where = " WHERE is_active = 1" if active_only else ""
        with self._tx.snapshot():
            cursor = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {TABLE}{where} ORDER BY file_path"
            )
            for rows in chunks(cursor, 1000):
                yield from files_from_rows(rows)

    def reading(self) -> AbstractContextManager[None]:
        """A read snapshot: queries inside see one committed state, and a driver error
        leaves as a StoreError naming this database."""
        return self._tx.snapshot()

    def _select_in(
        self, column: str, keys: Sequence[Any], batch_size: int, where: str = ""
    ) -> Iterator[list[LibraryFile]]:
        """Rows whose `column` is in `keys`, one IN-list query (and list) per chunk.

        Chunks never exceed the connection's own bound-variable limit. Keys arrive
        sorted, so consecutive queries touch neighbouring index pages.
        """
        limit = self._conn.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1)
        size = max(1, min(batch_size, limit))
        for chunk in chunks(keys, size):
            query = sql.select_in_sql(TABLE, COLUMNS, column, len(chunk), where)
            yield files_from_rows(self._conn.execute(query, chunk))
