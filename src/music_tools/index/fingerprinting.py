"""`index --fingerprint`: fingerprint every active row whose fingerprint is missing or out of
date (the file changed, or another fingerprinter made it), in the worker pool, and store
the fingerprints with their index terms in batched commits.

Each worker runs `fpcalc` on a few files at a time; the decoding is fpcalc's, in its own
process, so a worker mostly waits and a task is small enough for a stop to be quick.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from ..identity.fingerprint import FingerprintOutcome, fingerprint_batch, fingerprinter, terms
from ..store import LibraryDatabase
from ..store.fingerprints import (
    FingerprintRow,
    StaleFile,
    count_stale,
    save_fingerprints,
    stale_fingerprints,
)
from .pool import map_in_pool
from .report import FingerprintReport, Progress

__all__ = ["fingerprint_library", "fingerprint_rows"]

#: files per worker task: each is a fraction of a second of fpcalc, so one keeps the workers even
TASK_FILES = 1
COMMIT_ROWS = 200
PAGE_ROWS = 2_000
COMMIT_SECONDS = 2.0


def _fingerprint_task(task: Sequence[StaleFile]) -> list[FingerprintOutcome]:
    return fingerprint_batch([stale.path for stale in task])


def _stale(db: LibraryDatabase, algorithm: str) -> Iterator[StaleFile]:
    """The rows to fingerprint, a page at a time (by id: a page read before the previous
    one was written is still right, as fingerprints written do not change the ids after)."""
    after = 0
    while page := stale_fingerprints(db, algorithm, after, PAGE_ROWS):
        yield from page
        after = page[-1].file_id


def fingerprint_rows(
    outcomes: Sequence[FingerprintOutcome], ids: Sequence[int], algorithm: str
) -> list[tuple[FingerprintRow, list[int]]]:
    """What to store for each outcome: the row and its index terms."""
    return [
        (
            FingerprintRow(
                file_id,
                outcome.size,
                outcome.mtime_ns,
                algorithm,
                outcome.duration,
                outcome.data,
                outcome.reason,
            ),
            terms(outcome.data) if outcome.data else [],
        )
        for outcome, file_id in zip(outcomes, ids, strict=True)
    ]


def fingerprint_library(
    db: LibraryDatabase,
    workers: int,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    report: FingerprintReport | None = None,
) -> FingerprintReport:
    """Fingerprint the active rows that need it; on Ctrl-C, what was done is committed
    before the KeyboardInterrupt goes on."""
    started = time.monotonic()
    report = report or FingerprintReport()
    algorithm = fingerprinter()
    if algorithm is None:
        raise RuntimeError("fpcalc is not installed")  # the command line checks first
    total = count_stale(db, algorithm)
    report.up_to_date = db.count_files() - total
    pending: list[tuple[FingerprintRow, list[int]]] = []
    last_commit = time.monotonic()
    done = 0
    on_progress(Progress("fingerprint", 0, total))
    try:
        for task, outcomes in map_in_pool(
            _stale(db, algorithm), workers, _fingerprint_task, task_size=TASK_FILES, in_process=1
        ):
            pending += fingerprint_rows(outcomes, [s.file_id for s in task], algorithm)
            for outcome in outcomes:
                if outcome.data:
                    report.made += 1
                else:
                    report.without += 1
            done += len(task)
            on_progress(Progress("fingerprint", done, max(total, done)))
            if len(pending) >= COMMIT_ROWS or time.monotonic() - last_commit > COMMIT_SECONDS:
                save_fingerprints(db, pending)
                pending, last_commit = [], time.monotonic()
    finally:
        save_fingerprints(db, pending)  # Ctrl-C too: what was fingerprinted is kept
        report.elapsed_s = time.monotonic() - started
    return report
