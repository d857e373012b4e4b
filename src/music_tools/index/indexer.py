"""LibraryIndexer: scan -> diff -> read (process pool) -> write, as one stream.

`index()` reads as the algorithm: walk every root folder by folder, diffing each against its
rows and handing what is new or changed to the readers as it is found; write results in
batched commits as they arrive; then, at the end, re-link the files that moved and mark what
is gone. Memory is bounded by the largest folder and the batch sizes, not the library.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from ..errors import StoreError
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from ..models import FileEntry, ScanFailure
from ..read import ExtractBatch
from ..read.pool import read_in_pool
from ..scan import ScanOptions, normalize_roots
from ..store import LibraryDatabase
from .fingerprinting import fingerprint_library
from .moves import ARRIVALS_KEY, find_moves
from .plan import Diff
from .rekey import refresh_metadata_keys
from .report import FingerprintReport, IndexInterrupted, IndexReport, Progress
from .writer import Writer

__all__ = ["LibraryIndexer"]

#: rows written by a run after which the planner's statistics are refreshed
_OPTIMIZE_AFTER = 10_000


class LibraryIndexer:
    """Indexes folders into a LibraryDatabase; see `index()`."""

    def __init__(
        self,
        db: LibraryDatabase,
        workers: int | None = None,
        *,
        full_hash: bool = False,
        fast_read: bool = True,
        fingerprint: bool = False,
        fpcalc: Fpcalc = DEFAULT_FPCALC,
        options: ScanOptions | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        batch_rows: int = 500,
        commit_seconds: float = 2.0,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.full_hash = full_hash
        #: False: every file read through mutagen, the lean readers left out
        self.fast_read = fast_read
        #: after indexing, fingerprint the rows that need it (fpcalc must be installed)
        self.fingerprint = fingerprint
        self.fpcalc = fpcalc
        self.options = options or ScanOptions()
        self.on_progress = on_progress or (lambda progress: None)
        self.batch_rows = batch_rows
        self.commit_seconds = commit_seconds
        self.on_wait = on_wait

    def index(self, roots: Iterable[str | os.PathLike[str]]) -> IndexReport:
        """Index `roots`. In a PostgreSQL catalog, one indexer of a machine runs at a time
        (a second waits for the first: see LibraryDatabase.run_lock)."""
        with self.db.run_lock("index", self.on_wait):
            return self._index(roots)

    def _index(self, roots: Iterable[str | os.PathLike[str]]) -> IndexReport:
        started = time.monotonic()
        report = IndexReport(roots=normalize_roots(roots))
        self._forget_gone_roots(report)
        refresh_metadata_keys(self.db)
        diff = Diff(self.db, report, self.options, self.on_progress, self.full_hash)
        try:
            with self.db.deferred_indexes():
                self._read_and_store(diff, report)
        except KeyboardInterrupt:
            report.interrupted = True  # what was committed stays; nothing is marked missing
            report.elapsed_s = time.monotonic() - started
            raise IndexInterrupted(report) from None
        self._finish(diff, report, time.time() - (time.monotonic() - started))
        report.elapsed_s = time.monotonic() - started
        if self.fingerprint:
            self._fingerprint(report)
        return report

    def _forget_gone_roots(self, report: IndexReport) -> None:
        """A library root given that no longer exists (a spare folder deleted): its rows
        are marked missing, and it is not scanned. A missing folder that never was a root
        is scanned as before (and reported as an error); a folder that cannot be looked at
        is never taken as gone."""
        for root in list(report.roots):
            try:
                os.stat(root)
                continue
            except (FileNotFoundError, NotADirectoryError):
                pass
            except OSError:
                continue
            marked = self.db.matching.mark_root_missing(root)
            if marked is not None:
                report.gone_roots[root] = marked
                report.missing += marked
                report.roots.remove(root)

    def _fingerprint(self, report: IndexReport) -> None:
        """The fingerprinting pass, timed apart from the index (its own summary)."""
        report.fingerprints = FingerprintReport()
        try:
            fingerprint_library(
                self.db, self.workers, self.on_progress, report.fingerprints, self.fpcalc
            )
        except KeyboardInterrupt:
            report.interrupted = report.fingerprints.interrupted = True
            raise IndexInterrupted(report) from None

    def _read_and_store(self, diff: Diff, report: IndexReport) -> None:
        writer = Writer(self.db, self.batch_rows, self.commit_seconds)
        done = 0
        try:
            reading = read_in_pool(diff.to_read(), self.workers, self.full_hash, self.fast_read)
            for task, batch in reading:
                writer.returning.extend(diff.returning)
                diff.returning.clear()
                self._take(task, batch, diff, writer, report)
                done += len(task)
                total = diff.to_read_count if diff.scanned else None
                self.on_progress(Progress("read", done, total, diff.found))
                if writer.due():
                    _count_rejected(writer.commit(), diff, report)
            writer.returning.extend(diff.returning)
        except StoreError:
            raise  # the store failed (locked, full, damaged): no second try at writing
        except BaseException:
            _count_rejected(writer.commit(), diff, report)  # Ctrl-C: keep what was read
            raise
        _count_rejected(writer.commit(), diff, report)
        self.on_progress(Progress("read", done, done, diff.found))

    @staticmethod
    def _take(
        task: Sequence[FileEntry],
        batch: ExtractBatch,
        diff: Diff,
        writer: Writer,
        report: IndexReport,
    ) -> None:
        """Hand what one task read to the writer, counting it in the report."""
        now = time.time()
        for file in batch.files:
            file.indexed_at = file.last_seen_at = now
            writer.upserts.append(file)
            if file.file_path in diff.changed:
                report.updated += 1
            elif file.file_path in diff.rereading:
                _count_reread(report, diff.rereading[file.file_path], 1)
            elif file.file_path in diff.hashing:
                report.unchanged += 1
                report.hashed += 1
            else:
                report.new += 1
            if file.file_path in diff.recorded_errors:
                writer.cleared.append(file.file_path)
        entries = {entry.path: entry for entry in task} if batch.errors else {}
        for error in batch.errors:
            entry = entries[error.path]
            # a chmod fixes an access failure without changing the file: no mtime is kept
            # for it, so the next run tries again (plan.Diff retries what it cannot match)
            mtime_ns = entry.mtime_ns if error.kind.lasting else None
            failure = ScanFailure(
                error.path, error.reason, entry.size, mtime_ns, entry.library_root, now, now
            )
            writer.failures.append(failure)
            report.failures.append(failure)
            report.errors += 1
            if error.path in diff.rereading:
                report.reread += 1
                if error.kind.lasting:  # damaged, say: a row no more, as a first index finds it
                    writer.deactivated.append(error.path)

    def _finish(self, diff: Diff, report: IndexReport, run_started_at: float) -> None:
        """Moves re-linked, what is gone marked missing, stale failures cleared, scan
        failures kept: one transaction."""
        moves = find_moves(self.db, diff.missing)
        now = time.time()
        with self.db.atomic():
            self.db.batch_delete_files(move.new.file_path for move in moves)
            self.db.indexing.relink_files((move.old_id, move.new) for move in moves)
            for move in moves:
                del diff.missing[move.old_path]
                if (move.new.indexed_at or 0) >= run_started_at:
                    report.new -= 1  # read as new in this run
                else:
                    report.unchanged -= 1  # read by an earlier, interrupted run
            report.moved = len(moves)
            report.missing += int(self.db.batch_mark_inactive(diff.missing))  # + gone roots'
            self.db.scan_errors.clear(diff.stale_errors)
            self.db.scan_errors.record(
                replace(f, first_seen_at=now, last_seen_at=now) for f in diff.scan_failures
            )
            self.db.set_meta(ARRIVALS_KEY, self.db.indexing.max_id())
        if report.new + report.updated + report.moved + report.missing >= _OPTIMIZE_AFTER:
            self.db.optimize()


def _count_rejected(rejected: list[ScanFailure], diff: Diff, report: IndexReport) -> None:
    """Files the store refused were counted as new or updated: they are errors instead."""
    for failure in rejected:
        if failure.file_path in diff.changed:
            report.updated -= 1
        elif failure.file_path in diff.rereading:
            _count_reread(report, diff.rereading[failure.file_path], -1)
        elif failure.file_path in diff.hashing:
            report.unchanged -= 1
            report.hashed -= 1
        else:
            report.new -= 1
        report.errors += 1
        report.failures.append(failure)


def _count_reread(report: IndexReport, was_active: bool, step: int) -> None:
    """A file read again for a newer reader: unchanged (or back, from an inactive row)."""
    report.reread += step
    if was_active:
        report.unchanged += step
    else:
        report.reactivated += step
