"""LibraryIndexer: scan -> plan -> read (process pool) -> write, in batches.

`index()` reads as the algorithm: plan every root (a stat-only walk diffed against the rows
already there), re-activate what came back unchanged, read what is new or changed in
worker processes while committing results as they arrive, then mark what is gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from ..models import ScanFailure
from ..store import LibraryDatabase
from .moves import MoveFinder
from .plan import Plan, plan_roots
from .pool import read_in_pool
from .rekey import refresh_metadata_keys
from .report import IndexInterrupted, IndexReport, Progress
from .scan import ScanOptions, normalize_roots
from .writer import Writer

__all__ = ["LibraryIndexer"]


class LibraryIndexer:
    """Indexes folders into a LibraryDatabase; see `index()`."""

    def __init__(
        self,
        db: LibraryDatabase,
        workers: int | None = None,
        *,
        full_hash: bool = False,
        options: ScanOptions | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        batch_rows: int = 500,
        commit_seconds: float = 2.0,
    ) -> None:
        self.db = db
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.full_hash = full_hash
        self.options = options or ScanOptions()
        self.on_progress = on_progress or (lambda progress: None)
        self.batch_rows = batch_rows
        self.commit_seconds = commit_seconds

    def index(self, roots: Iterable[str | os.PathLike[str]]) -> IndexReport:
        started = time.monotonic()
        report = IndexReport(roots=normalize_roots(roots))
        refresh_metadata_keys(self.db)
        try:
            plan = plan_roots(self.db, report, self.options, self.on_progress)
            self.db.reactivate_files(plan.returning, time.time())
            report.reactivated = len(plan.returning)
            self._read_and_store(plan, report)
        except KeyboardInterrupt:
            report.interrupted = True  # what was committed stays; nothing is marked missing
            report.elapsed_s = time.monotonic() - started
            raise IndexInterrupted(report) from None
        self._finish(plan, report)
        report.elapsed_s = time.monotonic() - started
        return report

    def _read_and_store(self, plan: Plan, report: IndexReport) -> None:
        moves = MoveFinder(plan.missing)
        writer = Writer(self.db, self.batch_rows, self.commit_seconds)
        done, total = 0, len(plan.to_read)
        self.on_progress(Progress("read", 0, total))
        try:
            for task, batch in read_in_pool(plan.to_read, self.workers, self.full_hash):
                now = time.time()
                for file in batch.files:
                    file.indexed_at = file.last_seen_at = now
                    changed = file.file_path in plan.changed
                    moved = None if changed else moves.match(file)
                    if moved is not None:
                        writer.relinks.append((moved, file))
                        report.moved += 1
                    else:
                        writer.upserts.append(file)
                        if changed:
                            report.updated += 1
                        else:
                            report.new += 1
                entries = {entry.path: entry for entry in task} if batch.errors else {}
                for error in batch.errors:
                    entry = entries[error.path]
                    failure = ScanFailure(
                        error.path,
                        error.reason,
                        entry.size,
                        entry.mtime_ns,
                        entry.library_root,
                        now,
                        now,
                    )
                    writer.failures.append(failure)
                    report.failures.append(failure)
                    report.errors += 1
                writer.cleared.extend(
                    f.file_path for f in batch.files if f.file_path in plan.recorded_errors
                )
                done += len(batch.files) + len(batch.errors)
                self.on_progress(Progress("read", done, total))
                if writer.due():
                    _count_rejected(writer.commit(), plan, report)
        finally:
            _count_rejected(writer.commit(), plan, report)

    def _finish(self, plan: Plan, report: IndexReport) -> None:
        """What is gone: rows marked missing, stale failures cleared, scan failures kept."""
        now = time.time()
        with self.db.atomic():
            report.missing = int(self.db.batch_mark_inactive(plan.missing))
            self.db.scan_errors.clear(plan.stale_errors)
            self.db.scan_errors.record(
                replace(f, first_seen_at=now, last_seen_at=now) for f in plan.scan_failures
            )


def _count_rejected(rejected: list[ScanFailure], plan: Plan, report: IndexReport) -> None:
    """Files the store refused were counted as new or updated: they are errors instead."""
    for failure in rejected:
        if failure.file_path in plan.changed:
            report.updated -= 1
        else:
            report.new -= 1
        report.errors += 1
        report.failures.append(failure)
