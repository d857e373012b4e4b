"""Results waiting to be written, committed in batches: every N rows or every few seconds."""

from __future__ import annotations

import time

from ..models import LibraryFile, ScanFailure
from ..store import LibraryDatabase

__all__ = ["Writer"]


class Writer:
    """Results waiting to be written; committed every `rows` rows or `seconds` seconds."""

    def __init__(self, db: LibraryDatabase, rows: int, seconds: float) -> None:
        self.db = db
        self.rows = rows
        self.seconds = seconds
        self.upserts: list[LibraryFile] = []
        self.failures: list[ScanFailure] = []
        self.cleared: list[str] = []  # paths whose recorded failure is over
        self.returning: list[str] = []  # unchanged files back after being missing
        self._last = time.monotonic()

    def maybe_commit(self) -> None:
        waiting = len(self.upserts) + len(self.failures) + len(self.returning)
        if waiting >= self.rows or time.monotonic() - self._last >= self.seconds:
            self.commit()

    def commit(self) -> None:
        with self.db.atomic():
            self.db.batch_insert_files(self.upserts)
            self.db.scan_errors.record(self.failures)
            self.db.scan_errors.clear(self.cleared)
            self.db.reactivate_files(self.returning, time.time())
        self.upserts, self.failures, self.cleared, self.returning = [], [], [], []
        self._last = time.monotonic()
