"""Fingerprints on demand for checking and grouping: the stored one when it is still valid
(same file size, mtime and fingerprinter), or the stored one of another file of the same
audio (a new file that is a copy of a library file costs no fpcalc run), else computed
now, several fpcalc processes at once, and written back to the library in one transaction
by `flush()` (skipped silently when the database cannot be written now: the cache is an
optimisation, never a reason to fail). A failure that says nothing about the file (fpcalc
stopped, out of time) is not written: the next run tries again. Each file fpcalc failed on
is handed to `on_failure`, for the command line to name.

Without fpcalc installed, `enabled` is False and nothing is fingerprinted: matching works
as before, by keys and tags alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..identity.fingerprint import Alignment, align, terms
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc, fingerprint_many, fingerprinter
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..store.fingerprints import FingerprintRow

__all__ = ["FingerprintCache"]

_Key = tuple[str, int, int]
#: what one audio gave: (print, duration, why none, whether that reason is transient)
_Heard = tuple[bytes | None, float | None, str | None, bool]


def _key(file: LibraryFile) -> _Key:
    return (file.file_path, file.file_size or 0, file.file_mtime_ns or 0)


@dataclass(slots=True)
class FingerprintCache:
    """Fingerprints of LibraryFiles (library rows or new files), each made at most once."""

    db: LibraryDatabase
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: called with each outcome of a file fpcalc failed on (not: silent or too short)
    on_failure: Callable[[FingerprintOutcome], None] | None = None
    fpcalc: Fpcalc = DEFAULT_FPCALC
    #: what the prints are made with (None: fpcalc is not installed)
    algorithm: str | None = field(init=False)
    _known: dict[_Key, bytes | None] = field(default_factory=dict)
    _dirty: list[tuple[FingerprintRow, list[int]]] = field(default_factory=list)
    #: audio_key -> what a file of that audio gave, for its copies
    _by_audio: dict[str, _Heard] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.algorithm = fingerprinter(self.fpcalc)

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
        missing = self._stored(wanted)
        # One fpcalc per audio: copies, hard links and re-tagged files (one audio_key: the
        # same audio stream, byte for byte) decode to the same samples, so the same print
        # (or the same reason for none). A file that changed since it was indexed speaks
        # for nobody: another of its kin is run instead.
        while missing:
            run: list[LibraryFile] = []
            shared: list[LibraryFile] = []
            chosen: set[str] = set()
            for file in missing:
                audio = file.audio_key
                if audio and (audio in self._by_audio or audio in chosen):
                    shared.append(file)
                else:
                    run.append(file)
                    if audio:
                        chosen.add(audio)
            outcomes = fingerprint_many((f.file_path for f in run), self.workers, self.fpcalc)
            for file, outcome in zip(run, outcomes, strict=True):
                self._take(file, outcome)
            missing = []
            for file in shared:
                if file.audio_key in self._by_audio:
                    self._share(file)
                else:
                    missing.append(file)

    def _stored(self, wanted: dict[_Key, LibraryFile]) -> list[LibraryFile]:
        """Take the stored prints still valid, the file's own or its audio's; the files
        left without one."""
        stored = self.db.fingerprints.by_ids(f.id for f in wanted.values() if f.id)
        missing: list[LibraryFile] = []
        for key, file in wanted.items():
            row = stored.get(file.id or -1)
            if (
                row is not None
                and row.algorithm == self.algorithm
                and (row.file_size, row.file_mtime_ns) == key[1:]
            ):
                self._known[key] = row.data
                if file.audio_key:
                    self._by_audio.setdefault(
                        file.audio_key, (row.data, row.duration, row.reason, False)
                    )
            else:
                missing.append(file)
        keys = {f.audio_key for f in missing if f.audio_key and f.audio_key not in self._by_audio}
        if keys and self.algorithm is not None:
            for audio_key, row in self.db.fingerprints.by_audio_keys(keys, self.algorithm).items():
                self._by_audio[audio_key] = (row.data, row.duration, row.reason, False)
        return missing

    def _take(self, file: LibraryFile, outcome: FingerprintOutcome) -> None:
        key = _key(file)
        if outcome.failed and self.on_failure is not None:
            self.on_failure(outcome)
        if (outcome.size, outcome.mtime_ns) != key[1:]:
            self._known[key] = None  # changed or gone since it was indexed: not its print
            return
        self._known[key] = outcome.data
        heard = (outcome.data, outcome.duration, outcome.reason, outcome.transient)
        if file.audio_key:
            self._by_audio.setdefault(file.audio_key, heard)
        self._keep(file, outcome.size, outcome.mtime_ns, heard)

    def _share(self, file: LibraryFile) -> None:
        """`file` takes the print of another file of its audio, if it is still the file
        that was indexed (the same size and mtime)."""
        key = _key(file)
        heard = self._by_audio[file.audio_key or ""]
        try:
            stat = os.stat(file.file_path)
        except OSError:
            self._known[key] = None
            return
        if (stat.st_size, stat.st_mtime_ns) != key[1:]:
            self._known[key] = None  # changed since it was indexed: its audio may differ
            return
        self._known[key] = heard[0]
        self._keep(file, stat.st_size, stat.st_mtime_ns, heard)

    def _keep(self, file: LibraryFile, size: int, mtime_ns: int, heard: _Heard) -> None:
        """A library row's print, to be stored by `flush` (unless the reason there is
        none is transient: then the next run tries again)."""
        data, duration, reason, transient = heard
        if file.id is not None and self.algorithm is not None and not transient:
            row = FingerprintRow(file.id, size, mtime_ns, self.algorithm, duration, data, reason)
            self._dirty.append((row, terms(data) if data else []))

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
        return self.db.fingerprints.cache(rows)  # an indexer writing: skipped, not waited for
