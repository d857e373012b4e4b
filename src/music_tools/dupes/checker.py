"""DuplicateChecker: is a new file already in the library, how, and is it better?

`check_files_batch` reads as the algorithm: stat the files, read them in the indexer's
worker pool, look every candidate key of the whole batch up at once (one snapshot, an
IN-list per kind of key), compare each file with its few candidates (full hashes read
only where the audio keys agree), cache the hashes that were read, and judge quality.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

from ..errors import os_reason
from ..identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from ..identity.fpcalc_output import FingerprintOutcome
from ..models import FileEntry, LibraryFile, Progress
from ..read.pool import read_in_pool
from ..store import LibraryDatabase
from ..store.blocking import block_key
from ..util import StrPath, path_list
from .compare import compare
from .hashes import HashCache
from .model import KINDS, DuplicateResult, Match
from .prints import FingerprintCache
from .recording import recording_matches
from .rules import durations_agree, quality_rank, quality_verdict, similarity
from .verdicts import OnAnalysed, VerdictCache, copy_verdict

__all__ = ["DuplicateChecker"]

_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
Rows = list[LibraryFile]


class DuplicateChecker:
    """Checks new files against a LibraryDatabase; see `check_files_batch`."""

    def __init__(
        self,
        db: LibraryDatabase,
        workers: int | None = None,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        fingerprint: bool = False,
        on_fingerprint_failure: Callable[[FingerprintOutcome], None] | None = None,
        fast_read: bool = True,
        fpcalc: Fpcalc = DEFAULT_FPCALC,
        on_analysed: OnAnalysed | None = None,
    ) -> None:
        self.db = db
        #: called with each file whose quality verdict was computed to judge a match
        #: (lossless files without a current one: see verdicts.py)
        self.on_analysed = on_analysed
        #: which fpcalc fingerprints (its program empty: none)
        self.fpcalc = fpcalc
        #: False: every new file read through mutagen, the lean readers left out
        self.fast_read = fast_read
        #: fingerprint every new file no key matched, and look it up as a same_recording
        #: (same-song matches of close lengths are checked by fingerprint either way,
        #: whenever fpcalc is installed)
        self.fingerprint = fingerprint
        self.workers = max(1, workers or os.cpu_count() or 1)
        #: called with Progress("check", files read, files to read) as reading goes
        self.on_progress = on_progress or (lambda progress: None)
        #: called with each file fpcalc failed on (the file is then matched without it)
        self.on_fingerprint_failure = on_fingerprint_failure

    def check_file(self, path: StrPath) -> DuplicateResult:
        name = os.fspath(path)
        return self.check_files_batch([name])[name]

    def check_files_batch(self, paths: StrPath | Iterable[StrPath]) -> dict[str, DuplicateResult]:
        """Every path given (one, or several) -> its result (one that could not be read
        says why), in the order given; a file named twice is read once."""
        results: dict[str, DuplicateResult] = {}
        order = path_list(paths)
        given: dict[str, str] = {}  # absolute path -> the first name it was given as
        entries: list[FileEntry] = []
        for name, entry in self._stat(order, results):
            if given.setdefault(entry.path, name) == name:
                entries.append(entry)
        files: list[LibraryFile] = []
        done = 0
        for task, batch in read_in_pool(entries, self.workers, False, self.fast_read):
            done += len(task)
            self.on_progress(Progress("check", done, len(entries)))
            files.extend(batch.files)
            for error in batch.errors:
                name = given[error.path]
                results[name] = _unreadable(name, error.reason)
        candidates, own = self._candidates(files)
        on_disk = _OnDisk(self.db.machine)
        gone = _drop_gone(candidates, on_disk)
        cache = HashCache(self.db)
        verdicts = VerdictCache(self.db, self.on_analysed)
        prints = FingerprintCache(
            self.db, self.workers, on_failure=self.on_fingerprint_failure, fpcalc=self.fpcalc
        )
        if prints.enabled:
            prints.prefetch(_to_hear(files, candidates, self.fingerprint))
        for file in files:
            name = given[file.file_path]
            found = candidates.get(file.file_path, ([], []))
            mine = own.get(file.file_path)
            if mine is not None and mine.quality_version is not None:
                copy_verdict(mine, file)  # the library's row of this very file
            results[name] = _judge(name, file, found, cache, prints, mine, verdicts)
            if self.fingerprint and prints.enabled:
                _add_recordings(results[name], file, self.db, prints, on_disk, verdicts)
            results[name].gone = gone.get(file.file_path, [])
        cache.flush()
        prints.flush()
        verdicts.flush()
        return {
            name: results.get(name) or replace(results[given[os.path.abspath(name)]], path=name)
            for name in order
        }

    def _stat(
        self, paths: Iterable[str], results: dict[str, DuplicateResult]
    ) -> list[tuple[str, FileEntry]]:
        entries: list[tuple[str, FileEntry]] = []
        for name in paths:
            try:
                stat = os.stat(name)
            except OSError as exc:
                results[name] = _unreadable(name, os_reason(exc))
                continue
            if not os.path.isfile(name):
                results[name] = _unreadable(name, "not a file")
                continue
            entries.append((name, FileEntry(os.path.abspath(name), stat.st_size, stat.st_mtime_ns)))
        return entries

    def _candidates(
        self, files: Sequence[LibraryFile]
    ) -> tuple[dict[str, tuple[Rows, Rows]], dict[str, LibraryFile]]:
        """(new path -> (library rows sharing a key with it, rows in its fuzzy block),
        itself excluded; new path -> the library's row of that very file, if any)."""
        keyed = {
            "audio_key": {f.audio_key for f in files if f.audio_key},
            "metadata_hash": {f.metadata_hash for f in files if f.metadata_hash},
            "musicbrainz_recording_id": {
                f.musicbrainz_recording_id for f in files if f.musicbrainz_recording_id
            },
            "fuzzy_block": {k for f in files if (k := block_key(f.artist, f.title))},
        }
        found = self.db.matching.files_by_keys({kind: keys for kind, keys in keyed.items() if keys})
        candidates: dict[str, tuple[Rows, Rows]] = {}
        own: dict[str, LibraryFile] = {}
        for file in files:
            seen: dict[int, LibraryFile] = {}
            for kind, key in (
                ("audio_key", file.audio_key),
                ("metadata_hash", file.metadata_hash),
                ("musicbrainz_recording_id", file.musicbrainz_recording_id),
            ):
                for row in found.get(kind, {}).get(key or "", ()):
                    if _is_itself(file, row):
                        own.setdefault(file.file_path, row)
                    else:
                        seen.setdefault(row.id or 0, row)
            block = found.get("fuzzy_block", {}).get(block_key(file.artist, file.title) or "", [])
            similar: Rows = []
            for row in block:
                if row.id in seen:
                    continue
                if _is_itself(file, row):
                    own.setdefault(file.file_path, row)
                else:
                    similar.append(row)
            candidates[file.file_path] = (list(seen.values()), similar)
        return candidates, own


def _is_itself(file: LibraryFile, row: LibraryFile) -> bool:
    """Whether the library row is the new file itself: at the same path, or at another
    name of the same file (a symlinked folder, a second mount point)."""
    if row.file_path == file.file_path:
        return True
    if row.file_size != file.file_size:
        return False
    try:
        return os.path.samefile(row.file_path, file.file_path)
    except OSError:
        return False


class _OnDisk:
    """Whether a library row's file is still on disk, asked once per row: a row whose file
    is gone (deleted, its folder removed, the library not told yet) is no match, whatever
    its keys say. Rows of other machines cannot be seen from here and are taken as they
    are; a file that cannot be looked at (permissions) is taken as there."""

    def __init__(self, here: str | None) -> None:
        self.here = here
        self.seen: dict[int, bool] = {}

    def __call__(self, row: LibraryFile) -> bool:
        if row.machine is not None and row.machine != self.here:
            return True
        there = self.seen.get(row.id or 0)
        if there is None:
            try:
                os.stat(row.file_path)
                there = True
            except (FileNotFoundError, NotADirectoryError):
                there = False
            except OSError:
                there = True
            self.seen[row.id or 0] = there
        return there


def _drop_gone(candidates: dict[str, tuple[Rows, Rows]], on_disk: _OnDisk) -> dict[str, list[str]]:
    """Leave out the candidate rows whose file is gone; new path -> the gone files among
    its key-sharing candidates (what it would have matched)."""
    gone: dict[str, list[str]] = {}
    for path, (keyed, similar) in candidates.items():
        present = [row for row in keyed if on_disk(row)]
        if len(present) < len(keyed):
            gone[path] = [row.file_path for row in keyed if not on_disk(row)]
        candidates[path] = (present, [row for row in similar if on_disk(row)])
    return gone


def _to_hear(
    files: Sequence[LibraryFile], candidates: dict[str, tuple[Rows, Rows]], every_file: bool
) -> Iterator[LibraryFile]:
    """The files whose fingerprints checking will need: both sides of each same-tag pair of
    about the same length (other audio), of each fuzzy pair of a file no key matches, and
    with `every_file`, every new file."""
    for file in files:
        if every_file:
            yield file
        keyed, similar = candidates.get(file.file_path, ([], []))
        for row in keyed:
            if (
                row.metadata_hash == file.metadata_hash
                and row.audio_key != file.audio_key
                and durations_agree(file, row)
            ):
                yield file
                yield row
        if not any(_may_match(file, row) for row in keyed):
            for row in similar:
                if durations_agree(file, row) and similarity(file, row):
                    yield file
                    yield row


def _may_match(file: LibraryFile, row: LibraryFile) -> bool:
    """Whether a row that shares a key with the file is likely to match it (then its fuzzy
    neighbours are never compared)."""
    return row.audio_key == file.audio_key or durations_agree(file, row) is not False


def _add_recordings(
    result: DuplicateResult,
    file: LibraryFile,
    db: LibraryDatabase,
    prints: FingerprintCache,
    on_disk: _OnDisk,
    verdicts: VerdictCache,
) -> None:
    """Library rows that sound the same as the new file, when nothing stronger matched."""
    if any(m.kind in ("exact", "same_audio", "same_song") for m in result.matches):
        return
    known = {m.file.id for m in result.matches}
    found, near_misses = recording_matches(
        file, db, prints, lambda row: row.id in known or _is_itself(file, row) or not on_disk(row)
    )
    if not found:
        if not (result.matches or result.near_misses or result.indexed_as):
            result.near_misses = near_misses  # what it would have said first of all
        return
    result.matches[:0] = found
    verdicts.judge([file, *(m.file for m in result.matches)])
    result.matches.sort(key=_match_order)
    _settle(result, file)


def _unreadable(name: str, reason: str) -> DuplicateResult:
    return DuplicateResult(name, status="unreadable", error=reason)


def _settle(result: DuplicateResult, file: LibraryFile) -> None:
    """A file with matches is a duplicate (or the library's own file with other copies);
    judge its quality against the best match."""
    result.status = "own" if result.indexed_as is not None else "duplicate"
    result.quality, result.quality_reason = quality_verdict(file, result.matches[0].file)


def _judge(
    name: str,
    file: LibraryFile,
    candidates: tuple[Rows, Rows],
    cache: HashCache,
    prints: FingerprintCache | None = None,
    own: LibraryFile | None = None,
    verdicts: VerdictCache | None = None,
) -> DuplicateResult:
    """Compare one new file with its candidates and say what it is (`own`: the library's
    row of this very file, if any). Rows in its fuzzy block are compared only when no
    key-based match was found: a fuzzy match beside an exact or same-song one would add
    nothing."""
    result = DuplicateResult(name, file=file, status="own" if own else "new", indexed_as=own)
    keyed, similar = candidates
    for candidate in keyed:
        match, near_miss = compare(file, candidate, cache, fuzzy=False, prints=prints)
        if match is not None:
            result.matches.append(match)
        elif near_miss is not None:
            result.near_misses.append(near_miss)
    if not result.matches:
        for candidate in similar:
            match, near_miss = compare(file, candidate, cache, prints=prints)
            if match is not None:
                result.matches.append(match)
            elif near_miss is not None:
                result.near_misses.append(near_miss)
    if not result.matches:
        return result
    if verdicts is not None:  # where a lossless copy is compared, its verdict may decide
        verdicts.judge([file, *(m.file for m in result.matches)])
    result.matches.sort(key=_match_order)
    _settle(result, file)
    return result


def _match_order(match: Match) -> tuple[int, float, int, int, int]:
    """Strongest kind first, then the surest, then the best copy."""
    lossless, first, second, _ = quality_rank(match.file)
    return (_KIND_RANK[match.kind], -match.confidence, -lossless, -first, -second)
