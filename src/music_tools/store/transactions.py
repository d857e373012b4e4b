"""Nesting transactions, the same on both stores: each engine gives its statements and its
error translation (a `Driver`), this class the rules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from ..errors import StoreError

__all__ = ["READ_SNAPSHOT_WRITE", "Driver", "Transactions"]

#: why `atomic()` inside `snapshot()` is refused: the snapshot ends in a rollback, so its
#: writes would vanish (SQLite) or fail as read-only (PostgreSQL)
READ_SNAPSHOT_WRITE = "a write inside a read snapshot would be discarded: finish reading first"


class Driver(Protocol):
    """What `Transactions` needs of one open connection."""

    #: what errors name: the database file, or the server without its password
    name: str
    #: the statement that opens a write transaction (taking the write lock up front, on
    #: SQLite) and the one that opens a read snapshot
    begin_write: str
    begin_read: str

    def execute(self, statement: str) -> None:
        """Run one statement without parameters; driver errors are raised as they are."""

    def in_transaction(self) -> bool: ...

    def translated(self) -> AbstractContextManager[None]:
        """Driver errors raised inside leave as StoreErrors naming the database."""

    def snapshot_ended(self) -> None:
        """Called after a read snapshot's rollback (PostgreSQL ends its copy on a large
        lookup's second connection)."""


class Transactions:
    """The outermost `atomic()` is a write transaction, committed when the block ends; an
    inner one a SAVEPOINT. `snapshot()` is a read transaction: every query inside sees one
    committed state; it ends in a rollback, and a write inside it is refused. A block that
    raised never commits (its exception is raised again); a driver error inside either
    kind of block leaves it as a StoreError naming the database."""

    __slots__ = ("_depth", "_driver", "_reading")

    def __init__(self, driver: Driver) -> None:
        self._driver = driver
        self._depth = 0
        self._reading = False

    @property
    def reading(self) -> bool:
        """Inside a read snapshot (and no write transaction)."""
        return self._reading

    @property
    def depth(self) -> int:
        """How many `atomic()` blocks are open (0: none, or only a read snapshot)."""
        return 0 if self._reading else self._depth

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if self._reading:
            raise StoreError(self._driver.name, READ_SNAPSHOT_WRITE)
        if self._depth > 0:
            with self._savepoint():
                yield
            return
        driver = self._driver
        with driver.translated():
            driver.execute(driver.begin_write)
        self._depth = 1
        try:
            with driver.translated():
                yield
                driver.execute("COMMIT")
        except BaseException:
            self._quietly("ROLLBACK")
            raise
        finally:
            self._depth = 0

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"atomic_{self._depth}"
        driver = self._driver
        with driver.translated():
            driver.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            with driver.translated():
                yield
        except BaseException:
            self._quietly(f"ROLLBACK TO SAVEPOINT {name}")
            self._quietly(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            with driver.translated():
                driver.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._depth > 0:
            yield
            return
        driver = self._driver
        with driver.translated():
            driver.execute(driver.begin_read)
        self._depth, self._reading = 1, True
        try:
            with driver.translated():
                yield
        finally:
            self._depth, self._reading = 0, False
            self._quietly("ROLLBACK")
            driver.snapshot_ended()

    def _quietly(self, statement: str) -> None:
        """Roll back what is open; an error doing so is dropped: the error that made us
        roll back is the one worth reporting."""
        driver = self._driver
        try:
            with driver.translated():
                if driver.in_transaction():
                    driver.execute(statement)
        except StoreError:
            pass
