"""`index --quality`: the quality verdict on every active row that lacks one of the current
analysis version, `workers` processes at a time, each decoding its files in-process
(`quality.analyse_batch`: soundfile, never a process a file), stored in batched commits as
the results come. A file that cannot be read or decoded is stored as `not_analysed` with
the reason, as is a file the verdict does not cover: neither is tried again until the file
changes (or the analysis does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from ..models import Progress, ScanFailure
from ..quality import ANALYSIS_VERSION, DEFAULT_SECONDS, QualityReport, analyse_batch, is_failure
from ..read.pool import map_in_pool
from ..store import LibraryDatabase
from ..store.quality import QualityRow
from ..store.stale import StaleRow
from ..util import chunks
from .report import QualityPassReport
from .writer import Pending

__all__ = ["analyse_library", "quality_row"]

#: files a worker takes at a time (an analysis takes tens of milliseconds)
TASK_FILES = 4
#: fewer files than this are analysed in this process: starting a worker (numpy and
#: soundfile imported) takes about 0.5 s, some 50 analyses (benchmarks/benchmark_quality.py)
IN_PROCESS_FILES = 100
COMMIT_ROWS = 200
COMMIT_SECONDS = 2.0
PAGE_ROWS = 2_000


def quality_row(row: StaleRow, report: QualityReport) -> QualityRow:
    """What to store in `row` for its verdict."""
    return QualityRow(row.row_id, row.file_size, row.file_mtime_ns, report.stored())


def _stale_rows(db: LibraryDatabase) -> Iterator[StaleRow]:
    """The rows to analyse, a page at a time (by id: a page read after the previous one
    was written is still right)."""
    after = 0
    while page := db.quality.stale(ANALYSIS_VERSION, after, PAGE_ROWS):
        yield from page
        after = page[-1].row_id


def _paths(task: list[StaleRow]) -> list[str]:
    return [row.path for row in task]


def analyse_library(
    db: LibraryDatabase,
    workers: int,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    report: QualityPassReport | None = None,
    seconds: float = DEFAULT_SECONDS,
) -> QualityPassReport:
    """Analyse the active rows that need it and store their verdicts; on Ctrl-C, what was
    analysed is committed before the KeyboardInterrupt goes on."""
    started = time.monotonic()
    report = report or QualityPassReport()
    total = report.total = db.quality.count_stale(ANALYSIS_VERSION)
    report.up_to_date = db.count_files() - total
    workers = 1 if total < IN_PROCESS_FILES else workers
    pending = Pending(db.quality.save, COMMIT_ROWS, COMMIT_SECONDS)
    on_progress(Progress("quality", 0, total))
    try:
        tasks = chunks(_stale_rows(db), TASK_FILES)
        for task, verdicts in map_in_pool(analyse_batch, tasks, workers, seconds, payload=_paths):
            for row, verdict in zip(task, verdicts, strict=True):
                _count(row, verdict, report)
            pending.add(map(quality_row, task, verdicts))
            on_progress(Progress("quality", report.done, max(total, report.done)))
    finally:
        pending.flush()  # Ctrl-C too: what was analysed is kept
        report.elapsed_s = time.monotonic() - started
    return report


def _count(row: StaleRow, verdict: QualityReport, report: QualityPassReport) -> None:
    report.verdicts[verdict.verdict] = report.verdicts.get(verdict.verdict, 0) + 1
    if is_failure(row.path, verdict):
        report.failures.append(ScanFailure(row.path, verdict.reason, row.file_size))
