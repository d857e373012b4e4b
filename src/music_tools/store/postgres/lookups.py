"""Statements and lookups on a catalog: every statement is written with `?` marks (as on
SQLite) and rewritten to psycopg's; a lookup sends its keys as one binary array
(`key = ANY(%b)`), rows come back in psycopg's binary format, a long read streams through
a server-side cursor, and a large lookup inside a read snapshot runs on two connections
(`SecondConnection`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq

from ...errors import StoreError
from .connect import Server, quote

__all__ = [
    "LOOKUP_CHUNK",
    "PARALLEL_CHUNK",
    "PARALLEL_KEYS",
    "SecondConnection",
    "fetch",
    "pg",
    "run",
    "run_many",
    "stream",
]

#: keys per `= ANY(%b)` lookup: a large share of a table's keys is then one hashed scan,
#: not ten (docs/benchmarks.md, The store on PostgreSQL)
LOOKUP_CHUNK = 50_000
#: a lookup of at least this many keys inside a read snapshot runs on two connections at
#: once, in chunks of PARALLEL_CHUNK keys (see `SecondConnection`)
PARALLEL_KEYS = 40_000
PARALLEL_CHUNK = 25_000
#: how long the second connection waits for a lock before the main one takes its part
HELPER_LOCK_WAIT_MS = 200


@lru_cache(maxsize=512)
def pg(statement: str) -> str:
    """A statement written with `?` marks, in psycopg's `%s` style (`?b`: `%b`, a value
    sent in binary, as the key arrays of lookups are: no text escaping of each key)."""
    return statement.replace("%", "%%").replace("?b", "%b").replace("?", "%s")


def fetch(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cursor = conn.cursor(binary=True)
    cursor.execute(pg(sql), params)
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def stream(
    conn: Any, sql: str, params: Sequence[Any], cursor_name: str
) -> Iterator[tuple[Any, ...]]:
    """Rows through a server-side cursor named `cursor_name`, so a million rows never sit
    in memory (outside a transaction, which a cursor needs, all at once)."""
    if not conn.info.transaction_status:  # idle: no snapshot to hold a cursor
        yield from fetch(conn, sql, params)
        return
    with conn.cursor(name=cursor_name, binary=True) as cursor:
        cursor.itersize = 2_000
        cursor.execute(pg(sql), params)
        yield from cursor


def run(conn: Any, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement; the number of rows it changed."""
    cursor = conn.execute(pg(sql), params)
    return max(0, int(cursor.rowcount))


def run_many(conn: Any, sql: str, params: Iterable[Sequence[Any]]) -> int:
    """One statement per parameter set; the rows changed."""
    cursor = conn.cursor()
    cursor.executemany(pg(sql), list(params))
    return max(0, int(cursor.rowcount))


class SecondConnection:
    """A large lookup's second connection, reading the first one's snapshot.

    As `pg_dump --jobs` reads: the second imports the read transaction's snapshot
    (`pg_export_snapshot`), so both see one committed state. One server process spends
    most of a large lookup sending rows, one client thread turning them into objects: two
    queries at a time keep both busy (docs/benchmarks.md, The store on PostgreSQL: the
    "one connection" line). Opened on first use, read-only; never queues for a lock."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._conn: Any = None
        self._standby: bool | None = None  # whether the server is a standby in recovery

    def sharing(self, main: Any) -> Any:
        """The second connection, in a transaction on `main`'s snapshot; None when that
        cannot be had (no connection to spare on the server, a pooler that does not pass
        snapshots on): the lookup then keeps to one connection."""
        try:
            helper = self._open()
        except (StoreError, psycopg.Error):
            return None
        if self._standby is None:  # a standby in recovery exports no snapshot
            self._standby = bool(main.execute("SELECT pg_is_in_recovery()").fetchone()[0])
        if self._standby:
            return None
        status = helper.info.transaction_status
        if status == pq.TransactionStatus.INTRANS:
            return helper  # an earlier lookup of this snapshot imported it already
        if status != pq.TransactionStatus.IDLE:
            return None  # it failed earlier in this snapshot: keep to one connection
        # not under a savepoint: a subtransaction cannot export the snapshot
        snapshot = main.execute("SELECT pg_export_snapshot()").fetchone()[0]
        try:
            helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except psycopg.Error:
            return None
        try:
            helper.execute(f"SET TRANSACTION SNAPSHOT {quote(snapshot)}")
        except psycopg.Error:
            with suppress(psycopg.Error):
                helper.execute("ROLLBACK")
            return None
        return helper

    def lookup(
        self, main: Any, helper: Any, sql: str, parts: Sequence[Sequence[Any]]
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Each part's rows in order (`sql` takes a part as its one key array), part i
        queried on connection i % 2 by a worker thread while this one takes the rows of the
        part before."""
        query = pg(sql)
        broken: list[bool] = []

        def on(conn: Any, i: int) -> Any:
            cursor = conn.cursor(binary=True)
            cursor.execute(query, (list(parts[i]),))
            return cursor

        def run(i: int) -> Any:
            if i % 2 and not broken:
                try:
                    return on(helper, i)
                except psycopg.Error:
                    # its lock queued behind another session's (which may wait for this
                    # transaction's own lock: a cycle the server cannot see), or it was
                    # lost: the rest runs on the main connection, which holds its locks
                    broken.append(True)
            return on(main, i)

        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mt-lookup")
        try:
            pending = [pool.submit(run, i) for i in range(min(2, len(parts)))]
            for i in range(len(parts)):
                with self._server.translated():
                    cursor = pending[i].result()
                    rows: list[tuple[Any, ...]] = cursor.fetchall()
                cursor.close()
                if i + 2 < len(parts):
                    pending.append(pool.submit(run, i + 2))
                yield rows
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def end(self) -> None:
        """The read snapshot ended: so does the second connection's copy of it (even when a
        lookup's generator was left unfinished), so it holds no lock or old snapshot."""
        conn = self._conn
        if conn is not None and conn.info.transaction_status:
            with suppress(psycopg.Error):
                conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def _open(self) -> Any:
        if self._conn is None:
            conn = self._server.open()
            try:
                conn.execute("SET default_transaction_read_only = on")
                # never queue for a lock: the main connection holds the snapshot's locks
                # already and takes over a part this one cannot run at once
                conn.execute(f"SET lock_timeout = {HELPER_LOCK_WAIT_MS}")
            except psycopg.Error:
                conn.close()
                raise
            self._conn = conn
        return self._conn
