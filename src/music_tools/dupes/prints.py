"""Fingerprints on demand for checking and grouping: the stored one when it is still valid
(same file size, mtime and fingerprinter), else computed now, several fpcalc processes at
once, and written back to the library in
one transaction by `flush()` (skipped silently when the database cannot be written now:
the cache is an optimisation, never a reason to fail).

Without fpcalc installed, `enabled` is False and nothing is fingerprinted: matching works
as before, by keys and tags alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import StoreError
from ..identity.fingerprint import (
    Alignment,
    FingerprintOutcome,
    align,
    fingerprint_many,
    fingerprinter,
    terms,
)
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..store.fingerprints import FingerprintRow, fingerprints_by_ids, save_fingerprints

__all__ = ["FingerprintCache"]

CACHE_WAIT_S = 0.5
_Key = tuple[str, int, int]


def _key(file: LibraryFile) -> _Key:
    return (file.file_path, file.file_size or 0, file.file_mtime_ns or 0)


@dataclass(slots=True)
class FingerprintCache:
    """Fingerprints of LibraryFiles (library rows or new files), each made at most once."""

    db: LibraryDatabase
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    algorithm: str | None = field(default_factory=fingerprinter)
    _known: dict[_Key, bytes | None] = field(default_factory=dict)
    _dirty: list[tuple[FingerprintRow, list[int]]] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return self.algorithm is not None

    def prefetch(self, files: Iterable[LibraryFile]) -> None:
        """Make sure each file's fingerprint is known: stored ones in one query, the rest
        computed, `workers` fpcalc processes at a time."""
        if self.algorithm is None:
            return
        wanted = {_key(f): f for f in files if _key(f) not in self._known}
        if not wanted:
            return
        stored = fingerprints_by_ids(self.db, (f.id for f in wanted.values() if f.id))
        missing: list[LibraryFile] = []
        for key, file in wanted.items():
            row = stored.get(file.id or -1)
            if (
                row is not None
                and row.algorithm == self.algorithm
                and (row.file_size, row.file_mtime_ns) == key[1:]
            ):
                self._known[key] = row.data
            else:
                missing.append(file)
        outcomes = fingerprint_many((f.file_path for f in missing), self.workers)
        for file, outcome in zip(missing, outcomes, strict=True):
            self._take(file, outcome)

    def _take(self, file: LibraryFile, outcome: FingerprintOutcome) -> None:
        key = _key(file)
        if (outcome.size, outcome.mtime_ns) != key[1:]:
            self._known[key] = None  # changed or gone since it was indexed: not its print
            return
        self._known[key] = outcome.data
        if file.id is not None and self.algorithm is not None:  # a library row: cache it
            row = FingerprintRow(
                file.id,
                outcome.size,
                outcome.mtime_ns,
                self.algorithm,
                outcome.duration,
                outcome.data,
                outcome.reason,
            )
            self._dirty.append((row, terms(outcome.data) if outcome.data else []))

    def get(self, file: LibraryFile) -> bytes | None:
        """The file's fingerprint, or None (no fpcalc, silent, unreadable, changed)."""
        if self.algorithm is None:
            return None
        if _key(file) not in self._known:
            self.prefetch([file])
        return self._known.get(_key(file))

    def compare(self, a: LibraryFile, b: LibraryFile) -> Alignment | None:
        """How the two files' audio aligns, or None when either has no fingerprint."""
        print_a, print_b = self.get(a), self.get(b)
        if print_a is None or print_b is None:
            return None
        return align(print_a, print_b)

    def flush(self) -> int:
        """Write the library rows' new fingerprints back; how many were stored."""
        rows, self._dirty = self._dirty, []
        if not rows or self.db.readonly:
            return 0
        try:  # an indexer writing: skip, not wait
            with self.db.engine.impatient(CACHE_WAIT_S):
                return save_fingerprints(self.db, rows)
        except StoreError:
            return 0
