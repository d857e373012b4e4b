"""Opening a SQLite library: pragmas, schema upgrade, transactions.

The store talks to SQLite through apsw rather than the standard library's sqlite3: the
latter releases and re-takes the GIL around every column it reads, which caps a 31-column
row fetch at about 165,000 rows/s on the benchmark machine even before any object is built;
apsw reads the same rows at about 250,000/s, prepares executemany statements once, and
brings its own current SQLite whatever the operating system ships.

Pragmas, each measured on the XLARGE benchmark (100,000 rows, 2 cores):
- journal_mode=WAL: readers never block the writer and the writer never blocks readers;
  a commit appends to the WAL instead of rewriting pages in place.
- synchronous=NORMAL: in WAL mode a commit is durable across an application crash and
  only the last transactions can be lost on power failure; FULL fsyncs every commit.
- cache_size=-32768 (32 MiB, allocated only as used): SQLite's own page cache is private
  memory that grows to its cap over a long run, while pages it evicts are re-read from the
  operating system's page cache for the price of a system call. Measured by inserting a
  million rows with random keys in commits of 500 (as the indexer does): 8 MiB 5,308
  rows/s (peak 38 MiB), 32 MiB 6,218 rows/s (63 MiB), 256 MiB 5,355 rows/s (334 MiB), all
  within this machine's noise; 32 MiB keeps a million-file index well inside its memory
  budget at no measurable cost.
- no mmap_size: mapped pages count as the process's resident memory once touched, and
  reads through the page cache were no slower here.
- `PRAGMA optimize` after an index run that wrote many rows (see LibraryIndexer), so the
  query planner has statistics for a large library; it analyzes only what changed a lot.
- temp_store=MEMORY: the ephemeral tables that IN-lists and sorts build stay off disk.
- foreign_keys=ON: enforce references where later schema versions add them.
- busy timeout: a second writer waits for the lock instead of failing at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw

from ..errors import StoreError
from .schema import migrate

__all__ = ["DEFAULT_BUSY_TIMEOUT_S", "Transactions", "open_sqlite"]

DEFAULT_BUSY_TIMEOUT_S = 60.0
CACHE_SIZE_KIB = 32_768


def open_sqlite(path: str | os.PathLike[str], busy_timeout: float) -> apsw.Connection:
    """Open (creating if needed) a library database and bring its schema up to date."""
    target = Path(path)
    if str(path) != ":memory:" and not target.parent.is_dir():
        raise StoreError(f"{target}: folder {target.parent} does not exist")
    try:
        conn = apsw.Connection(str(target))
        conn.set_busy_timeout(int(busy_timeout * 1000))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except apsw.Error as exc:
        raise StoreError(f"{target}: cannot open the library database: {exc}") from exc
    return conn


class Transactions:
    """Nesting transactions on one connection.

    The outermost `atomic()` is BEGIN IMMEDIATE ... COMMIT (taking the write lock up
    front, so a busy database waits for the busy timeout instead of failing when a read
    transaction tries to upgrade); an inner one is a SAVEPOINT. Any exception rolls the
    block back and is re-raised: a block that raised never commits.
    """

    __slots__ = ("_conn", "_depth")

    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn
        self._depth = 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if self._depth > 0:
            with self._savepoint():
                yield
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except apsw.Error as exc:
            raise StoreError(f"cannot start a write transaction: {exc}") from exc
        self._depth = 1
        try:
            yield
        except BaseException:
            _rollback(conn)
            raise
        else:
            try:
                conn.execute("COMMIT")
            except apsw.Error as exc:
                _rollback(conn)
                raise StoreError(f"commit failed: {exc}") from exc
        finally:
            self._depth = 0

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"atomic_{self._depth}"
        conn = self._conn
        conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the same committed state."""
        if self._depth > 0:
            yield
            return
        conn = self._conn
        conn.execute("BEGIN DEFERRED")
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            _rollback(conn)


def _rollback(conn: apsw.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
