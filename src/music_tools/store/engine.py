"""What differs between the two stores, behind one small interface.

`LibraryDatabase` holds the logic (which rows, which keys, what a batch returns) once; an
`Engine` runs it on one database: SQLite through apsw (`sqlite_engine.py`) or PostgreSQL
through psycopg (`postgres/`). Each dialect difference lives in exactly one place here:

- placeholders: every statement is written with `?`; the PostgreSQL engine rewrites them;
- how a path is stored (`db_path`, `prefix_bounds`): TEXT or BLOB on SQLite, BYTEA always
  on PostgreSQL (which cannot hold a name that is not UTF-8 in TEXT);
- how a batch of writes runs and isolates a bad row (`write`): executemany over a generator
  on SQLite; COPY into a temporary table and one INSERT ... ON CONFLICT or UPDATE ... FROM
  on PostgreSQL, with a row-by-row retry under savepoints only when a chunk fails;
- the parameter limit of one statement (`param_limit`);
- whose rows a statement sees (`mine`, `of_machine`): a PostgreSQL catalog is shared by
  several machines, an SQLite library belongs to the machine it is on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from ..util import chunks
from .batch import BatchResult
from .sql import ItemWrite, Write

__all__ = ["Engine"]


class Engine(ABC):
    """One open database: transactions, statements, batched writes."""

    dialect: str
    #: what errors name: the file, or the server URL without its password
    name: str
    readonly: bool
    #: the machine this process writes as (PostgreSQL); None on SQLite
    machine: str | None
    #: the machine whose rows catalog-wide reads see; None: every machine's
    view: str | None = None
    #: the library_index columns, in LibraryFile order
    columns: tuple[str, ...]
    #: the SQL expression of the fuzzy blocking key (see store/blocking.py)
    fuzzy_block: str
    #: LibraryFile -> the values of `columns`
    row_of: Callable[[Any], tuple[Any, ...]]
    #: the statements that open a write transaction and a read snapshot (see transactions.py)
    begin_write: str
    begin_read: str

    # -- transactions and statements -------------------------------------------------

    @abstractmethod
    def atomic(self) -> AbstractContextManager[None]: ...

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]: ...

    @abstractmethod
    def translated(self) -> AbstractContextManager[None]:
        """Driver errors raised inside leave as StoreErrors naming this database."""

    @abstractmethod
    def execute(self, statement: str) -> None:
        """One statement without parameters, driver errors raised as they are (for
        `Transactions`)."""

    @abstractmethod
    def in_transaction(self) -> bool: ...

    def snapshot_ended(self) -> None:
        """Called after a read snapshot ends (PostgreSQL ends its second connection's)."""
        return None

    @abstractmethod
    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of `sql` as they come (inside the caller's snapshot)."""

    @abstractmethod
    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement; the number of rows it changed."""

    @abstractmethod
    def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> int:
        """One statement per parameter set (all or none); the rows changed."""

    @abstractmethod
    def write(self, job: ItemWrite, items: Iterable[Any]) -> BatchResult:
        """Write `items` inside the caller's transaction; a bad row is skipped and reported."""

    @property
    @abstractmethod
    def param_limit(self) -> int:
        """The most values one statement may bind."""

    # -- paths -------------------------------------------------------------------------

    @abstractmethod
    def db_path(self, path: str) -> Any:
        """The value stored for a path."""

    @abstractmethod
    def prefix_bounds(self, folder: str) -> list[tuple[Any, Any]]:
        """[low, high) ranges of stored paths that lie under `folder`."""

    # -- machines ----------------------------------------------------------------------

    def mine(self) -> str:
        """A predicate true for this machine's rows of a table with a machine column
        ("" on SQLite, where every row is this machine's)."""
        return ""

    def of_machine(self, machine: str | None) -> str:
        """A predicate for `machine`'s rows ("" for every row)."""
        return ""

    def in_clause(self, expression: str, count: int) -> str:
        """`expression` is one of `count` values bound next (see `in_params`)."""
        return f"{expression} IN ({', '.join(['?'] * count)})"

    def in_params(self, chunk: Sequence[Any]) -> Sequence[Any]:
        return chunk

    def select_in(
        self, head: str, expression: str, keys: Sequence[Any], batch_size: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `head` (a SELECT ending where the key condition goes: `... WHERE ` or
        `... AND `) whose `expression` is one of `keys`: one query, and one list, per chunk
        of keys, never more than one statement may bind."""
        for chunk in chunks(keys, self.in_chunk(batch_size)):
            yield self.fetch(head + self.in_clause(expression, len(chunk)), self.in_params(chunk))

    def write_chunk(self, batch_size: int) -> int:
        """How many rows one `write` call takes, given the caller's batch size."""
        return batch_size

    def in_chunk(self, batch_size: int) -> int:
        """How many keys one lookup query takes."""
        return max(1, min(batch_size, self.param_limit))

    def run_lock(
        self, what: str, on_wait: Callable[[], None] | None
    ) -> AbstractContextManager[None]:
        """Held while this machine indexes or acts on files, so two such runs take turns
        (PostgreSQL: an advisory lock per machine; SQLite: a lock file beside the database);
        waited for as long as the other run holds it, `on_wait` called after a second."""
        return nullcontext()

    def text_like(self, column: str, escape: str) -> str:
        """`column` contains the bound pattern, ASCII letters in any case (SQLite's LIKE)."""
        return f"{column} LIKE ? {escape}"

    def path_like(self, column: str, escape: str) -> str:
        """A path column (TEXT or BLOB) contains the bound pattern."""
        return f"CAST({column} AS TEXT) LIKE CAST(? AS TEXT) {escape}"

    def path_pattern(self, pattern: str) -> Any:
        """The bound value of a `path_like` pattern."""
        return self.db_path(pattern)

    @abstractmethod
    def search_limits(self) -> tuple[int, int, int]:
        """(expression depth, bound values, LIKE pattern length) one query may have."""

    def bulk_load(self, spec: Write, rows: int | None) -> AbstractContextManager[None]:
        """Around one transaction's write of `rows` rows (None when not known in advance):
        where a store loads a large batch faster another way, it prepares here (PostgreSQL
        builds an empty table's secondary indexes after the load); SQLite needs nothing."""
        return nullcontext()

    def deferred_indexes(self, table: str, keep: tuple[str, ...]) -> AbstractContextManager[bool]:
        """Around a load of many transactions into `table` (a first index): where a store
        fills a nearly empty table faster without its secondary indexes, it drops those not
        in `keep` and builds them when the block ends, crash-safely (SQLite: see
        deferred_indexes.py); yields whether it did. PostgreSQL defers per transaction
        instead (`bulk_load`): its catalog is shared, and other machines read it meanwhile."""
        return nullcontext(False)

    @abstractmethod
    def impatient(self, seconds: float) -> AbstractContextManager[None]:
        """Inside, waiting for another writer's lock gives up after `seconds`."""

    # -- upkeep ------------------------------------------------------------------------

    @abstractmethod
    def check_integrity(self) -> None: ...

    @abstractmethod
    def optimize(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...
