"""The SQLite engine: a library in one file, through apsw (see connection.py for why)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any

import apsw

from ..errors import StoreError
from .batch import BatchResult, execute_isolated
from .blocking import FUZZY_BLOCK_SQL
from .connection import open_sqlite
from .deferred_indexes import (
    drop_secondary_indexes,
    indexes_pending,
    restore_indexes,
    sorts_spilling,
)
from .driver_errors import store_error, translated
from .engine import Engine
from .rows import COLUMNS, db_path, prefix_bounds, row_of
from .run_lock import RunLock
from .sql import ItemWrite, Write, render
from .transactions import Transactions

__all__ = ["DEFER_INDEXES_BELOW_ROWS", "SqliteEngine"]

#: a load into a table of fewer rows than this builds its secondary indexes at the end (the
#: rebuild of rows already there costs about 6 s a million: under 0.1 s here)
DEFER_INDEXES_BELOW_ROWS = 10_000


class SqliteEngine(Engine):
    dialect = "sqlite"
    machine = None
    columns = COLUMNS
    row_of = staticmethod(row_of)
    fuzzy_block = FUZZY_BLOCK_SQL
    #: taking the write lock up front, so a busy database waits for the busy timeout
    #: instead of failing when a read transaction tries to upgrade
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN DEFERRED"

    def __init__(
        self,
        path: str | os.PathLike[str],
        busy_timeout: float,
        *,
        readonly: bool = False,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.name = os.fspath(path)
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        self.conn = open_sqlite(path, busy_timeout, readonly=readonly, on_wait=on_wait)
        self._tx = Transactions(self)
        self._statements: dict[Write, str] = {}
        # one lock per library file, however it is reached (a symbolic link, a relative path)
        self._run_lock = RunLock(f"{os.path.realpath(self.name)}.lock")

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def snapshot(self) -> AbstractContextManager[None]:
        return self._tx.snapshot()

    def translated(self) -> AbstractContextManager[None]:
        return translated(self.name)

    def execute(self, statement: str) -> None:
        self.conn.execute(statement)

    def in_transaction(self) -> bool:
        return bool(self.conn.in_transaction)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with translated(self.name):
            return self.conn.execute(sql, params).fetchall()

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        with translated(self.name):
            yield from self.conn.execute(sql, params)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with translated(self.name):
            self.conn.execute(sql, params)
            return int(self.conn.changes())

    def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> int:
        with translated(self.name):
            before = self.conn.total_changes()
            self.conn.executemany(sql, params)
            return int(self.conn.total_changes() - before)

    def write(self, job: ItemWrite, items: Iterable[Any]) -> BatchResult:
        statement = self._statements.get(job.spec)
        if statement is None:
            statement = self._statements[job.spec] = render(job.spec)
        return execute_isolated(self.conn, self.name, statement, items, job)

    @property
    def param_limit(self) -> int:
        return int(self.conn.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1))

    def db_path(self, path: str) -> str | bytes:
        return db_path(path)

    def prefix_bounds(self, folder: str) -> list[tuple[Any, Any]]:
        return prefix_bounds(folder)

    def search_limits(self) -> tuple[int, int, int]:
        limit = self.conn.limit
        return (
            int(limit(apsw.SQLITE_LIMIT_EXPR_DEPTH, -1)),
            int(limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1)),
            int(limit(apsw.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1)),
        )

    @contextmanager
    def deferred_indexes(self, table: str, keep: tuple[str, ...]) -> Iterator[bool]:
        if self.readonly or not self.conn.getautocommit():
            # inside a caller's transaction the build at the end could not switch its sorts
            # to temporary files, and a failure would take the caller's work with it
            yield False
            return
        with self._tx.atomic():
            dropped = drop_secondary_indexes(self.conn, table, keep, DEFER_INDEXES_BELOW_ROWS)
        if not dropped:
            yield False
            if indexes_pending(self.conn):  # another process's load, killed meanwhile
                with suppress(StoreError):
                    self._restore_indexes()
            return
        try:
            yield True
        except BaseException:
            with suppress(StoreError):  # the next writable open builds them
                self._restore_indexes()
            raise
        self._restore_indexes()

    def _restore_indexes(self) -> None:
        with translated(self.name), sorts_spilling(self.conn), self._tx.atomic():
            restore_indexes(self.conn)

    def run_lock(
        self, what: str, on_wait: Callable[[], None] | None
    ) -> AbstractContextManager[None]:
        """`library.db.lock` beside the file (see run_lock.py); none for a read-only open,
        which never acts, nor in memory."""
        if self.readonly or self.name == ":memory:":
            return nullcontext()
        return self._run_lock.held(on_wait)

    @contextmanager
    def impatient(self, seconds: float) -> Iterator[None]:
        self.conn.set_busy_timeout(int(seconds * 1000))
        try:
            yield
        finally:
            self.conn.set_busy_timeout(int(self.busy_timeout * 1000))

    def check_integrity(self) -> None:
        """SQLite's `quick_check` (reads the whole file: seconds for a million rows)."""
        with translated(self.name):
            found = [row[0] for row in self.conn.execute("PRAGMA quick_check(3)")]
        if found != ["ok"]:
            raise store_error(self.name, apsw.CorruptError("; ".join(map(str, found))))

    def optimize(self) -> None:
        """`PRAGMA optimize`, with sampling capped so a million rows cost milliseconds."""
        with translated(self.name):
            self.conn.execute("PRAGMA analysis_limit=1000")
            self.conn.execute("PRAGMA optimize")

    def close(self) -> None:
        self.conn.close()
