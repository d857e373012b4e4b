"""Results waiting to be written, committed in batches: every N rows or every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from ..models import LibraryFile, ScanFailure
from ..store import LibraryDatabase

__all__ = ["Pending", "Writer"]

T = TypeVar("T")


#: A long run's commits grow to this many rows: larger commits insert into the key indexes
#: faster at a million rows (figures: docs/benchmarks.md).
MAX_COMMIT_ROWS = 5_000


class Writer:
    """Results waiting to be written; committed every `rows` rows or `seconds` seconds.

    The first commits hold `rows` rows, so a short run (or one stopped early) keeps its work
    in small steps; once many rows are written, a commit holds a tenth of them, up to
    MAX_COMMIT_ROWS, which a large index spends less time writing."""

    def __init__(self, db: LibraryDatabase, rows: int, seconds: float) -> None:
        self.db = db
        self.rows = rows
        self.seconds = seconds
        self.written = 0
        self.upserts: list[LibraryFile] = []
        self.failures: list[ScanFailure] = []
        self.cleared: list[str] = []  # paths whose recorded failure is over
        self.returning: list[str] = []  # unchanged files back after being missing
        self.deactivated: list[str] = []  # rows of files that, read again, failed for good
        self._last = time.monotonic()

    def due(self) -> bool:
        """Whether enough rows, or enough time, have gathered for a commit."""
        waiting = len(self.upserts) + len(self.failures) + len(self.returning)
        waiting += len(self.deactivated)
        rows = max(self.rows, min(MAX_COMMIT_ROWS, self.written // 10))
        return waiting >= rows or time.monotonic() - self._last >= self.seconds

    def commit(self) -> list[ScanFailure]:
        """Write what waits, in one transaction; return the files the store rejected, which
        are recorded as failures in that same transaction (never dropped). What was written
        waits until `clear()`: the caller counts it first (a commit stopped by Ctrl-C after
        the transaction is then committed again, rows and counts, not lost from the counts)."""
        files = {file.file_path: file for file in self.upserts}
        with self.db.atomic():
            written = self.db.batch_insert_files(self.upserts)
            rejected = [_failure(files[row.key], row.reason) for row in written.failures]
            self.db.scan_errors.record([*self.failures, *rejected])
            refused = {failure.file_path for failure in rejected}
            self.db.scan_errors.clear([path for path in self.cleared if path not in refused])
            self.db.indexing.reactivate_files(self.returning, time.time())
            self.db.batch_mark_inactive(self.deactivated)
        return rejected

    def clear(self) -> None:
        """Forget what `commit` wrote (counted by now)."""
        self.written += len(self.upserts)
        self.upserts, self.failures, self.cleared, self.returning = [], [], [], []
        self.deactivated = []
        self._last = time.monotonic()


def _failure(file: LibraryFile, reason: str) -> ScanFailure:
    now = time.time()
    return ScanFailure(
        file.file_path,
        f"could not be stored: {reason}",
        file.file_size,
        file.file_mtime_ns,
        file.library_root,
        now,
        now,
    )


class Pending(Generic[T]):
    """What a pass over the library's rows made (fingerprints, verdicts), stored by `save`
    every `rows` results or `seconds` seconds, and at `flush`: a pass calls it in a
    `finally`, so Ctrl-C keeps what was done."""

    def __init__(
        self, save: Callable[[list[T]], object], rows: int = 200, seconds: float = 2.0
    ) -> None:
        self._save = save
        self.rows = rows
        self.seconds = seconds
        self._items: list[T] = []
        self._last = time.monotonic()

    def add(self, items: Iterable[T]) -> None:
        self._items.extend(items)
        if len(self._items) >= self.rows or time.monotonic() - self._last > self.seconds:
            self.flush()

    def flush(self) -> None:
        items, self._items = self._items, []
        self._save(items)
        self._last = time.monotonic()
