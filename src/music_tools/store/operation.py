"""`batch_operation(...)`: accumulate items with `.add()`, write them all or none."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Literal

from .batch import BatchResult

__all__ = ["BatchOperation", "OperationType"]

OperationType = Literal["insert", "update", "delete", "mark_inactive"]


class BatchOperation:
    """A context manager that writes what was `.add()`-ed on a clean exit, nothing on error.

    Items are buffered; a short block never holds the write lock while it works. Once
    `flush_every` items are waiting, the transaction is opened and they are written into
    it, so memory stays bounded for any number of items; the transaction then stays open
    until the block ends, committing on a clean exit and rolling back on an exception.
    """

    def __init__(
        self,
        write: Callable[[Iterable[Any]], BatchResult],
        atomic: Callable[[], AbstractContextManager[None]],
        flush_every: int = 10_000,
    ) -> None:
        self._write = write
        self._atomic = atomic
        self._flush_every = flush_every
        self._pending: list[Any] = []
        self._transaction: AbstractContextManager[None] | None = None
        self.result = BatchResult()

    def add(self, item: Any) -> None:
        self._pending.append(item)
        if len(self._pending) >= self._flush_every:
            self._flush()

    def __len__(self) -> int:
        return int(self.result) + len(self._pending)

    def _flush(self) -> None:
        if self._transaction is None:
            self._transaction = self._atomic()
            self._transaction.__enter__()
        pending, self._pending = self._pending, []
        written = self._write(pending)
        self.result += written

    def __enter__(self) -> BatchOperation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            try:
                if self._pending:
                    self._flush()
            except BaseException as flush_error:
                self._close(type(flush_error), flush_error, flush_error.__traceback__)
                raise
            self._close(None, None, None)
        else:
            self._pending.clear()
            self.result = BatchResult()
            self._close(exc_type, exc, tb)

    def _close(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            transaction.__exit__(exc_type, exc, tb)
