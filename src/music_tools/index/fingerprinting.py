"""`index --fingerprint`: fingerprint every active row whose fingerprint is missing or out of
date (the file changed, or another fingerprinter made it), `workers` fpcalc processes at
a time (`identity.fingerprint.fingerprint_many`: the pool for fingerprints is one of fpcalc
processes, since the decoding is theirs), and store the fingerprints with their index terms
in batched commits. A failure that says nothing about the file (fpcalc stopped, out of
time) is counted and named, not stored: the next run tries again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from ..identity.fingerprint import terms
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc, fingerprint_many, fingerprinter
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import Progress
from ..store import LibraryDatabase
from ..store.fingerprints import FingerprintRow
from .report import FingerprintReport
from .writer import Pending

__all__ = ["fingerprint_library"]

COMMIT_ROWS = 200
PAGE_ROWS = 2_000
COMMIT_SECONDS = 2.0


def _stale_paths(db: LibraryDatabase, algorithm: str, ids: deque[int]) -> Iterator[str]:
    """The paths of the rows to fingerprint, read a page at a time (by id, so a page read
    after the previous one was written is still right); each row's id is queued in `ids`
    as its path is handed out (outcomes come back in the same order)."""
    after = 0
    while page := db.fingerprints.stale(algorithm, after, PAGE_ROWS):
        for stale in page:
            ids.append(stale.row_id)
            yield stale.path
        after = page[-1].row_id


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
    fpcalc: Fpcalc = DEFAULT_FPCALC,
) -> FingerprintReport:
    """Fingerprint the active rows that need it, with `fpcalc`; on Ctrl-C, what was done is
    committed before the KeyboardInterrupt goes on."""
    started = time.monotonic()
    report = report or FingerprintReport()
    algorithm = fingerprinter(fpcalc)
    if algorithm is None:
        raise RuntimeError("fpcalc is not installed")  # the command line checks first
    total = report.total = db.fingerprints.count_stale(algorithm)
    report.up_to_date = db.count_files() - total
    pending = Pending(db.fingerprints.save, COMMIT_ROWS, COMMIT_SECONDS)
    on_progress(Progress("fingerprint", 0, total))
    try:
        ids: deque[int] = deque()
        for outcome in fingerprint_many(_stale_paths(db, algorithm, ids), workers, fpcalc):
            file_id = ids.popleft()
            _count(outcome, report)
            if not outcome.transient:
                pending.add(fingerprint_rows([outcome], [file_id], algorithm))
            on_progress(Progress("fingerprint", report.done, max(total, report.done)))
    finally:
        pending.flush()  # Ctrl-C too: what was fingerprinted is kept
        report.elapsed_s = time.monotonic() - started
    return report


def _count(outcome: FingerprintOutcome, report: FingerprintReport) -> None:
    if outcome.transient:
        report.failed += 1
    elif outcome.data:
        report.made += 1
    else:
        report.without += 1
    if outcome.failed:
        report.failures.append(outcome)
