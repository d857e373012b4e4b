"""The diff: a stat-only walk of each root against the rows already there.

Unchanged files (same size and mtime_ns) are skipped, new and changed ones are to be read,
returning ones re-activated, vanished ones marked missing; a file that failed before is
retried only once it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import is_access_reason
from ..models import FileEntry, ScanFailure
from ..store import LibraryDatabase, RowState
from ..util import is_inside
from .report import IndexReport, Progress
from .scan import ScanOptions, scan

__all__ = ["Plan", "plan_roots"]


@dataclass(slots=True)
class Plan:
    to_read: list[FileEntry] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # paths of to_read that have a row
    returning: list[str] = field(default_factory=list)
    missing: dict[str, RowState] = field(default_factory=dict)
    recorded_errors: dict[str, ScanFailure] = field(default_factory=dict)
    stale_errors: list[str] = field(default_factory=list)
    scan_failures: list[ScanFailure] = field(default_factory=list)


def plan_roots(
    db: LibraryDatabase,
    report: IndexReport,
    options: ScanOptions,
    on_progress: Callable[[Progress], None],
) -> Plan:
    """Walk every root of `report` and diff what is there against `db`."""
    plan = Plan()
    seen = 0
    for root in report.roots:
        rows = db.rows_under(root)
        recorded = db.scan_errors.under(root)
        plan.recorded_errors.update(recorded)
        unreadable: list[str] = []
        for found in scan(root, options):
            seen += 1
            if seen % 2000 == 0:
                on_progress(Progress("scan", seen))
            if isinstance(found, ScanFailure):
                plan.scan_failures.append(found)
                recorded.pop(found.file_path, None)
                unreadable.append(found.file_path)
                continue
            row = rows.pop(found.path, None)
            _diff(found, row, recorded.pop(found.path, None), plan, report)
        for path, state in rows.items():
            if state.is_active and not any(is_inside(path, folder) for folder in unreadable):
                plan.missing[path] = state
        plan.stale_errors.extend(recorded)  # recorded failures of files no longer there
    report.failures.extend(plan.scan_failures)
    report.errors += len(plan.scan_failures)
    plan.to_read.sort(key=lambda entry: entry.path)
    on_progress(Progress("scan", seen, seen))
    return plan


def _diff(
    entry: FileEntry,
    row: RowState | None,
    failure: ScanFailure | None,
    plan: Plan,
    report: IndexReport,
) -> None:
    if row is not None and row.file_size == entry.size and row.file_mtime_ns == entry.mtime_ns:
        if row.is_active:
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
        and not is_access_reason(failure.reason)  # a chmod changes neither: always retried
    ):
        report.known_errors += 1  # still the same broken file: not retried
        return
    if row is not None:
        plan.changed.add(entry.path)
    plan.to_read.append(entry)  # new, changed, or a failure that changed since
