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
from dataclasses import dataclass, field, replace

from ..errors import StoreError
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from ..models import FileEntry, Progress, ScanFailure
from ..read import ExtractBatch
from ..read.pool import read_in_pool
from ..scan import ScanOptions, normalize_roots
from ..store import LibraryDatabase
from ..util import StrPath, path_list, stops_held
from .analysing import analyse_library
from .fingerprinting import fingerprint_library
from .moves import ARRIVALS_KEY, find_moves
from .plan import Diff
from .rekey import refresh_metadata_keys
from .report import FingerprintReport, IndexInterrupted, IndexReport, QualityPassReport, Written
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
        quality: bool = False,
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
        #: after indexing (and fingerprinting), the quality verdict on the rows lacking one
        self.quality = quality
        self.options = options or ScanOptions()
        self.on_progress = on_progress or (lambda progress: None)
        self.batch_rows = batch_rows
        self.commit_seconds = commit_seconds
        self.on_wait = on_wait

    def index(self, roots: StrPath | Iterable[StrPath]) -> IndexReport:
        """Index `roots` (one folder, or several). In a PostgreSQL catalog, one indexer of a
        machine runs at a time (a second waits for the first: see LibraryDatabase.run_lock)."""
        folders = path_list(roots)
        with self.db.run_lock("index", self.on_wait):
            return self._index(folders)

    def _index(self, roots: list[str]) -> IndexReport:
        started = time.monotonic()
        folders = normalize_roots(roots)
        gone_roots = self._forget_gone_roots(folders)
        refresh_metadata_keys(self.db)
        diff = Diff(self.db, folders, self.options, self.on_progress, self.full_hash)
        run = _Run(folders, gone_roots, diff, started)
        try:
            with self.db.deferred_indexes():
                self._read_and_store(diff, run.written)
        except KeyboardInterrupt:  # what was committed stays; nothing is marked missing
            raise IndexInterrupted(run.report(interrupted=True)) from None
        self._finish(run, time.time() - (time.monotonic() - started))
        report = run.report()
        if self.fingerprint:
            self._fingerprint(report)
        if self.quality:
            self._analyse(report)
        return report

    def _forget_gone_roots(self, roots: list[str]) -> dict[str, int]:
        """A library root given that no longer exists (a spare folder deleted): its rows
        are marked missing, and it is not scanned (taken out of `roots`). A missing folder
        that never was a root is scanned as before (and reported as an error); a folder
        that cannot be looked at is never taken as gone. Returns root -> rows marked."""
        gone: dict[str, int] = {}
        for root in list(roots):
            try:
                os.stat(root)
                continue
            except (FileNotFoundError, NotADirectoryError):
                pass
            except OSError:
                continue
            marked = self.db.matching.mark_root_missing(root)
            if marked is not None:
                gone[root] = marked
                roots.remove(root)
        return gone

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

    def _analyse(self, report: IndexReport) -> None:
        """The quality pass, timed apart from the index (its own summary)."""
        report.quality = QualityPassReport()
        try:
            analyse_library(self.db, self.workers, self.on_progress, report.quality)
        except KeyboardInterrupt:
            report.interrupted = report.quality.interrupted = True
            raise IndexInterrupted(report) from None

    def _read_and_store(self, diff: Diff, written: Written) -> None:
        writer = Writer(self.db, self.batch_rows, self.commit_seconds)
        done = 0
        try:
            reading = read_in_pool(diff.to_read(), self.workers, self.full_hash, self.fast_read)
            for task, batch in reading:
                writer.returning.extend(diff.returning)
                diff.returning.clear()
                _take(task, batch, diff, writer, written)
                done += len(task)
                total = diff.to_read_count if diff.scanned else None
                self.on_progress(Progress("read", done, total, diff.found))
                if writer.due():
                    _commit(writer, diff, written)
            writer.returning.extend(diff.returning)
        except StoreError:
            raise  # the store failed (locked, full, damaged): no second try at writing
        except BaseException:
            _commit(writer, diff, written)  # Ctrl-C: keep what was read
            raise
        _commit(writer, diff, written)
        self.on_progress(Progress("read", done, done, diff.found))

    def _finish(self, run: _Run, run_started_at: float) -> None:
        """Moves re-linked, what is gone marked missing, stale failures cleared, scan
        failures kept: one transaction."""
        diff = run.diff
        moves = find_moves(self.db, diff.missing)
        now = time.time()
        with self.db.atomic():
            self.db.batch_delete_files(move.new.file_path for move in moves)
            self.db.indexing.relink_files((move.old_id, move.new) for move in moves)
            for move in moves:
                del diff.missing[move.old_path]
            run.moves = [(move.new.indexed_at or 0) >= run_started_at for move in moves]
            run.missing = int(self.db.batch_mark_inactive(diff.missing))
            self.db.scan_errors.clear(diff.stale_errors)
            self.db.scan_errors.record(
                replace(f, first_seen_at=now, last_seen_at=now) for f in diff.scan_failures
            )
            self.db.set_meta(ARRIVALS_KEY, self.db.indexing.max_id())
        written = run.written
        if written.new + written.updated + len(run.moves) + run.missing >= _OPTIMIZE_AFTER:
            self.db.optimize()


@dataclass(slots=True)
class _Run:
    """One index run: the roots, what each stage settled (the walk's diff, the files
    written, the moves, the rows marked missing), and the report made from them, once."""

    roots: list[str]
    gone_roots: dict[str, int]
    diff: Diff
    started: float
    written: Written = field(default_factory=Written)
    #: for each move re-linked, whether its new path was read by this run (and written as
    #: new) or by an earlier, interrupted one (and found unchanged by this one)
    moves: list[bool] = field(default_factory=list)
    missing: int = 0

    def report(self, interrupted: bool = False) -> IndexReport:
        """The run's counts: a moved file is counted as moved, not also as the new or
        unchanged file its new path was taken for; walk failures count once the walk ended."""
        diff, written = self.diff, self.written
        read_now = sum(self.moves)
        failures = [*(diff.scan_failures if diff.scanned else ()), *written.failures]
        return IndexReport(
            new=written.new - read_now,
            updated=written.updated,
            unchanged=diff.unchanged
            + written.hashed
            + written.reread_unchanged
            - (len(self.moves) - read_now),
            moved=len(self.moves),
            missing=sum(self.gone_roots.values()) + self.missing,
            reactivated=diff.reactivated + written.reread_back,
            errors=len(failures),
            known_errors=diff.known_errors,
            hashed=written.hashed,
            reread=written.reread_unchanged + written.reread_back + written.reread_failed,
            elapsed_s=time.monotonic() - self.started,
            interrupted=interrupted,
            roots=self.roots,
            gone_roots=self.gone_roots,
            failures=failures,
        )


def _take(
    task: Sequence[FileEntry], batch: ExtractBatch, diff: Diff, writer: Writer, written: Written
) -> None:
    """Hand what one task read to the writer; a file that could not be read is a failure."""
    now = time.time()
    for file in batch.files:
        file.indexed_at = file.last_seen_at = now
        writer.upserts.append(file)
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
        written.failures.append(failure)
        if error.path in diff.rereading:
            written.reread_failed += 1
            if error.kind.lasting:  # damaged, say: a row no more, as a first index finds it
                writer.deactivated.append(error.path)


def _commit(writer: Writer, diff: Diff, written: Written) -> None:
    """Write what waits; count each file written by what the diff said it was (new,
    changed, unchanged and read again for its full hashes or for a newer reader), each the
    store refused as a failure. The counts and the writer's clearing go together, Ctrl-C
    held (`stops_held`): stopped before them, the next `_commit` writes the same rows again
    and counts them; never a row written and not counted."""
    rejected = writer.commit()
    refused = {failure.file_path for failure in rejected}
    with stops_held():
        for file in writer.upserts:
            path = file.file_path
            if path in refused:
                continue
            if path in diff.changed:
                written.updated += 1
            elif path in diff.rereading:
                if diff.rereading[path]:
                    written.reread_unchanged += 1
                else:
                    written.reread_back += 1
            elif path in diff.hashing:
                written.hashed += 1
            else:
                written.new += 1
        written.failures += rejected
        writer.clear()
