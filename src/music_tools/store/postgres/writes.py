"""Batched writes on a PostgreSQL catalog.

A chunk of rows goes to the server by binary `COPY` into a temporary staging table, then
one `INSERT ... SELECT ... ON CONFLICT (machine, file_path) DO UPDATE` (or one
`UPDATE ... FROM`) merges it, under a savepoint; rows whose keys are all new are copied
straight into the table. Only when a chunk fails does it run again row by row, each row
under its own savepoint, so the bad rows are reported with the server's reason and the
good ones written, as on SQLite. A NUL in text, which SQLite stores and PostgreSQL's TEXT
cannot, is written as U+FFFD rather than lose the row. A large first load (a new
catalog's empty table) builds the secondary indexes after the rows, in the same
transaction (`bulk_load`). Each chunk merges in key order, so two writers of one path
take its row lock in turn and never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql

from ..batch import (
    ROW_ERRORS,
    BatchResult,
    RowError,
    describe_error,
    not_an_item,
    safe_key,
)
from ..rows import PATH_COLUMNS
from ..sql import ItemWrite, Write, render
from ..transactions import Transactions
from .connect import Server
from .lookups import pg
from .rows import FLAG_COLUMNS, encode, last_per_key, layout, without_nul

__all__ = ["BULK_LOAD_ROWS", "WRITE_CHUNK", "Writer"]

#: errors that belong to one row: the server refused its values, or they could not be sent
_ROW_FAILURES: tuple[type[BaseException], ...] = (
    psycopg.DataError,
    psycopg.IntegrityError,
    *ROW_ERRORS,
)
#: rows per COPY and merge: large enough that the round trips vanish, small enough that a
#: chunk retried row by row stays quick
WRITE_CHUNK = 5_000
#: a write of at least this many rows into an empty library_index builds the secondary
#: indexes after the load instead of row by row (see `bulk_load`)
BULK_LOAD_ROWS = 20_000
_INT4 = 2**31


@dataclass(slots=True)
class _Chunk:
    """Rows on their way to the server: the write, the columns of their values and of a
    row as bound (`keyed`), the rows, and the items they came from (to name a failure)."""

    job: ItemWrite
    columns: tuple[str, ...]
    keyed: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    items: list[Any]


class Writer:
    """The writes of one engine: its connection, this machine's scope (`mine`, the
    predicate of its rows) and its transactions (a bulk load needs to know the depth)."""

    def __init__(self, server: Server, mine: str, transactions: Transactions) -> None:
        self._server = server
        self.conn = server.conn
        self._mine = mine
        self._tx = transactions
        self._stages: dict[tuple[str, tuple[str, ...]], str] = {}
        self._loading = False  # inside a bulk_load that holds the table alone
        self._types: dict[str, dict[str, str]] = {}

    def write(self, job: ItemWrite, items: Iterable[Any]) -> BatchResult:
        """Convert every item (a conversion error is that row's), then one merge per chunk;
        a chunk the server refuses is written again row by row to find its bad rows."""
        spec, to_params = job.spec, job.to_params
        columns, keyed = layout(spec)
        skip_id = bool(spec.kind == "upsert" and columns and columns[0] == "id")
        skip = 1 if skip_id else 0
        paths = [i - skip for i, c in enumerate(keyed) if c in PATH_COLUMNS]
        flags = [i - skip for i, c in enumerate(keyed) if c in FLAG_COLUMNS]
        failures: list[RowError] = []
        rows: list[tuple[Any, ...]] = []
        keys: list[Any] = []
        for item in items:
            try:
                row = tuple(to_params(item))
                if skip_id:
                    row = row[1:]
                row = encode(row, paths, flags)
            except (AttributeError, TypeError) as exc:  # the item's values cannot be read
                raise not_an_item(item) from exc
            except ROW_ERRORS as exc:
                failures.append(RowError(safe_key(job.key_of, item), describe_error(exc)))
                continue
            rows.append(row)
            keys.append(item)
        if not rows:
            return BatchResult(0, tuple(failures))
        if skip_id:
            columns = columns[1:]
            keyed = keyed[1:]
        written, failed = self._merge(_Chunk(job, columns, keyed, rows, keys))
        return BatchResult(written, (*failures, *failed))

    def _merge(self, chunk: _Chunk) -> tuple[int, tuple[RowError, ...]]:
        try:
            try:
                with self._server.savepoint("mt_chunk"):
                    return self._merge_chunk(chunk), ()
            except _ROW_FAILURES:
                return self._row_by_row(chunk)
        except psycopg.Error as exc:
            raise self._server.store_error(exc) from exc

    def _merge_chunk(self, chunk: _Chunk) -> int:
        conn = self.conn
        spec, columns, keyed, rows = chunk.job.spec, chunk.columns, chunk.keyed, chunk.rows
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
        unique = last_per_key(rows, keyed, spec)
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
        and pgloader do it: one sort per index costs a fraction of as many inserts at random
        places (docs/benchmarks.md, The store on PostgreSQL). Only when the table holds no
        row at all (a new catalog),
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
        with self._server.translated():
            for statement in rebuild:
                self.conn.execute(statement)

    def _drop_secondary_indexes(self, table: str) -> list[str] | None:
        """Lock `table` and drop its non-unique indexes if it is empty and nobody uses it;
        the statements that build them again (None: not done)."""
        conn = self.conn
        try:
            with self._server.savepoint("mt_bulk"):
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
            with self._server.savepoint("mt_straight"), conn.cursor() as cursor:
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

    def _row_by_row(self, chunk: _Chunk) -> tuple[int, tuple[RowError, ...]]:
        statement = pg(render(self._row_spec(chunk.job.spec, chunk.columns)))
        written = 0
        failures: list[RowError] = []
        for row, item in zip(chunk.rows, chunk.items, strict=True):
            try:
                cursor = self._one_row(statement, row)
            except _ROW_FAILURES as exc:
                failures.append(RowError(safe_key(chunk.job.key_of, item), self._row_reason(exc)))
            else:
                written += max(0, int(cursor.rowcount))
        return written, tuple(failures)

    def _one_row(self, statement: str, row: tuple[Any, ...]) -> Any:
        """One row under its own savepoint; a row the server refuses for a NUL in its text
        is tried once more with U+FFFD there (SQLite stores the NUL)."""
        try:
            with self._server.savepoint("mt_row"):
                return self.conn.execute(statement, row)
        except _ROW_FAILURES:
            storable = without_nul(row)
            if storable is row:
                raise
        with self._server.savepoint("mt_row"):
            return self.conn.execute(statement, storable)

    def _row_reason(self, exc: BaseException) -> str:
        """Why the server refused one row, worded as the SQLite engine words it."""
        if isinstance(exc, pg_errors.NumericValueOutOfRange):
            return f"number too large for the database ({self._server.reason(exc)})"
        if isinstance(exc, pg_errors.NotNullViolation):
            diag = exc.diag
            return f"NOT NULL constraint failed: {diag.table_name}.{diag.column_name}"
        if isinstance(exc, psycopg.Error):
            return self._server.reason(exc)
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


class _NotEmpty(Exception):
    """The table took a row between the look and the lock."""
