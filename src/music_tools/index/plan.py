"""The diff, folder by folder: a stat-only walk of each root against the rows there.

Unchanged files (same size and mtime_ns) are skipped (read again if an older reader read
them, see `read.extract.READER_VERSION`; with --full-hash, if their row lacks a full hash),
new and changed ones are handed on to be read as they are found,
returning ones re-activated, vanished ones marked missing; a file that failed before is
retried only once it changes. Only the rows of a few folders are held
at a time, so memory is bounded by the largest folder, not by the library: the folders seen
are remembered, and the rows of folders that vanished are found with one query at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..models import FileEntry, Progress, ScanFailure
from ..read.extract import READER_VERSION
from ..scan import FolderScan, ScanOptions, scan_folders
from ..store import LibraryDatabase, RowState
from ..util import chunks, is_inside

__all__ = ["Diff"]

#: folders are diffed in batches of about this many files (one IN-list query per batch)
_BATCH_FILES = 512
_BATCH_FOLDERS = 64
_PROGRESS_SECONDS = 0.2


@dataclass(slots=True)
class Diff:
    """Walks the roots and yields what to read (`to_read()`), remembering the rest."""

    db: LibraryDatabase
    roots: list[str]
    options: ScanOptions
    on_progress: Callable[[Progress], None]
    #: also read the unchanged files whose rows lack a full hash (index --full-hash)
    full_hash: bool = False
    changed: set[str] = field(default_factory=set)  # read again: a row had this path
    hashing: set[str] = field(default_factory=set)  # unchanged, read again for full hashes
    #: unchanged, read again: an older reader read them -> whether their row was active
    rereading: dict[str, bool] = field(default_factory=dict)
    returning: list[str] = field(default_factory=list)  # unchanged, inactive: back
    missing: dict[str, RowState] = field(default_factory=dict)
    recorded_errors: dict[str, ScanFailure] = field(default_factory=dict)
    stale_errors: list[str] = field(default_factory=list)
    scan_failures: list[ScanFailure] = field(default_factory=list)
    #: what the walk settled without reading: unchanged files (active, same size and
    #: mtime), unchanged files back after being missing, and files that failed before and
    #: have not changed since (not retried)
    unchanged: int = 0
    reactivated: int = 0
    known_errors: int = 0
    found: int = 0
    to_read_count: int = 0
    scanned: bool = False

    def to_read(self) -> Iterator[FileEntry]:
        """New and changed files, in walk order, as the walk finds them."""
        for root in self.roots:
            yield from self._root(root)
        self.scanned = True

    def _root(self, root: str) -> Iterator[FileEntry]:
        recorded = self.db.scan_errors.under(root)
        self.recorded_errors.update(recorded)
        known = self.db.indexing.has_rows_under(root)  # a first index asks nothing more
        seen: set[str] = set()
        unreadable: list[str] = []
        last_progress = 0.0
        for batch in _batches(scan_folders(root, self.options)):
            listed = [folder.folder for folder in batch if folder.listed]
            rows = self.db.indexing.rows_in_directories(listed) if known else {}
            for folder in batch:
                seen.add(folder.folder)
                if not folder.listed:
                    unreadable.append(folder.folder)
                yield from self._folder(folder, rows, recorded)
            self._gone(rows)
            if time.monotonic() - last_progress >= _PROGRESS_SECONDS:
                last_progress = time.monotonic()
                self.on_progress(Progress("read", 0, None, self.found))
        if known:
            self._vanished_folders(root, seen, unreadable)
        self.stale_errors.extend(recorded)  # recorded failures of files no longer there

    def _folder(
        self, folder: FolderScan, rows: dict[str, RowState], recorded: dict[str, ScanFailure]
    ) -> Iterator[FileEntry]:
        for item in folder.items:
            if isinstance(item, ScanFailure):
                self.scan_failures.append(item)
                recorded.pop(item.file_path, None)
                continue
            self.found += 1
            row = rows.pop(item.path, None)
            if self._needs_reading(item, row, recorded.pop(item.path, None)):
                self.to_read_count += 1
                yield item

    def _needs_reading(
        self, entry: FileEntry, row: RowState | None, failure: ScanFailure | None
    ) -> bool:
        if row is not None and row.file_size == entry.size and row.file_mtime_ns == entry.mtime_ns:
            if (row.reader_version or 0) < READER_VERSION:
                return self._reread(entry, row, failure)
            if row.is_active and self.full_hash and not row.hashed:
                self.hashing.add(entry.path)  # counted as unchanged once read
                return True
            if row.is_active:
                self.unchanged += 1
            else:
                self.returning.append(entry.path)
                self.reactivated += 1
            if failure is not None:
                self.stale_errors.append(entry.path)
            return False
        if (  # a failure recorded without its mtime (one about access) is always retried
            failure is not None
            and failure.file_size == entry.size
            and failure.file_mtime_ns == entry.mtime_ns
        ):
            self.known_errors += 1  # still the same broken file: not retried
            return False
        if row is not None:
            self.changed.add(entry.path)
        return True  # new, changed, or a failure that changed since

    def _reread(self, entry: FileEntry, row: RowState, failure: ScanFailure | None) -> bool:
        """An unchanged file an older reader read: read again (its damage checked anew),
        unless it failed just so before (its row then made inactive): counted once read."""
        if (
            failure is not None
            and failure.file_size == entry.size
            and failure.file_mtime_ns == entry.mtime_ns
        ):
            self.known_errors += 1
            return False
        self.rereading[entry.path] = row.is_active
        return True

    def _gone(self, rows: dict[str, RowState]) -> None:
        """Rows of listed folders whose file was not there."""
        for path, state in rows.items():
            if state.is_active:
                self.missing[path] = state

    def _vanished_folders(self, root: str, seen: set[str], unreadable: list[str]) -> None:
        """Rows of folders the walk never met: gone, unless under a folder it could not list."""
        vanished = [
            folder
            for folder in self.db.indexing.directories_under(root)
            if folder not in seen and not any(is_inside(folder, bad) for bad in unreadable)
        ]
        for folders in chunks(vanished, _BATCH_FOLDERS):
            self._gone(self.db.indexing.rows_in_directories(folders))


def _batches(folders: Iterable[FolderScan]) -> Iterator[list[FolderScan]]:
    """Folders in groups of about `_BATCH_FILES` files, or whatever a slow (cold) walk
    found in `_PROGRESS_SECONDS`, so the first files are read and reported at once."""
    batch: list[FolderScan] = []
    files, started = 0, time.monotonic()
    for folder in folders:
        batch.append(folder)
        files += len(folder.items)
        if (
            files >= _BATCH_FILES
            or len(batch) >= _BATCH_FOLDERS
            or time.monotonic() - started >= _PROGRESS_SECONDS
        ):
            yield batch
            batch, files, started = [], 0, time.monotonic()
    if batch:
        yield batch
