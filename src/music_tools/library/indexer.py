"""LibraryIndexer: scan -> diff -> extract (process pool) -> store, in batches.

`index()` reads as the algorithm: plan every root (a stat-only walk diffed against the rows
already there), re-activate what came back unchanged, read what is new or changed in
worker processes while committing results as they arrive, then mark what is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace

from ..models import FileEntry, LibraryFile, ScanFailure
from ..reader import ExtractBatch, extract_batch
from ..scan import ScanOptions, is_inside, normalize_roots, scan
from .database import LibraryDatabase, RowState

__all__ = ["IndexInterrupted", "IndexReport", "LibraryIndexer", "Progress"]

_TASK_FILES = 64  # files per worker task: large enough to amortise the pickling
#: Fewer files than this are read in this process: starting worker processes takes longer.
_IN_PROCESS_FILES = 400


@dataclass(slots=True)
class IndexReport:
    """What one `index()` did; `failures` lists every file or folder that could not be read."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    reactivated: int = 0
    errors: int = 0
    known_errors: int = 0  # failed before, unchanged since: not retried
    elapsed_s: float = 0.0
    interrupted: bool = False
    roots: list[str] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)

    @property
    def files_seen(self) -> int:
        return (
            self.new
            + self.updated
            + self.unchanged
            + self.moved
            + self.reactivated
            + self.errors
            + self.known_errors
        )

    @property
    def files_per_s(self) -> float:
        return self.files_seen / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["failures"] = [{"path": f.file_path, "reason": f.error} for f in self.failures]
        data["files_per_s"] = round(self.files_per_s, 1)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data


class IndexInterrupted(KeyboardInterrupt):
    """Ctrl-C during `index()`: everything read so far is committed; `report` says what."""

    def __init__(self, report: IndexReport) -> None:
        super().__init__("indexing interrupted")
        self.report = report


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress event: `phase` is "scan" (total unknown) or "read"."""

    phase: str
    done: int
    total: int | None = None


@dataclass(slots=True)
class _Plan:
    to_read: list[FileEntry] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # paths of to_read that have a row
    returning: list[str] = field(default_factory=list)
    missing: dict[str, RowState] = field(default_factory=dict)
    recorded_errors: dict[str, ScanFailure] = field(default_factory=dict)
    stale_errors: list[str] = field(default_factory=list)
    scan_failures: list[ScanFailure] = field(default_factory=list)


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
        try:
            plan = self._plan(report)
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

    # -- plan: scan and diff -------------------------------------------------------------------

    def _plan(self, report: IndexReport) -> _Plan:
        plan = _Plan()
        seen = 0
        for root in report.roots:
            rows = self.db.rows_under(root)
            recorded = self.db.scan_errors.under(root)
            plan.recorded_errors.update(recorded)
            unreadable: list[str] = []
            for found in scan(root, self.options):
                seen += 1
                if seen % 2000 == 0:
                    self.on_progress(Progress("scan", seen))
                if isinstance(found, ScanFailure):
                    plan.scan_failures.append(found)
                    recorded.pop(found.file_path, None)
                    unreadable.append(found.file_path)
                    continue
                row = rows.pop(found.path, None)
                self._diff(found, row, recorded.pop(found.path, None), plan, report)
            for path, state in rows.items():
                if state[3] and not any(is_inside(path, folder) for folder in unreadable):
                    plan.missing[path] = state
            plan.stale_errors.extend(recorded)  # recorded failures of files no longer there
        report.failures.extend(plan.scan_failures)
        report.errors += len(plan.scan_failures)
        plan.to_read.sort(key=lambda entry: entry.path)
        self.on_progress(Progress("scan", seen, seen))
        return plan

    @staticmethod
    def _diff(
        entry: FileEntry,
        row: RowState | None,
        failure: ScanFailure | None,
        plan: _Plan,
        report: IndexReport,
    ) -> None:
        if row is not None and row[1] == entry.size and row[2] == entry.mtime_ns:
            if row[3]:
                report.unchanged += 1
            else:
                plan.returning.append(entry.path)
            if failure is not None:
                plan.stale_errors.append(entry.path)
            return
        if (
            failure is not None
            and failure.file_size == entry.size
            and failure.file_mtime_ns == entry.mtime_ns
        ):
            report.known_errors += 1  # still the same broken file: not retried
            return
        if row is not None:
            plan.changed.add(entry.path)
        plan.to_read.append(entry)  # new, changed, or a failure that changed since

    # -- read and store --------------------------------------------------------------------------

    def _read_and_store(self, plan: _Plan, report: IndexReport) -> None:
        moves = _MoveFinder(plan.missing)
        writer = _Writer(self.db, self.batch_rows, self.commit_seconds)
        done, total = 0, len(plan.to_read)
        self.on_progress(Progress("read", 0, total))
        try:
            for task, batch in self._extracted(plan.to_read):
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
                        error.path, error.reason, entry.size, entry.mtime_ns, entry.root, now, now
                    )
                    writer.failures.append(failure)
                    report.failures.append(failure)
                    report.errors += 1
                writer.cleared.extend(
                    f.file_path for f in batch.files if f.file_path in plan.recorded_errors
                )
                done += len(batch.files) + len(batch.errors)
                self.on_progress(Progress("read", done, total))
                writer.maybe_commit()
        finally:
            writer.commit()

    def _extracted(
        self, entries: Sequence[FileEntry]
    ) -> Iterator[tuple[Sequence[FileEntry], ExtractBatch]]:
        """(task, what it gave) for tasks of a few dozen files, in order, `workers` at a time."""
        tasks = [entries[i : i + _TASK_FILES] for i in range(0, len(entries), _TASK_FILES)]
        if self.workers == 1 or len(entries) <= _IN_PROCESS_FILES:
            for task in tasks:
                yield task, extract_batch(task, full_hash=self.full_hash)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_ignore_sigint
        ) as pool:
            pending: deque[tuple[Sequence[FileEntry], Future[ExtractBatch]]] = deque()
            try:
                for task in tasks:
                    future = pool.submit(extract_batch, task, full_hash=self.full_hash)
                    pending.append((task, future))
                    if len(pending) >= self.workers * 3:
                        done_task, done = pending.popleft()
                        yield done_task, done.result()
                while pending:
                    done_task, done = pending.popleft()
                    yield done_task, done.result()
            except BaseException:
                for _, future in pending:
                    future.cancel()
                raise

    # -- finish: what is gone ------------------------------------------------------------------

    def _finish(self, plan: _Plan, report: IndexReport) -> None:
        now = time.time()
        with self.db.atomic():
            report.missing = int(self.db.batch_mark_inactive(plan.missing))
            self.db.scan_errors.clear(plan.stale_errors)
            self.db.scan_errors.record(
                replace(f, first_seen_at=now, last_seen_at=now) for f in plan.scan_failures
            )


class _MoveFinder:
    """Missing rows by audio_key: a new file with the same key and a similar size moved."""

    def __init__(self, missing: dict[str, RowState]) -> None:
        self._missing = missing
        self._by_key: dict[str, list[str]] = {}
        for path, state in missing.items():
            if state[4]:
                self._by_key.setdefault(state[4], []).append(path)

    def match(self, file: LibraryFile) -> int | None:
        candidates = self._by_key.get(file.audio_key or "")
        if not candidates:
            return None
        name = os.path.basename(file.file_path)
        size = file.file_size or 0
        best = None
        for path in candidates:
            old_size = self._missing[path][1] or 0
            if old_size // 2 <= size <= old_size * 2 and (
                best is None or os.path.basename(path) == name
            ):
                best = path
        if best is None:
            return None
        candidates.remove(best)
        return self._missing.pop(best)[0]


class _Writer:
    """Results waiting to be written; committed every `rows` rows or `seconds` seconds."""

    def __init__(self, db: LibraryDatabase, rows: int, seconds: float) -> None:
        self.db = db
        self.rows = rows
        self.seconds = seconds
        self.upserts: list[LibraryFile] = []
        self.relinks: list[tuple[int, LibraryFile]] = []
        self.failures: list[ScanFailure] = []
        self.cleared: list[str] = []
        self._last = time.monotonic()

    def maybe_commit(self) -> None:
        waiting = len(self.upserts) + len(self.relinks) + len(self.failures)
        if waiting >= self.rows or time.monotonic() - self._last >= self.seconds:
            self.commit()

    def commit(self) -> None:
        with self.db.atomic():
            self.db.relink_files(self.relinks)
            self.db.batch_insert_files(self.upserts)
            self.db.scan_errors.record(self.failures)
            self.db.scan_errors.clear(self.cleared)
        self.upserts, self.relinks, self.failures, self.cleared = [], [], [], []
        self._last = time.monotonic()


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and commits what is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
