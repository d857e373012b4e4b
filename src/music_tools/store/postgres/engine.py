"""PostgresEngine: the store on a PostgreSQL server, through psycopg 3.

- Writes: a chunk of rows goes to the server by `COPY` into a temporary staging table, then
  one `INSERT ... SELECT ... ON CONFLICT (machine, file_path) DO UPDATE` (or one
  `UPDATE ... FROM`) merges it, under a savepoint. Only when a chunk fails does it run again
  row by row, each row under its own savepoint, so the bad rows are reported with the
  server's reason and the good ones written, as on SQLite. A NUL in text, which SQLite
  stores and PostgreSQL's TEXT cannot, is written as U+FFFD rather than lose the row.
- A large first load (a new catalog's empty table) builds the secondary indexes after the
  rows, in the same transaction (`bulk_load`); rows go by binary COPY.
- Lookups: `key = ANY(%b)` with one binary array parameter per chunk of keys.
- Transactions: the connection is in autocommit mode and `Transactions` (transactions.py)
  issues BEGIN, SAVEPOINT and COMMIT itself, as on SQLite; a read snapshot is a REPEATABLE
  READ, READ ONLY transaction.
- Concurrency: rows of different machines never share a key; concurrent upserts of one path
  take the row lock in turn (each chunk merges in key order, so two writers never wait on
  each other in a cycle); a session advisory lock per machine (`run_lock`) makes a second
  indexer, or `dupes --apply`, of the same machine wait for the first.
- Errors: every driver error leaves as a StoreError naming the server as
  `postgresql://user@host:port/db`; the password never appears.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import lru_cache
from operator import attrgetter
from typing import Any

from ...errors import (
    DatabaseFullError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    NotALibraryError,
    SchemaError,
    StoreError,
)
from ...models import LIBRARY_FILE_FIELDS
from ..batch import ROW_ERRORS, BatchResult, RowError, describe_error, safe_key
from ..engine import Engine
from ..rows import PATH_COLUMNS
from ..sql import Write, render
from ..transactions import Transactions
from .schema import BASELINE, FUZZY_BLOCK, MIGRATIONS, VERSION_TABLE

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql as pg_sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.types.string import BytesBinaryDumper
except ImportError:  # pragma: no cover - exercised by the no-extra install
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresEngine", "default_machine", "redact"]

#: errors that belong to one row: the server refused its values, or they could not be sent
_ROW_FAILURES: tuple[type[BaseException], ...] = (
    *((psycopg.DataError, psycopg.IntegrityError) if psycopg is not None else ()),
    *ROW_ERRORS,
)

#: what `--machine` and MUSIC_TOOLS_MACHINE accept (a host name's characters)
MACHINE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
#: rows per COPY and merge: large enough that the round trips vanish, small enough that a
#: chunk retried row by row stays quick
WRITE_CHUNK = 5_000
#: a write of at least this many rows into an empty library_index builds the secondary
#: indexes after the load instead of row by row (see `bulk_load`)
BULK_LOAD_ROWS = 20_000
#: keys per `= ANY(%b)` lookup: measured at 100,000 keys, 50,000 a query ran about 20%
#: faster than 10,000 (a large share of a table's keys is one hashed scan, not ten)
LOOKUP_CHUNK = 50_000
_LOCK_CLASS = 0x6D74  # "mt": the advisory locks' first key
_MIGRATION_LOCK = 1
_CONNECT_TIMEOUT_S = 10
_FLAG_COLUMNS = frozenset({"is_active", "is_lossless"})
_INT4 = 2**31
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def default_machine() -> str:
    """MUSIC_TOOLS_MACHINE, or this host's name (its first label)."""
    name = os.environ.get("MUSIC_TOOLS_MACHINE") or socket.gethostname().split(".")[0]
    return check_machine(name or "localhost")


def check_machine(name: str) -> str:
    if not MACHINE_NAME.fullmatch(name):
        raise StoreError(
            f"machine name {name!r} is not usable: letters, digits, '.', '_' and '-', "
            "at most 63, starting with a letter or digit"
        )
    return name


def redact(url: str) -> str:
    """`url` as errors show it: postgresql://user@host:port/db, never the password."""
    try:
        info = conninfo_to_dict(url) if psycopg is not None else {}
    except Exception:
        return "postgresql://(unreadable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{_where(info)}/{info.get('dbname', '')}"


def _where(info: dict[str, Any]) -> str:
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}"


@lru_cache(maxsize=512)
def _pg(statement: str) -> str:
    """A statement written with `?` marks, in psycopg's `%s` style (`?b`: `%b`, a value
    sent in binary, as the key arrays of lookups are: no text escaping of each key)."""
    return statement.replace("%", "%%").replace("?b", "%b").replace("?", "%s")


def _check_ports(ports: object) -> None:
    """A port that is not a number is refused here: libpq would look it up as a service
    name and blame the host ("failed to resolve host")."""
    for port in str(ports or "").split(","):
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise StoreError(
                f"not a usable PostgreSQL URL: port {port!r} is not a number from 1 to 65535"
            )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
        if psycopg is None:
            raise StoreError(
                "PostgreSQL support is not installed: pip install 'music-tools[postgres]'"
            )
        self.name = redact(url)
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error as exc:
            # the driver's message quotes the whole URL, password and all: keep its cause
            cause = " ".join(str(exc).split(" in URI:")[0].split(": postgres")[0].split())
            raise StoreError(f"not a usable PostgreSQL URL: {cause}") from None
        _check_ports(info.get("port"))
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        self.machine: str = check_machine(machine) if machine else default_machine()
        self._password = str(info.get("password") or "")
        self._mine = f"machine = {_quote(self.machine)}"
        getter = attrgetter(*self.columns)
        own = self.machine

        def row_of(file: Any) -> tuple[Any, ...]:
            row: tuple[Any, ...] = getter(file)
            return row if row[-1] is not None else (*row[:-1], own)

        self.row_of = row_of
        self.conn = self._connect(url)
        self._tx = Transactions(self)
        self._stages: dict[tuple[str, tuple[str, ...]], str] = {}
        self._streams = 0
        self._loading = False  # inside a bulk_load that holds the table alone
        self._types: dict[str, dict[str, str]] = {}
        try:
            with self.translated():
                self.conn.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
                if readonly:
                    self.conn.execute("SET default_transaction_read_only = on")
                    self._check_readable()
                else:
                    self._migrate()
        except BaseException:
            self.conn.close()
            raise

    # -- connecting ---------------------------------------------------------------------

    def _connect(self, url: str) -> Any:
        try:
            conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=_CONNECT_TIMEOUT_S,
                application_name="music-tools",
            )
            # binary COPY asks for dumpers by type name, and for bytea psycopg finds the
            # dumper of its dbapi20 `Binary` wrapper, in Python: ours are plain bytes (in C)
            conn.adapters.register_dumper(bytes, BytesBinaryDumper)
            return conn
        except psycopg.Error as exc:
            info = conninfo_to_dict(url)
            raise StoreError(
                f"cannot reach PostgreSQL at {_where(info)}: {self._reason(exc)}"
            ) from None
        except Exception as exc:  # a URL psycopg cannot parse
            raise StoreError(
                f"{self.name}: not a usable PostgreSQL URL ({type(exc).__name__})"
            ) from None

    def _reason(self, exc: BaseException) -> str:
        """The driver's message, one line, without the connection preamble or a password."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = text.rsplit(" failed: ", 1)[-1]
        text = re.sub(r"^(connection failed: |FATAL: +|ERROR: +)", "", text).strip()
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def _check_readable(self) -> None:
        version = self._version()
        if version is None:
            raise NotALibraryError(
                self.name, "no music-tools catalog here yet (run `music-tools index`)"
            )
        self._check_version(version, writable=False)

    def _version(self) -> int | None:
        found = self.conn.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()
        if found is None or found[0] is None:
            tables = self.conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name = 'library_index'"
            ).fetchall()
            if tables:
                raise NotALibraryError(
                    self.name, "not a music-tools catalog (a library_index of another kind)"
                )
            return None
        row = self.conn.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _check_version(self, version: int, *, writable: bool) -> None:
        latest = max(MIGRATIONS)
        if version > latest:
            raise SchemaError(
                self.name,
                f"catalog schema version {version} is newer than this music-tools understands "
                f"({latest}); upgrade music-tools",
            )
        if version < latest and not writable:
            raise SchemaError(
                self.name,
                f"catalog schema version {version} is older than this music-tools uses "
                f"({latest}); run `music-tools index` once to upgrade it",
            )

    def _migrate(self) -> None:
        """Create or upgrade the schema: one transaction, one process at a time."""
        with self.atomic():
            self.conn.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, _MIGRATION_LOCK)
            )
            version = self._version()
            self._check_version(version or 0, writable=True)
            if version is None:
                self.conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
                version = BASELINE - 1
            for step in sorted(v for v in MIGRATIONS if v > version):
                migration = MIGRATIONS[step]
                if callable(migration):
                    migration(self)
                else:
                    self.conn.execute(migration)
                self.conn.execute(f"DELETE FROM {VERSION_TABLE}")
                self.conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (%s)", (step,))

    # -- transactions and statements ----------------------------------------------------

    def atomic(self) -> AbstractContextManager[None]:
        return self._tx.atomic()

    def snapshot(self) -> AbstractContextManager[None]:
        return self._tx.snapshot()

    @contextmanager
    def translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise self.store_error(exc) from exc

    def execute(self, statement: str) -> None:
        self.conn.execute(statement)

    def in_transaction(self) -> bool:
        return bool(self.conn.info.transaction_status)

    def store_error(self, exc: BaseException) -> StoreError:
        """The StoreError (or child) for a driver error on this catalog."""
        if isinstance(exc, StoreError):
            return exc
        reason = self._reason(exc)
        if isinstance(
            exc,
            pg_errors.LockNotAvailable
            | pg_errors.DeadlockDetected
            | pg_errors.SerializationFailure,
        ):
            return DatabaseLockedError(
                self.name, f"another process holds the rows this needs ({reason})"
            )
        if isinstance(exc, pg_errors.DiskFull | pg_errors.OutOfMemory):
            return DatabaseFullError(self.name, f"the server is out of space ({reason})")
        if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
            return DatabaseReadOnlyError(self.name, f"the catalog is read-only here ({reason})")
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return StoreError(self.name, f"lost the connection to the server ({reason})")
        return StoreError(self.name, f"database error: {reason}")

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.translated():
            cursor = self.conn.cursor(binary=True)
            cursor.execute(_pg(sql), params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows through a server-side cursor, so a million rows never sit in memory."""
        with self.translated():
            if not self.conn.info.transaction_status:  # idle: no snapshot to hold a cursor
                yield from self.fetch(sql, params)
                return
            self._streams += 1
            with self.conn.cursor(name=f"mt_stream_{self._streams}", binary=True) as cursor:
                cursor.itersize = 2_000
                cursor.execute(_pg(sql), params)
                yield from cursor

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.translated():
            cursor = self.conn.execute(_pg(sql), params)
            return max(0, int(cursor.rowcount))

    def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> int:
        with self.translated():
            cursor = self.conn.cursor()
            cursor.executemany(_pg(sql), list(params))
            return max(0, int(cursor.rowcount))

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

    # -- batched writes -----------------------------------------------------------------

    def write(
        self,
        spec: Write,
        items: Iterable[Any],
        to_params: Callable[[Any], Sequence[Any]],
        key_of: Callable[[Any], str],
        repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
    ) -> BatchResult:
        """Convert every item (a conversion error is that row's), then one merge per chunk;
        a chunk the server refuses is written again row by row to find its bad rows."""
        columns, keyed = _layout(spec)
        skip_id = bool(spec.kind == "upsert" and columns and columns[0] == "id")
        skip = 1 if skip_id else 0
        paths = [i - skip for i, c in enumerate(keyed) if c in PATH_COLUMNS]
        flags = [i - skip for i, c in enumerate(keyed) if c in _FLAG_COLUMNS]
        failures: list[RowError] = []
        rows: list[tuple[Any, ...]] = []
        keys: list[Any] = []
        for item in items:
            try:
                row = tuple(to_params(item))
                if skip_id:
                    row = row[1:]
                row = _encode(row, paths, flags)
            except ROW_ERRORS as exc:
                failures.append(RowError(safe_key(key_of, item), describe_error(exc)))
                continue
            rows.append(row)
            keys.append(item)
        if not rows:
            return BatchResult(0, tuple(failures))
        if skip_id:
            columns = columns[1:]
            keyed = keyed[1:]
        written, failed = self._merge(spec, columns, keyed, rows, keys, key_of)
        return BatchResult(written, (*failures, *failed))

    def _merge(
        self,
        spec: Write,
        columns: tuple[str, ...],
        keyed: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        items: list[Any],
        key_of: Callable[[Any], str],
    ) -> tuple[int, tuple[RowError, ...]]:
        try:
            try:
                with self._savepoint("mt_chunk"):
                    return self._merge_chunk(spec, columns, keyed, rows), ()
            except _ROW_FAILURES:
                return self._row_by_row(spec, columns, keyed, rows, items, key_of)
        except psycopg.Error as exc:
            raise self.store_error(exc) from exc

    def _merge_chunk(
        self,
        spec: Write,
        columns: tuple[str, ...],
        keyed: tuple[str, ...],
        rows: list[tuple[Any, ...]],
    ) -> int:
        conn = self.conn
        if spec.kind == "delete" or (spec.kind == "update" and not columns):
            # the keys alone: one statement with an array, no staging
            keys = [row[-1] for row in rows]
            target = f"{spec.table} WHERE {self._scope(spec)}{spec.key} = ANY(%s)"
            if spec.kind == "delete":
                cursor = conn.execute(f"DELETE FROM {target}", (keys,))
            else:
                cursor = conn.execute(
                    f"UPDATE {spec.table} SET {spec.sets} "
                    f"WHERE {self._scope(spec)}{spec.key} = ANY(%s)",
                    (keys,),
                )
            return max(0, int(cursor.rowcount))
        unique = _last_per_key(rows, keyed, spec)
        dropped = len(rows) - len(unique) if spec.kind == "upsert" else 0
        if spec.kind == "upsert" and self._copied_straight(spec, keyed, unique):
            return len(unique) + dropped
        stage = self._stage(spec.table, keyed)
        with conn.cursor() as cursor:
            self._copy(cursor, stage, keyed, unique, spec.table)
            cursor.execute(self._merge_sql(spec, columns, keyed, stage))
            written = max(0, int(cursor.rowcount))
            cursor.execute(f"TRUNCATE {stage}")
        return written + dropped

    @contextmanager
    def bulk_load(self, spec: Write, rows: int | None) -> Iterator[None]:
        """A large first load: the secondary indexes built after it, not row by row.

        PostgreSQL's own advice for populating a database ("Remove Indexes"), as pg_restore
        and pgloader do it: a B-tree built by one sort of 100,000 rows costs a fraction of
        100,000 inserts at random places in eight indexes. Measured on XLARGE (100,000 rows,
        benchmark_batch_operations.py): about 1.6x the rows per second of the same COPY
        into the indexed table. Only when the table holds no row at all (a new catalog),
        under a lock taken without waiting, and all inside the caller's transaction:
        PostgreSQL's DDL is transactional, so a load that fails or is killed leaves the
        indexes as they were. The unique indexes stay (ON CONFLICT and the existence probe
        need the path key). Other sessions wait for the table until the load commits,
        which is why the table must be empty: nobody has a row there to read yet."""
        if (
            spec.kind != "upsert"
            or spec.table != "library_index"
            or rows is None
            or rows < BULK_LOAD_ROWS
            or self._tx.depth != 1  # inside a caller's transaction the lock would outlast it
        ):
            yield
            return
        rebuild = self._drop_secondary_indexes(spec.table)
        if rebuild is None:
            yield
            return
        # the table is ours alone until the commit: a chunk's keys can only collide with
        # rows this load wrote, which the COPY's unique violation tells (see _copied_straight)
        self._loading = True
        try:
            yield
        finally:
            self._loading = False
        with self.translated():
            for statement in rebuild:
                self.conn.execute(statement)

    def _drop_secondary_indexes(self, table: str) -> list[str] | None:
        """Lock `table` and drop its non-unique indexes if it is empty and nobody uses it;
        the statements that build them again (None: not done)."""
        conn = self.conn
        try:
            with self._savepoint("mt_bulk"):
                # the lock first, without waiting: a look at the table could queue behind
                # another loader's lock; a table in use is left alone
                conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT")
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                    raise _NotEmpty  # the lock goes with the savepoint
                found = conn.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE i.indrelid = %s::regclass AND NOT i.indisunique "
                    "AND NOT i.indisexclusion AND c.relname LIKE 'idx\\_%%' "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) "
                    "ORDER BY c.relname",
                    (table,),
                ).fetchall()
                for name, _definition in found:
                    conn.execute(pg_sql.SQL("DROP INDEX {}").format(pg_sql.Identifier(name)))
        except (_NotEmpty, psycopg.Error):
            # in use, not ours to drop (another role owns it), anything else: load the
            # usual way (the savepoint undid whatever was done)
            return None
        return [definition for _name, definition in found]

    def _copied_straight(
        self, spec: Write, keyed: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> bool:
        """New rows only (none of their keys is in the table yet, as on a first index):
        COPY them into the table itself, at the bare COPY's speed. A row another writer
        inserted meanwhile makes the COPY fail on the unique index, and the caller merges
        through the staging table instead. Whether it did."""
        conn = self.conn
        if not self._loading:
            position = keyed.index(spec.key)
            keys = [row[position] for row in rows]
            scope = self._scope(spec)
            found = conn.execute(
                f"SELECT 1 FROM {spec.table} WHERE {scope}{spec.key} = ANY(%b) LIMIT 1",
                (keys,),
            ).fetchone()
            if found is not None:
                return False
        try:
            with self._savepoint("mt_straight"), conn.cursor() as cursor:
                self._copy(cursor, spec.table, keyed, rows, spec.table)
        except pg_errors.UniqueViolation:
            return False
        return True

    def _copy(
        self,
        cursor: Any,
        table: str,
        columns: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        types_of: str,
    ) -> None:
        """COPY `rows` into `table` in the binary format (typed as `types_of`'s columns):
        neither side formats or parses a number as text, about half the client's cost
        of the text format."""
        types = self._column_types(types_of)
        statement = pg_sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            pg_sql.Identifier(table), pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
        )
        names = [types[column] for column in columns]
        narrow = [i for i, name in enumerate(names) if name == "integer"]
        with cursor.copy(statement) as copy:
            copy.set_types(names)
            for row in rows:
                for position in narrow:  # psycopg would send the low 32 bits of a larger int
                    value = row[position]
                    if type(value) is int and not -_INT4 <= value < _INT4:
                        raise OverflowError("integer out of range")
                copy.write_row(row)

    def _column_types(self, table: str) -> dict[str, str]:
        """`table`'s column -> type name, read from the catalog once per connection."""
        types = self._types.get(table)
        if types is None:
            types = dict(
                self.conn.execute(
                    "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    (table,),
                ).fetchall()
            )
            self._types[table] = types
        return types

    def _row_by_row(
        self,
        spec: Write,
        columns: tuple[str, ...],
        keyed: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        items: list[Any],
        key_of: Callable[[Any], str],
    ) -> tuple[int, tuple[RowError, ...]]:
        statement = _pg(render(self._row_spec(spec, columns)))
        written = 0
        failures: list[RowError] = []
        for row, item in zip(rows, items, strict=True):
            try:
                cursor = self._one_row(statement, row)
            except _ROW_FAILURES as exc:
                failures.append(RowError(safe_key(key_of, item), self._row_reason(exc)))
            else:
                written += max(0, int(cursor.rowcount))
        return written, tuple(failures)

    def _one_row(self, statement: str, row: tuple[Any, ...]) -> Any:
        """One row under its own savepoint; a row the server refuses for a NUL in its text
        is tried once more with U+FFFD there (SQLite stores the NUL)."""
        try:
            with self._savepoint("mt_row"):
                return self.conn.execute(statement, row)
        except _ROW_FAILURES:
            storable = _without_nul(row)
            if storable is row:
                raise
        with self._savepoint("mt_row"):
            return self.conn.execute(statement, storable)

    @contextmanager
    def _savepoint(self, name: str) -> Iterator[None]:
        """Inside the caller's transaction: an error inside rolls back to here and is
        raised again, the transaction still usable."""
        conn = self.conn
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            with suppress(psycopg.Error):  # a lost connection: the error inside says so
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")

    def _row_reason(self, exc: BaseException) -> str:
        """Why the server refused one row, worded as the SQLite engine words it."""
        if isinstance(exc, pg_errors.NumericValueOutOfRange):
            return f"number too large for the database ({self._reason(exc)})"
        if isinstance(exc, pg_errors.NotNullViolation):
            diag = exc.diag
            return f"NOT NULL constraint failed: {diag.table_name}.{diag.column_name}"
        if isinstance(exc, psycopg.Error):
            return self._reason(exc)
        return describe_error(exc)

    def _row_spec(self, spec: Write, columns: tuple[str, ...]) -> Write:
        """`spec` as one-row SQL on this catalog: the key scoped to this machine."""
        if spec.kind == "upsert":
            key = f"machine, {spec.key}" if spec.scoped else spec.key
            return Write("upsert", spec.table, key, columns, spec.keep, scoped=False)
        key = f"{self._scope(spec)}{spec.key}"
        return Write(spec.kind, spec.table, key, columns, spec.keep, spec.sets, scoped=False)

    def _scope(self, spec: Write) -> str:
        return f"{self._mine} AND " if spec.scoped else ""

    def _stage(self, table: str, columns: tuple[str, ...]) -> str:
        """A temporary table shaped as `columns` of `table`, made once per connection."""
        name = self._stages.get((table, columns))
        if name is None:
            name = f"mt_stage_{len(self._stages)}"
            self._stages[(table, columns)] = name
        self.conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        return name

    def _merge_sql(
        self, spec: Write, columns: tuple[str, ...], keyed: tuple[str, ...], stage: str
    ) -> str:
        listed = ", ".join(keyed)
        if spec.kind == "upsert":
            key = f"machine, {spec.key}" if spec.scoped else spec.key
            kept = {*spec.keep, spec.key, "machine"}
            sets = ", ".join(f"{c} = excluded.{c}" for c in keyed if c not in kept)
            return (
                f"INSERT INTO {spec.table} ({listed}) SELECT {listed} FROM {stage} "
                f"ORDER BY {key} ON CONFLICT ({key}) DO UPDATE SET {sets}"
            )
        assignments = [f"{c} = s.{c}" for c in columns]
        if spec.sets:
            assignments.append(spec.sets)
        scope = f"t.{self._mine} AND " if spec.scoped else ""
        return (
            f"UPDATE {spec.table} AS t SET {', '.join(assignments)} FROM {stage} AS s "
            f"WHERE {scope}t.{spec.key} = s.{spec.key}"
        )

    # -- paths --------------------------------------------------------------------------

    def db_path(self, path: str) -> bytes:
        return path.encode(_FS_ENCODING, _FS_ERRORS)  # os.fsencode of a str, inlined

    def prefix_bounds(self, folder: str) -> list[tuple[Any, Any]]:
        prefix = os.fsencode(folder if folder.endswith(os.sep) else folder + os.sep)
        return [(prefix, prefix[:-1] + bytes([prefix[-1] + 1]))]

    # -- machines -----------------------------------------------------------------------

    def mine(self) -> str:
        return self._mine

    def of_machine(self, machine: str | None) -> str:
        return "" if machine is None else f"machine = {_quote(check_machine(machine))}"

    @contextmanager
    def run_lock(self, what: str, on_wait: Callable[[], None] | None) -> Iterator[None]:
        """A session advisory lock on this machine's part of the catalog, waited for
        (saying so after a second) as long as the other holder keeps it."""
        key = zlib.crc32(self.machine.encode()) - 2**31
        waited_since = time.monotonic()
        told = False
        with self.translated():
            while not self.conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, key)
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
                self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, key))

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
            self._check_version(self._version() or 0, writable=False)

    def optimize(self) -> None:
        with self.translated():
            self.conn.execute("ANALYZE library_index")

    def close(self) -> None:
        self.conn.close()


class _NotEmpty(Exception):
    """The table took a row between the look and the lock."""


def _layout(spec: Write) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(value columns, the columns of a row as bound: values then key where it comes last)."""
    if spec.kind == "upsert":
        return spec.columns, spec.columns
    if spec.kind == "delete":
        return (), (spec.key,)
    return spec.columns, (*spec.columns, spec.key)


def _encode(row: tuple[Any, ...], paths: list[int], flags: list[int]) -> tuple[Any, ...]:
    """Paths as the bytes of their names, booleans as the 0 and 1 SQLite stores."""
    values = list(row)
    for position in paths:
        value = values[position]
        if value.__class__ is str:
            values[position] = value.encode(_FS_ENCODING, _FS_ERRORS)  # os.fsencode, inlined
        elif isinstance(value, str):
            values[position] = os.fsencode(value)
    for position in flags:
        value = values[position]
        if value is not None:
            values[position] = int(value)
    return tuple(values)


def _without_nul(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """`row` with each NUL of its text as U+FFFD (PostgreSQL's TEXT cannot hold NUL, which
    a tag may; SQLite stores it); `row` itself when it has none."""
    if not any(isinstance(value, str) and "\x00" in value for value in row):
        return row
    return tuple(
        value.replace("\x00", "\ufffd") if isinstance(value, str) else value for value in row
    )


def _last_per_key(
    rows: list[tuple[Any, ...]], keyed: tuple[str, ...], spec: Write
) -> list[tuple[Any, ...]]:
    """One row per key, the last one given (one statement may not touch a row twice)."""
    key = keyed.index(spec.key)
    machine = keyed.index("machine") if "machine" in keyed else None
    by_key: dict[Any, tuple[Any, ...]] = {}
    for row in rows:
        by_key[(row[machine] if machine is not None else None, row[key])] = row
    return list(by_key.values()) if len(by_key) < len(rows) else rows
