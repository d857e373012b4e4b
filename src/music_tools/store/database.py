"""LibraryDatabase: the store, with the seed's single-row and batch methods, on SQLite or
PostgreSQL (see engine.py for what differs between them)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import AbstractContextManager
from operator import attrgetter
from types import TracebackType
from typing import Any, Literal, NamedTuple

from ..errors import StoreError
from ..models import LibraryFile
from ..util import chunks
from .batch import BatchResult
from .connection import DEFAULT_BUSY_TIMEOUT_S
from .engine import Engine, Write
from .operation import BatchOperation, OperationType
from .rows import COLUMNS, decode_path, files_from_rows, gc_paused, path_repairer
from .scan_errors import ScanErrorTable
from .sqlite_engine import SqliteEngine

__all__ = [
    "HASH_COLUMNS",
    "TABLE",
    "HashType",
    "LibraryDatabase",
    "RowState",
    "both",
    "check_target",
    "is_postgres_url",
    "where",
]


class RowState(NamedTuple):
    """What the indexer's diff needs of a row."""

    id: int
    file_size: int | None
    file_mtime_ns: int | None
    is_active: bool
    audio_key: str | None
    #: whether the row holds both full hashes (audio_hash and file_content_hash)
    hashed: bool = False
    #: the reader that read it (`LibraryFile.reader_version`; None: one from before)
    reader_version: int | None = None


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
_RELINK_COLUMNS = tuple(c for c in COLUMNS if c not in ("id", "indexed_at"))
_relink_params = attrgetter(*_RELINK_COLUMNS)
_UPDATE = Write("update", TABLE, "file_path", _UPDATE_COLUMNS)
_MARK_INACTIVE = Write("update", TABLE, "file_path", sets="is_active = 0")
_DELETE = Write("delete", TABLE, "file_path")
_RELINK = Write("update", TABLE, "id", _RELINK_COLUMNS, scoped=False)
_SET_METADATA_KEY = Write(
    "update", TABLE, "id", ("metadata_hash", "metadata_version"), scoped=False
)
_REACTIVATE = Write("update", TABLE, "file_path", ("last_seen_at",), sets="is_active = 1")
#: the indexes a first index looks rows up by while it loads (see `deferred_indexes`)
_LOAD_INDEXES = ("idx_library_directory",)
_STATE_COLUMNS = (
    "file_path",
    "id",
    "file_size",
    "file_mtime_ns",
    "is_active",
    "audio_key",
    "audio_hash IS NOT NULL AND file_content_hash IS NOT NULL",
    "reader_version",
)
_repair_update = path_repairer((*_UPDATE_COLUMNS, "file_path"))
_repair_relink = path_repairer((*_RELINK_COLUMNS, "id"))


def _add_states(rows: dict[str, RowState], cursor: Iterable[Sequence[Any]]) -> None:
    for path, row_id, size, mtime_ns, active, audio_key, hashed, reader in cursor:
        rows[decode_path(path)] = RowState(
            row_id, size, mtime_ns, active == 1, audio_key, bool(hashed), reader
        )


def _path_of(item: Any) -> str:
    return str(item.file_path)


def _hash_column(hash_type: str) -> str:
    try:
        return HASH_COLUMNS[hash_type]
    except KeyError:
        choices = ", ".join(HASH_COLUMNS)
        raise ValueError(f"unknown hash_type {hash_type!r}; use one of: {choices}") from None


def both(*predicates: str) -> str:
    """`a AND b` of the predicates that are not empty ("" when none is)."""
    return " AND ".join(p for p in predicates if p)


def where(*predicates: str) -> str:
    """` WHERE a AND b` of the predicates that are not empty ("" when none is)."""
    found = both(*predicates)
    return f" WHERE {found}" if found else ""


_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def _scheme(target: object) -> str | None:
    """The scheme of a `scheme://...` target, lower-cased; None for a file path."""
    text = os.fspath(target) if isinstance(target, str | os.PathLike) else ""
    found = _URL_SCHEME.match(text) if isinstance(text, str) else None
    return found.group(1).lower() if found else None


def is_postgres_url(target: object) -> bool:
    return _scheme(target) in _POSTGRES_SCHEMES


def check_target(target: object) -> None:
    """Raise StoreError for a URL this tool cannot open (`mysql://`, SQLAlchemy's
    `postgresql+psycopg://`), naming its scheme only: read as a file path, its password
    would appear in the error."""
    scheme = _scheme(target)
    if scheme is not None and scheme not in _POSTGRES_SCHEMES:
        raise StoreError(
            f"{scheme}://... is not a database music-tools can open: give a file path, "
            "or postgresql://user:password@host/db"
        )


def open_engine(
    target: str | os.PathLike[str],
    *,
    busy_timeout: float,
    readonly: bool,
    on_wait: Callable[[], None] | None,
    machine: str | None,
) -> Engine:
    """The engine for a file path (SQLite) or a `postgresql://` URL."""
    check_target(target)
    if is_postgres_url(target):
        from .postgres import PostgresEngine  # the SQLite path never imports psycopg

        url = os.fspath(target)
        scheme, rest = url.split(":", 1)
        return PostgresEngine(
            scheme.lower() + ":" + rest,  # libpq knows the lower-case scheme only
            busy_timeout,
            readonly=readonly,
            on_wait=on_wait,
            machine=machine,
        )
    return SqliteEngine(target, busy_timeout, readonly=readonly, on_wait=on_wait)


class LibraryDatabase:
    """A music library index: an SQLite file, or a PostgreSQL catalog several machines share.

    `target` is a file path (SQLite, the default) or a `postgresql://user:password@host/db`
    URL. Batch writes run in one transaction per call, or join the caller's `atomic()`
    block. Within a call a bad row is skipped and reported (see `BatchResult`), never the
    batch. Batch reads run in one read snapshot, so a concurrent writer is seen all or not
    at all.

    In a PostgreSQL catalog every row belongs to a machine: this process writes as
    `machine` (the host name by default), and reads by path see this machine's rows only;
    lookups by hash see the whole catalog, or `view`'s rows when it names a machine.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_S,
        readonly: bool = False,
        on_wait: Callable[[], None] | None = None,
        machine: str | None = None,
    ) -> None:
        """Open (or create) the library at `path`; `readonly` opens an existing one without
        writing anything to it; `on_wait` is called once a lock has been waited for a while."""
        self.busy_timeout = busy_timeout
        self.readonly = readonly
        self._engine = open_engine(
            path, busy_timeout=busy_timeout, readonly=readonly, on_wait=on_wait, machine=machine
        )
        self.path = self._engine.name
        self.machine = self._engine.machine
        #: the machine whose rows catalog-wide reads see; None: every machine's
        self.view: str | None = None
        self._columns = self._engine.columns
        self._select = f"SELECT {', '.join(self._columns)} FROM {TABLE}"
        self._upsert = Write("upsert", TABLE, "file_path", self._columns)
        self._row_of = self._engine.row_of
        self._repair_insert = path_repairer(self._columns)
        self.scan_errors = ScanErrorTable(self._engine)
        self.last_batch_result = BatchResult()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The dialect-specific part (statements, transactions, path encoding)."""
        return self._engine

    @property
    def columns(self) -> tuple[str, ...]:
        """The library_index columns this store reads and writes, in LibraryFile order."""
        return self._columns

    @property
    def dialect(self) -> str:
        return self._engine.dialect

    @property
    def connection(self) -> Any:
        """The underlying driver connection (apsw on SQLite, psycopg on PostgreSQL), for
        inspection: limits, pragmas, ad-hoc reads."""
        return getattr(self._engine, "conn", None)

    def check_integrity(self) -> None:
        """Raise DatabaseCorruptError unless the database finds itself sound.

        Run before acting on files: a query that succeeded read only the pages it needed,
        and a library damaged elsewhere must not steer moves or deletions."""
        self._engine.check_integrity()

    def optimize(self) -> None:
        """Give the query planner fresh statistics where a large write made them stale."""
        self._engine.optimize()

    def deferred_indexes(self) -> AbstractContextManager[bool]:
        """Around a first index: a nearly empty table is loaded without the indexes that
        only duplicate checks and queries use, and they are built when the block ends (a
        run killed meanwhile leaves them to the next writable open); whether it did. The
        path and folder indexes stay: the load's upserts and diff look rows up by them."""
        return self._engine.deferred_indexes(TABLE, _LOAD_INDEXES)

    def close(self) -> None:
        self._engine.close()

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
        return self._engine.atomic()

    def reading(self) -> AbstractContextManager[None]:
        """A read snapshot: queries inside see one committed state, and a driver error
        leaves as a StoreError naming this database."""
        return self._engine.snapshot()

    def run_lock(
        self, what: str, on_wait: Callable[[], None] | None = None
    ) -> AbstractContextManager[None]:
        """Held while this machine indexes or acts on files, so a second indexer (or
        `dupes --apply`, `undo`...) of the same library waits for the first, as long as it
        runs: on PostgreSQL an advisory lock per machine, on SQLite an exclusive lock on
        `<database>.lock` beside the file (SQLite's write lock serializes each transaction
        only, not a run that plans on what it read). Nested blocks share the lock."""
        return self._engine.run_lock(what, on_wait)

    # -- single-row methods (each its own transaction, as the seed's old approach) -----

    def add_file(self, file: LibraryFile) -> int:
        """Insert `file` (or replace the row with its path); return the row id."""
        with self.atomic():
            self._write_one(self._upsert, file, self._row_of, self._repair_insert)
            query = f"SELECT id FROM {TABLE}{where(self._engine.mine(), 'file_path = ?')}"
            row_id: int = self._engine.fetch(query, (self._engine.db_path(file.file_path),))[0][0]
        return row_id

    def update_file(self, file: LibraryFile) -> bool:
        """Overwrite the row with `file.file_path`; False when there is none."""
        return self._write_one(_UPDATE, file, _update_params, _repair_update) > 0

    def mark_inactive(self, path: str) -> bool:
        return self._write_one(_MARK_INACTIVE, path, self._path_params) > 0

    def delete_file(self, path: str) -> bool:
        return self._write_one(_DELETE, path, self._path_params) > 0

    def get_file_by_path(self, path: str) -> LibraryFile | None:
        return self.batch_get_files_by_paths([path])[path]

    def get_files_by_hash(self, hash_value: str, hash_type: HashType) -> list[LibraryFile]:
        return self.batch_get_files_by_hashes([hash_value], hash_type)[hash_value]

    def count_files(self, active_only: bool = True) -> int:
        query = f"SELECT count(*) FROM {TABLE}" + where(
            "is_active = 1" if active_only else "", self._engine.of_machine(self.view)
        )
        with self.reading():
            count: int = self._engine.fetch(query)[0][0]
        return count

    def _path_params(self, path: str) -> tuple[Any]:
        return (self._engine.db_path(path),)

    def _write_one(
        self,
        spec: Write,
        item: Any,
        to_params: Callable[[Any], Sequence[Any]],
        repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    ) -> int:
        """One row in its own transaction -> rows changed; a bad row raises StoreError
        naming the path and the reason."""
        with self.atomic():
            result = self._engine.write(spec, [item], to_params, _key_of(item), repair)
        if result.failures:
            failure = result.failures[0]
            raise StoreError(f"{failure.key}: {failure.reason}")
        return result.written

    # -- batch writes --------------------------------------------------------------------

    def batch_insert_files(
        self, files: Iterable[LibraryFile], batch_size: int = 500
    ) -> BatchResult:
        """Insert `files`; a row whose path exists is replaced in place (id kept).

        Returns a BatchResult: the number written (`int(result)`), and `failures`, the rows
        skipped with the reason.
        """
        return self._write_many(
            self._upsert, files, self._row_of, _path_of, batch_size, self._repair_insert
        )

    def batch_update_files(
        self, files: Iterable[LibraryFile], batch_size: int = 200
    ) -> BatchResult:
        """Overwrite the rows with these paths; returns how many rows existed and changed."""
        return self._write_many(
            _UPDATE, files, _update_params, _path_of, batch_size, _repair_update
        )

    def batch_delete_files(self, paths: Iterable[str], batch_size: int = 500) -> BatchResult:
        return self._write_many(_DELETE, paths, self._path_params, str, batch_size)

    def batch_mark_inactive(self, paths: Iterable[str], batch_size: int = 500) -> BatchResult:
        """Soft-delete: the rows stay, with is_active = 0."""
        return self._write_many(_MARK_INACTIVE, paths, self._path_params, str, batch_size)

    def reactivate_files(self, paths: Iterable[str], seen_at: float) -> BatchResult:
        """Mark rows whose file came back unchanged active again."""
        db_path = self._engine.db_path
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
        """(id, artist, title, file_path) of this machine's rows whose metadata_hash was
        made under normalization rules older than `version` (NULL: the first rules)."""
        query = f"SELECT id, artist, title, file_path FROM {TABLE}" + where(
            self._engine.mine(), "(metadata_version IS NULL OR metadata_version < ?)"
        )
        with self.reading():
            return [
                (row_id, artist, title, decode_path(path))
                for row_id, artist, title, path in self._engine.fetch(query, (version,))
            ]

    def set_metadata_keys(self, keys: Iterable[tuple[str, int, int]]) -> BatchResult:
        """(metadata_hash, metadata_version, id) for each row to re-key, in one transaction."""
        return self._write_many(_SET_METADATA_KEY, keys, tuple, lambda key: str(key[2]), 1000)

    def rows_in_directories(self, directories: Sequence[str]) -> dict[str, RowState]:
        """path -> what the diff needs of this machine's rows whose file lies directly in one
        of `directories` (one indexed lookup per chunk)."""
        rows: dict[str, RowState] = {}
        keys = [self._engine.db_path(d) for d in directories]
        with self.reading(), gc_paused():
            for found in self._engine_select_in(
                _STATE_COLUMNS, "directory", keys, 100_000, self._engine.mine()
            ):
                _add_states(rows, found)
        return rows

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A value from the small key/value table the store keeps about itself (in a
        shared catalog, about this machine's part)."""
        query = "SELECT value FROM meta" + where(self._engine.mine(), "key = ?")
        with self.reading():
            rows = self._engine.fetch(query, (key,))
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.atomic():
            if self.machine is None:
                self._engine.run(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
            else:
                self._engine.run(
                    "INSERT INTO meta (machine, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (machine, key) DO UPDATE SET value = excluded.value",
                    (self.machine, key, str(value)),
                )

    def max_id(self) -> int:
        with self.reading():
            found: int | None = self._engine.fetch(f"SELECT max(id) FROM {TABLE}")[0][0]
        return found or 0

    def has_rows_under(self, folder: str) -> bool:
        """Whether any of this machine's rows lies at or below `folder`."""
        query = f"SELECT 1 FROM {TABLE}" + where(
            self._engine.mine(), "file_path >= ?", "file_path < ?"
        )
        with self.reading():
            return any(
                self._engine.fetch(query + " LIMIT 1", bounds)
                for bounds in self._engine.prefix_bounds(folder)
            )

    def directories_under(self, folder: str) -> list[str]:
        """Every distinct folder holding one of this machine's rows, at or below `folder`
        (an index-only scan)."""
        mine = self._engine.mine()
        found: list[str] = []
        with self.reading():
            own = self._engine.fetch(
                f"SELECT 1 FROM {TABLE}{where(mine, 'directory = ?')} LIMIT 1",
                (self._engine.db_path(folder),),
            )
            if own:
                found.append(folder)
            query = f"SELECT DISTINCT directory FROM {TABLE}" + where(
                mine, "directory >= ?", "directory < ?"
            )
            for bounds in self._engine.prefix_bounds(folder):
                rows = self._engine.fetch(query, bounds)
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
        return BatchOperation(writers[operation_type], self.atomic)

    def _write_many(
        self,
        spec: Write,
        items: Iterable[Any],
        to_params: Callable[[Any], Sequence[Any]],
        key_of: Callable[[Any], str],
        batch_size: int,
        repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    ) -> BatchResult:
        """Write `items` in chunks of `batch_size`, all in one transaction.

        `batch_size` is the unit handed to the engine at once; a bad row is isolated
        within it at no cost to the others, so it no longer trades speed for safety.
        Committing per chunk would: each commit rewrites the touched index pages to the
        WAL (see benchmarks/benchmark_batch_operations.py, "commit per batch").
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        result = BatchResult()
        size = self._engine.write_chunk(batch_size)
        rows = len(items) if isinstance(items, Sized) else None
        with self.atomic(), self._engine.bulk_load(spec, rows):
            for chunk in chunks(items, size):
                result += self._engine.write(spec, chunk, to_params, key_of, repair)
        self.last_batch_result = result
        return result

    # -- batch reads ---------------------------------------------------------------------

    def batch_get_files_by_paths(
        self, paths: Iterable[str], batch_size: int = 500
    ) -> dict[str, LibraryFile | None]:
        """Every requested path -> this machine's row for it (active or not), or None when
        not indexed."""
        wanted = sorted(set(paths))
        db_path = self._engine.db_path
        keys = [db_path(p) for p in wanted]
        # Filled in the order rows arrive (sorted), absent paths added after: writing
        # into a dict pre-filled in input order costs a cache miss per row.
        result: dict[str, LibraryFile | None] = {}
        with self.reading(), gc_paused():
            for rows in self._engine_select_in(
                self._columns, "file_path", keys, batch_size, self._engine.mine()
            ):
                for file in files_from_rows(rows):
                    result[file.file_path] = file
        if len(result) < len(wanted):
            for path in wanted:
                result.setdefault(path, None)
        return result

    def batch_get_files_by_hashes(
        self, hashes: Iterable[str], hash_type: HashType, batch_size: int = 500
    ) -> dict[str, list[LibraryFile]]:
        """Every requested hash -> the active rows that carry it (an empty list if none),
        across the catalog (or `view`'s machine)."""
        column = _hash_column(hash_type)
        wanted = sorted(set(hashes))
        key_of = attrgetter(column)
        result: dict[str, list[LibraryFile]] = {}
        scope = both("is_active = 1", self._engine.of_machine(self.view))
        with self.reading(), gc_paused():
            for rows in self._engine_select_in(self._columns, column, wanted, batch_size, scope):
                for file in files_from_rows(rows):
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
        """Every row (of `view`'s machine, when set), streamed in path order."""
        query = self._select + where(
            "is_active = 1" if active_only else "", self._engine.of_machine(self.view)
        )
        with self.reading():
            for rows in chunks(self._engine.stream(query + " ORDER BY file_path"), 1000):
                yield from files_from_rows(rows)

    def _engine_select_in(
        self,
        columns: Sequence[str],
        key: str,
        keys: Sequence[Any],
        batch_size: int,
        scope: str = "",
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Rows whose `key` is in `keys`, one query (and list) per chunk.

        Chunks never exceed the connection's own bound-variable limit. Keys arrive
        sorted, so consecutive queries touch neighbouring index pages.
        """
        head = f"SELECT {', '.join(columns)} FROM {TABLE} WHERE " + (
            f"{scope} AND " if scope else ""
        )
        return self._engine.select_in(head, key, keys, batch_size)


def _key_of(item: Any) -> Callable[[Any], str]:
    return _path_of if hasattr(item, "file_path") else str
