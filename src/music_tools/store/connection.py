"""Opening a SQLite library: pragmas, schema upgrade, read-only opens.

Through apsw, not the standard library's sqlite3, which releases and re-takes the GIL
around every column it reads: apsw reads rows faster, prepares executemany statements once,
and brings a current SQLite (the Store benchmark's bare baseline is sqlite3:
docs/benchmarks.md).

Pragmas, each chosen on the XLARGE benchmark (docs/benchmarks.md, Store):
- journal_mode=WAL: readers never block the writer, nor the writer readers. Its `-wal` and
  `-shm` files stay once the last connection closes (emptied: see `_keep_wal_files`).
- synchronous=NORMAL: in WAL mode durable across an application crash; FULL would fsync
  every commit.
- cache_size=-32768 (32 MiB, allocated as used): as fast as 8 or 256 MiB here, and a
  million-file index stays well inside its memory budget.
- temp_store=MEMORY: the ephemeral tables of IN-lists and sorts stay off disk (an index
  build spills to a file instead, see deferred_indexes.sorts_spilling).
- no mmap_size: mapped pages count as the process's resident memory, and were no faster.
- foreign_keys=ON: enforce references where later schema versions add them.
- busy handler: a second writer waits for the lock (saying so after a second, through
  `on_wait`), up to the busy timeout.
`PRAGMA optimize` runs after an index run that wrote many rows (see LibraryIndexer).

Read-only opens (`readonly=True`, for commands that only read) use `mode=ro`: nothing is
created, migrated or switched to WAL. SQLite reads a WAL database read-only through its
`-shm` file; when none exists and this user cannot create one (a database in a folder they
cannot write, which no one has open), the file is opened `immutable=1` instead. No `-wal`
file exists then, so every committed row is in the main file; only a writer starting while
the read runs could go unseen (the read shows the state it started from).
"""

from __future__ import annotations

import ctypes
import os
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import apsw

from ..errors import NotALibraryError, SchemaError, StoreError
from .deferred_indexes import indexes_pending, restore_indexes, sorts_spilling
from .driver_errors import store_error, translated
from .schema import LATEST_VERSION, migrate, user_version

__all__ = ["WAIT_NOTICE_S", "open_sqlite"]

CACHE_SIZE_KIB = 32_768
#: After this long waiting for another process's lock, `on_wait` is called (once).
WAIT_NOTICE_S = 1.0
#: The WAL is cut back to this after a checkpoint that emptied it (and to nothing when the
#: last connection closes): kept files must not keep a large index's WAL on disk.
WAL_KEPT_BYTES = 64 * 1024 * 1024


def open_sqlite(
    path: str | os.PathLike[str],
    busy_timeout: float,
    *,
    readonly: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> apsw.Connection:
    """Open a library database: read-write (creating it and bringing its schema up to
    date), or read-only (refusing what is not a current music-tools library)."""
    target = Path(path)
    memory = str(path) == ":memory:"
    if not memory and not target.parent.is_dir():
        raise StoreError(target, f"folder {target.parent} does not exist")
    if readonly:
        if not target.is_file():
            raise StoreError(target, "no library database here (run `music-tools index`)")
        return _open_readonly(target, busy_timeout, on_wait)
    conn: apsw.Connection | None = None
    try:
        with translated(target):
            conn = apsw.Connection(str(target))
            _wait_politely(conn, busy_timeout, on_wait)
            check_library(conn, target, writable=True)
            conn.execute("PRAGMA journal_mode=WAL")
            _keep_wal_files(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA foreign_keys=ON")
            _restore_deferred_indexes(conn)
            migrate(conn)
    except StoreError as exc:
        if conn is not None:
            conn.close()
        if not exc.path:
            raise StoreError(target, exc.reason) from exc
        raise
    return conn


def _keep_wal_files(conn: apsw.Connection) -> None:
    """Keep the `-wal` and `-shm` files once the last connection closes (the WAL emptied:
    its pages are in the main file), so they stay the owner's. Removed, they would be made
    again by the next to open the library: a read-only command of another user, who may
    write the folder, would leave them as theirs, and the owner's next write would fail
    ("read-only here"). Found in place, a reader who cannot write them reads through a
    private copy of the index instead, and makes nothing."""
    persist = ctypes.c_int(1)
    conn.file_control("main", apsw.SQLITE_FCNTL_PERSIST_WAL, ctypes.addressof(persist))
    conn.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")


def _restore_deferred_indexes(conn: apsw.Connection) -> None:
    """Build the indexes a killed first index left to build (before any migration, which
    expects the schema it knows); see deferred_indexes.py."""
    if not indexes_pending(conn):
        return
    with sorts_spilling(conn):
        try:
            conn.execute("BEGIN IMMEDIATE")
            restore_indexes(conn)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise


def _open_readonly(
    target: Path, busy_timeout: float, on_wait: Callable[[], None] | None
) -> apsw.Connection:
    flags = apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    uri = "file:" + urllib.parse.quote(os.fsencode(target.absolute()))
    try:
        conn = apsw.Connection(f"{uri}?mode=ro", flags=flags)
        _wait_politely(conn, busy_timeout, on_wait)
        user_version(conn)
    except (apsw.ReadOnlyError, apsw.CantOpenError) as exc:
        if os.path.exists(f"{target}-wal"):
            raise store_error(target, exc) from exc
        conn = apsw.Connection(f"{uri}?mode=ro&immutable=1", flags=flags)
    except apsw.Error as exc:
        raise store_error(target, exc) from exc
    try:
        with translated(target):
            check_library(conn, target, writable=False)
            conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
            conn.execute("PRAGMA temp_store=MEMORY")
    except StoreError:
        conn.close()
        raise
    return conn


def check_library(conn: apsw.Connection, path: Path, *, writable: bool) -> None:
    """Refuse a file that is not a music-tools library, or one of a schema this version
    cannot use, before anything is written to it."""
    version = user_version(conn)
    if version > LATEST_VERSION:
        raise SchemaError(
            path,
            f"database schema version {version} is newer than this music-tools understands "
            f"({LATEST_VERSION}); upgrade music-tools",
        )
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if version == 0 and tables:
        raise NotALibraryError(path, "not a music-tools library (an SQLite file of another kind)")
    if version == 0 and not writable:  # what an index killed before its first commit leaves
        raise NotALibraryError(
            path, "not a music-tools library yet (an empty database); `music-tools index` builds it"
        )
    if version > 0 and "library_index" not in tables:
        raise NotALibraryError(path, "not a music-tools library (no library_index table)")
    if version < LATEST_VERSION and not writable:
        raise SchemaError(
            path,
            f"database schema version {version} is older than this music-tools uses "
            f"({LATEST_VERSION}); run `music-tools index` once to upgrade it",
        )


def _wait_politely(
    conn: apsw.Connection, timeout: float, on_wait: Callable[[], None] | None
) -> None:
    """Wait up to `timeout` seconds for another process's lock, saying so after a second."""
    started: list[float] = []

    def busy(tries: int) -> bool:
        now = time.monotonic()
        if tries == 0:
            started[:] = [now]
        waited = now - started[0]
        if waited >= timeout:
            return False
        if on_wait is not None and waited >= WAIT_NOTICE_S and len(started) == 1:
            started.append(now)
            on_wait()
        time.sleep(min(0.001 * 2 ** min(tries, 6), 0.05))
        return True

    conn.set_busy_handler(busy)


def _rollback(conn: apsw.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except apsw.Error:
        pass  # the error that made us roll back is the one worth reporting
