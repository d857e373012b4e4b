"""Batched writes that isolate a bad row without slowing the good ones.

`executemany` over a generator knows which row it was binding or stepping when it
failed: that row is recorded and skipped, and the same `executemany` call resumes on
the rows after it, inside the same transaction. The rows already written stay written
(a failed statement rolls back only itself), so no SAVEPOINT and no second pass are
needed, and the good path costs one generator step per row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Generic, TypeVar

import apsw

from ..errors import StoreError

__all__ = ["BatchResult", "RowError", "chunks", "execute_isolated"]

log = logging.getLogger("music_tools.library")

T = TypeVar("T")

#: Errors that belong to one row (a value that cannot be bound, a constraint it
#: breaks, an item that is not a LibraryFile). Anything else is about the database
#: itself (locked, full, corrupt) and aborts the call as a StoreError.
ROW_ERRORS: tuple[type[BaseException], ...] = (
    apsw.ConstraintError,
    apsw.MismatchError,
    apsw.TooBigError,
    apsw.RangeError,
    ValueError,
    TypeError,
    OverflowError,
    AttributeError,
)


@dataclass(frozen=True, slots=True)
class RowError:
    """One row that was skipped: what identifies it (usually the path) and why."""

    key: str
    reason: str


class BatchResult(int):
    """The number of rows written (an int, as the seed's API returns), plus the failures.

    `result == 9999` and `result.failures == [RowError(...)]` both hold.
    """

    failures: list[RowError]

    def __new__(cls, written: int = 0, failures: Sequence[RowError] = ()) -> BatchResult:
        result = super().__new__(cls, written)
        result.failures = list(failures)
        return result

    @property
    def written(self) -> int:
        return int(self)

    def __add__(self, other: object) -> Any:
        if isinstance(other, BatchResult):
            return BatchResult(int(self) + int(other), self.failures + other.failures)
        return int(self) + other if isinstance(other, int) else NotImplemented

    def __repr__(self) -> str:
        return f"BatchResult(written={int(self)}, failures={self.failures!r})"


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, never materialising the whole input."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


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
    conn: apsw.Connection,
    sql: str,
    items: Iterable[T],
    to_params: Callable[[T], Sequence[Any]],
    key_of: Callable[[Any], str],
    repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None,
) -> BatchResult:
    """Run `sql` once per item inside the caller's transaction; skip and report bad rows.

    `repair`, when given, gets one more try at a row that failed with UnicodeEncodeError
    (a non-UTF-8 path) before the row is reported.
    """
    iterator = iter(items)
    tracker: _Tracker[T] = _Tracker(to_params)
    written = 0
    failures: list[RowError] = []
    while True:
        tracker.current = _NOTHING
        before = conn.total_changes()
        try:
            conn.executemany(sql, tracker.feed(iterator), prepare_flags=_PERSISTENT)
        except ROW_ERRORS as exc:
            written += conn.total_changes() - before
            item = tracker.current
            if item is _NOTHING or not conn.in_transaction:
                raise StoreError(f"batch write failed: {describe_error(exc)}") from exc
            if repair is not None and isinstance(exc, UnicodeEncodeError):
                try:
                    before = conn.total_changes()
                    conn.execute(sql, repair(to_params(item)))
                    written += conn.total_changes() - before
                    continue
                except ROW_ERRORS as retry_exc:
                    exc = retry_exc
            failure = RowError(_safe_key(key_of, item), describe_error(exc))
            log.warning("skipped %s: %s", failure.key, failure.reason)
            failures.append(failure)
        except apsw.Error as exc:
            raise StoreError(f"batch write failed: {describe_error(exc)}") from exc
        else:
            written += conn.total_changes() - before
            return BatchResult(written, failures)


def _safe_key(key_of: Callable[[Any], str], item: Any) -> str:
    try:
        return str(key_of(item))
    except Exception:
        return repr(item)[:200]
