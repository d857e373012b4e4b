"""PostgresEngine: the store on a PostgreSQL server, through psycopg 3.

- Connecting, and driver errors as StoreErrors naming the server as
  `postgresql://user@host:port/db` (never the password): connect.py.
- Writes: COPY and one merge per chunk, bad rows isolated (writes.py).
- Lookups: `key = ANY(%b)` with one binary array parameter per chunk of keys; a large
  lookup inside a read snapshot runs on two connections sharing that snapshot (lookups.py).
- Transactions: the connection is in autocommit mode and `Transactions` (transactions.py)
  issues BEGIN, SAVEPOINT and COMMIT itself, as on SQLite; a read snapshot is a REPEATABLE
  READ, READ ONLY transaction.
- Schema: created and upgraded on a writable open, checked on a read-only one (schema.py).
- Concurrency: rows of different machines never share a key; a session advisory lock per
  machine (`run_lock`) makes a second indexer, or `dupes --apply`, of the same machine wait
  for the first.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from operator import attrgetter
from typing import Any

import psycopg

from ...models import LIBRARY_FILE_FIELDS
from ...util import chunks
from ..batch import BatchResult
from ..engine import Engine
from ..sql import ItemWrite, Write
from ..transactions import Transactions
from . import lookups
from .connect import Server, check_machine, default_machine, quote
from .lookups import LOOKUP_CHUNK
from .schema import FUZZY_BLOCK, LOCK_CLASS, check_readable, check_version, migrate, version
from .writes import WRITE_CHUNK, Writer

__all__ = ["PostgresEngine"]


class PostgresEngine(Engine):
    dialect = "postgresql"
    columns = (*(c for c in LIBRARY_FILE_FIELDS if c != "machine"), "machine")
    fuzzy_block = FUZZY_BLOCK
    begin_write = "BEGIN"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(
        self,
        url: str,
        busy_timeout: float,
        *,
        readonly: bool = False,
        on_wait: Callable[[], None] | None = None,
        machine: str | None = None,
    ) -> None:
        server = Server(url)
        self.name = server.name
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        self.machine: str = check_machine(machine) if machine else default_machine()
        self._mine = f"machine = {quote(self.machine)}"
        getter = attrgetter(*self.columns)
        own = self.machine

        def row_of(file: Any) -> tuple[Any, ...]:
            row: tuple[Any, ...] = getter(file)
            return row if row[-1] is not None else (*row[:-1], own)

        self.row_of = row_of
        self._server = server
        self.conn = server.connect()
        self._tx = Transactions(self)
        self._writer = Writer(server, self._mine, self._tx)
        self._second = lookups.SecondConnection(server)
        self._streams = 0
        try:
            with self.translated():
                self.conn.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
                if readonly:
                    self.conn.execute("SET default_transaction_read_only = on")
                    check_readable(self.conn, self.name)
                else:
                    migrate(self.conn, self.name, self.atomic)
        except BaseException:
            self.conn.close()
            raise

    # -- transactions and statements ----------------------------------------------------

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def snapshot(self) -> AbstractContextManager[None]:
        return self._tx.snapshot()

    def translated(self) -> AbstractContextManager[None]:
        return self._server.translated()

    def execute(self, statement: str) -> None:
        self.conn.execute(statement)

    def in_transaction(self) -> bool:
        return bool(self.conn.info.transaction_status)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.translated():
            return lookups.fetch(self.conn, sql, params)

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows through a server-side cursor, so a million rows never sit in memory."""
        self._streams += 1
        with self.translated():
            yield from lookups.stream(self.conn, sql, params, f"mt_stream_{self._streams}")

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.translated():
            return lookups.run(self.conn, sql, params)

    def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> int:
        with self.translated():
            return lookups.run_many(self.conn, sql, params)

    @property
    def param_limit(self) -> int:
        return 65_535

    def write_chunk(self, batch_size: int) -> int:
        return max(batch_size, WRITE_CHUNK)

    def in_chunk(self, batch_size: int) -> int:
        return max(batch_size, LOOKUP_CHUNK)

    def in_clause(self, expression: str, count: int) -> str:
        return f"{expression} = ANY(?b)"

    def in_params(self, chunk: Sequence[Any]) -> Sequence[Any]:
        return (list(chunk),)

    def select_in(
        self, head: str, expression: str, keys: Sequence[Any], batch_size: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """As Engine.select_in; a large lookup inside a read snapshot runs on two
        connections at once (lookups.SecondConnection). Inside a write transaction the
        second connection could not see its uncommitted rows, so that and small lookups
        keep to one."""
        helper = None
        if len(keys) >= lookups.PARALLEL_KEYS and self._tx.reading:
            helper = self._second.sharing(self.conn)
        if helper is None:
            yield from super().select_in(head, expression, keys, batch_size)
            return
        parts = list(chunks(keys, lookups.PARALLEL_CHUNK))
        sql = head + self.in_clause(expression, 0)
        yield from self._second.lookup(self.conn, helper, sql, parts)

    def snapshot_ended(self) -> None:
        self._second.end()

    # -- batched writes -----------------------------------------------------------------

    def write(self, job: ItemWrite, items: Iterable[Any]) -> BatchResult:
        return self._writer.write(job, items)

    def bulk_load(self, spec: Write, rows: int | None) -> AbstractContextManager[None]:
        return self._writer.bulk_load(spec, rows)

    # -- paths --------------------------------------------------------------------------

    def db_path(self, path: str) -> bytes:
        return os.fsencode(path)

    def prefix_bounds(self, folder: str) -> list[tuple[Any, Any]]:
        prefix = os.fsencode(folder if folder.endswith(os.sep) else folder + os.sep)
        return [(prefix, prefix[:-1] + bytes([prefix[-1] + 1]))]

    # -- machines -----------------------------------------------------------------------

    def mine(self) -> str:
        return self._mine

    def of_machine(self, machine: str | None) -> str:
        return "" if machine is None else f"machine = {quote(check_machine(machine))}"

    @contextmanager
    def run_lock(self, what: str, on_wait: Callable[[], None] | None) -> Iterator[None]:
        """A session advisory lock on this machine's part of the catalog, waited for
        (saying so after a second) as long as the other holder keeps it. Advisory locks
        are the database's, not a schema's: the key names the catalog's schema too, so two
        catalogs in one database never wait for each other."""
        waited_since = time.monotonic()
        told = False
        with self.translated():
            schema = self.conn.execute("SELECT current_schema()").fetchone()[0] or ""
            key = zlib.crc32(f"{schema}\0{self.machine}".encode()) - 2**31
            while not self.conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, key)
            ).fetchone()[0]:
                if not told and time.monotonic() - waited_since >= 1.0:
                    told = True
                    if on_wait is not None:
                        on_wait()
                time.sleep(0.2)
        try:
            yield
        finally:
            with suppress(psycopg.Error):  # else the session is gone, and its locks with it
                self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, key))

    # -- search -------------------------------------------------------------------------

    def text_like(self, column: str, escape: str) -> str:
        return f"{column} ILIKE ? {escape}"

    def path_like(self, column: str, escape: str) -> str:
        """The path's bytes, one character each (LATIN1 maps all 256), matched with only
        ASCII letters folded ("C"): SQLite's LIKE on the same bytes, whether or not the
        name is UTF-8."""
        return f"convert_from({column}, 'LATIN1') COLLATE \"C\" ILIKE ? {escape}"

    def path_pattern(self, pattern: str) -> Any:
        """The pattern's bytes, as `path_like` shows a path's."""
        return os.fsencode(pattern).decode("latin-1")

    def search_limits(self) -> tuple[int, int, int]:
        """SQLite's default expression depth (1,000) as the term bound: PostgreSQL has no
        such limit, and planning a query of thousands of ILIKE terms took minutes."""
        return (1_000, self.param_limit, 1_000_000)

    @contextmanager
    def impatient(self, seconds: float) -> Iterator[None]:
        with self.translated():
            self.conn.execute(f"SET lock_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            with self.translated():
                self.conn.execute(f"SET lock_timeout = {int(self.busy_timeout * 1000)}")

    # -- upkeep -------------------------------------------------------------------------

    def check_integrity(self) -> None:
        """PostgreSQL keeps its own pages sound (and checks them, with data checksums on);
        here the catalog is asked to answer at all, with the schema this version uses."""
        with self.translated():
            check_version(self.name, version(self.conn, self.name) or 0, writable=False)

    def optimize(self) -> None:
        with self.translated():
            self.conn.execute("ANALYZE library_index")

    def close(self) -> None:
        self._second.close()
        self.conn.close()
