"""LibraryDatabase: the store, with the seed's single-row and batch methods, on SQLite or
PostgreSQL (see engine.py for what differs between them)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from operator import attrgetter
from typing import Any

from ..errors import StoreError
from ..models import LibraryFile
from ..util import StrPath, chunks, one_or_many
from .batch import BatchResult
from .engine import Engine
from .fingerprints import Fingerprints
from .indexing import Indexing, RowState
from .keys import HashType, hash_column
from .matching import Matching
from .operation import BatchOperation, OperationType
from .quality import QualityVerdicts
from .rows import COLUMNS, files_from_rows, gc_paused, path_repairer
from .scan_errors import ScanErrorTable
from .sql import TABLE, ItemWrite, Write, both, where
from .target import open_engine
from .writes import write_many

__all__ = ["DEFAULT_BUSY_TIMEOUT_S", "TABLE", "LibraryDatabase", "RowState"]


def _path_of(item: Any) -> str:
    return str(item.file_path)


_UPDATE_COLUMNS = tuple(c for c in COLUMNS if c not in ("id", "file_path"))
_UPDATE = ItemWrite(
    Write("update", TABLE, "file_path", _UPDATE_COLUMNS),
    attrgetter(*_UPDATE_COLUMNS, "file_path"),
    _path_of,
    path_repairer((*_UPDATE_COLUMNS, "file_path")),
)
_MARK_INACTIVE = Write("update", TABLE, "file_path", sets="is_active = 0")
_DELETE = Write("delete", TABLE, "file_path")
#: the indexes a first index looks rows up by while it loads (see `deferred_indexes`)
_LOAD_INDEXES = ("idx_library_directory",)


#: seconds to wait for another process's lock before giving up
DEFAULT_BUSY_TIMEOUT_S = 60.0


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
        self._columns = self._engine.columns
        self._select = f"SELECT {', '.join(self._columns)} FROM {TABLE}"
        upsert = Write("upsert", TABLE, "file_path", self._columns)
        self._insert = ItemWrite(
            upsert, self._engine.row_of, _path_of, path_repairer(self._columns)
        )
        self._delete = ItemWrite(_DELETE, self._path_params, str)
        self._mark_inactive = ItemWrite(_MARK_INACTIVE, self._path_params, str)
        self.scan_errors = ScanErrorTable(self._engine)
        #: the lookups and writes of duplicate checking and of acting on files
        self.matching = Matching(self._engine)
        #: the stored acoustic fingerprints and their term index
        self.fingerprints = Fingerprints(self._engine)
        #: the quality verdicts in the rows: the rows to analyse, and their writes
        self.quality = QualityVerdicts(self._engine)
        #: what the indexer asks: rows per folder, re-activated, re-linked, re-keyed
        self.indexing = Indexing(self._engine)
        self.last_batch_result = BatchResult()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The dialect-specific part (statements, transactions, path encoding): the store's
        own, and the tests'; callers go through this façade and its sub-objects."""
        return self._engine

    @property
    def view(self) -> str | None:
        """The machine whose rows catalog-wide reads see; None: every machine's."""
        return self._engine.view

    @view.setter
    def view(self, machine: str | None) -> None:
        self._engine.view = machine

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

    def __exit__(self, *exc_info: object) -> None:
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
            self._write_one(self._insert, file)
            query = f"SELECT id FROM {TABLE}{where(self._engine.mine(), 'file_path = ?')}"
            row_id: int = self._engine.fetch(query, (self._engine.db_path(file.file_path),))[0][0]
        return row_id

    def update_file(self, file: LibraryFile) -> bool:
        """Overwrite the row with `file.file_path`; False when there is none."""
        return self._write_one(_UPDATE, file) > 0

    def mark_inactive(self, path: str) -> bool:
        return self._write_one(self._mark_inactive, path) > 0

    def delete_file(self, path: str) -> bool:
        return self._write_one(self._delete, path) > 0

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

    def _write_one(self, job: ItemWrite, item: Any) -> int:
        """One row in its own transaction -> rows changed; a bad row raises StoreError
        naming the path and the reason."""
        with self.atomic():
            result = self._engine.write(job, [item])
        if result.failures:
            failure = result.failures[0]
            raise StoreError(failure.key, failure.reason)
        return result.written

    # -- batch writes --------------------------------------------------------------------

    def batch_insert_files(
        self, files: Iterable[LibraryFile], batch_size: int = 500
    ) -> BatchResult:
        """Insert `files`; a row whose path exists is replaced in place (id kept).

        Returns a BatchResult: the number written (`int(result)`), and `failures`, the rows
        skipped with the reason.
        """
        return self._write_many(self._insert, files, batch_size)

    def batch_update_files(
        self, files: Iterable[LibraryFile], batch_size: int = 200
    ) -> BatchResult:
        """Overwrite the rows with these paths; returns how many rows existed and changed."""
        return self._write_many(_UPDATE, files, batch_size)

    def batch_delete_files(
        self, paths: StrPath | Iterable[str], batch_size: int = 500
    ) -> BatchResult:
        """Delete the rows of `paths` (one path, or several)."""
        return self._write_many(self._delete, one_or_many(paths), batch_size)

    def batch_mark_inactive(
        self, paths: StrPath | Iterable[str], batch_size: int = 500
    ) -> BatchResult:
        """Soft-delete: the rows of `paths` (one path, or several) stay, with is_active = 0."""
        return self._write_many(self._mark_inactive, one_or_many(paths), batch_size)

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

    def _write_many(self, job: ItemWrite, items: Iterable[Any], batch_size: int) -> BatchResult:
        result = write_many(self._engine, job, items, batch_size)
        self.last_batch_result = result
        return result

    # -- batch reads ---------------------------------------------------------------------

    def batch_get_files_by_paths(
        self, paths: StrPath | Iterable[str], batch_size: int = 500
    ) -> dict[str, LibraryFile | None]:
        """Every requested path (one, or several) -> this machine's row for it (active or
        not), or None when not indexed."""
        wanted = sorted(set(one_or_many(paths)))
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
        column = hash_column(hash_type)
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
