"""Batched writes that isolate a bad row without slowing the good ones.

`executemany` over a generator knows which row it was binding or stepping when it
failed: that row is recorded and skipped, and the same `executemany` call resumes on
the rows after it, inside the same transaction. The rows already written stay written
(a failed statement rolls back only itself), so no SAVEPOINT and no second pass are
needed, and the good path costs one generator step per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import apsw

from ..errors import StoreError
from .sql import ItemWrite

__all__ = ["ROW_ERRORS", "BatchResult", "RowError", "execute_isolated", "not_an_item", "safe_key"]

T = TypeVar("T")

#: Errors that belong to one row's data: a constraint it breaks, a value too large, text
#: that cannot be encoded. An item that is not what the write takes (None, a str where a
#: LibraryFile goes) is the caller's mistake: a TypeError (see `not_an_item`). Anything
#: else is about the database itself (locked, full, corrupt): it propagates, and the
#: transaction around the call turns it into a StoreError naming the database.
ROW_ERRORS: tuple[type[BaseException], ...] = (
    apsw.ConstraintError,
    apsw.MismatchError,
    apsw.TooBigError,
    apsw.RangeError,
    OverflowError,
    UnicodeEncodeError,
)


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that was skipped: what identifies it (usually the path) and why."""

    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch write did: how many rows it wrote, and the rows it skipped, with why.

    The seed's API returned the count: `int(result)` is that count and a result prints as
    it (`f"Inserted {result} files"`), but it is not an int: compare `result.written`.
    Two results add up (`written` summed, `failures` joined).
    """

    written: int = 0
    failures: tuple[RowError, ...] = ()

    def __int__(self) -> int:
        return self.written

    __index__ = __int__

    def __str__(self) -> str:
        return str(self.written)

    def __format__(self, spec: str) -> str:
        return format(self.written, spec)

    def __add__(self, other: BatchResult) -> BatchResult:
        if not isinstance(other, BatchResult):
            return NotImplemented
        return BatchResult(self.written + other.written, self.failures + other.failures)


def not_an_item(item: object) -> TypeError:
    """The error for an item a write cannot take at all (its values could not be read)."""
    return TypeError(f"not an item this write takes: {repr(item)[:100]} ({type(item).__name__})")


_NOTHING: Any = object()
#: The statement is kept prepared for the whole call (SQLite's hint for long-lived ones).
_PERSISTENT = apsw.SQLITE_PREPARE_PERSISTENT


@dataclass(slots=True)
class _Tracker(Generic[T]):
    """Feeds executemany and remembers the item it handed over last."""

    to_params: Callable[[T], Sequence[Any]]
    current: Any = field(default=_NOTHING)

    def feed(self, items: Iterator[T]) -> Iterator[Sequence[Any]]:
        to_params = self.to_params
        for item in items:
            self.current = item
            yield to_params(item)


def describe_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeEncodeError):
        return f"text that is not valid Unicode ({exc.reason})"
    if isinstance(exc, OverflowError):
        return f"number too large for the database ({text})"
    return text


def execute_isolated(
    conn: apsw.Connection, name: str, sql: str, items: Iterable[T], job: ItemWrite
) -> BatchResult:
    """Run `sql` (`job`'s statement) once per item inside the caller's transaction; skip
    and report bad rows (`job.repair` has one more try at a row whose text was refused)."""
    to_params, key_of, repair = job.to_params, job.key_of, job.repair
    iterator = iter(items)
    tracker: _Tracker[T] = _Tracker(to_params)
    written = 0
    failures: list[RowError] = []
    while True:
        tracker.current = _NOTHING
        before = conn.total_changes()
        try:
            conn.executemany(sql, tracker.feed(iterator), prepare_flags=_PERSISTENT)
        except AttributeError as exc:  # to_params could not read the item
            raise not_an_item(tracker.current) from exc
        except ROW_ERRORS as exc:
            written += conn.total_changes() - before
            item = tracker.current
            if item is _NOTHING or not conn.in_transaction:
                raise StoreError(name, f"batch write failed: {describe_error(exc)}") from exc
            if repair is not None and isinstance(exc, UnicodeEncodeError):
                try:
                    before = conn.total_changes()
                    conn.execute(sql, repair(to_params(item)))
                    written += conn.total_changes() - before
                    continue
                except ROW_ERRORS as retry_exc:
                    exc = retry_exc
            failures.append(RowError(safe_key(key_of, item), describe_error(exc)))
        else:
            written += conn.total_changes() - before
            return BatchResult(written, tuple(failures))


def safe_key(key_of: Callable[[Any], str], item: Any) -> str:
    try:
        return str(key_of(item))
    except Exception:
        return repr(item)[:200]
