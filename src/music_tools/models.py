"""Records passed between the stages; plain slotted dataclasses, no behaviour."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

__all__ = ["QUALITY_FIELDS", "FileEntry", "LibraryFile", "Progress", "ScanFailure"]


@dataclass(slots=True)
class FileEntry:
    """A file found by the scan: what `stat` says, nothing read yet.

    Not frozen: the scan builds one per file on every rescan (a hot path)."""

    path: str
    size: int
    mtime_ns: int
    library_root: str | None = None


#: the fields of a LibraryFile that hold its quality verdict, in the order
#: `QualityReport.stored()` gives their values
QUALITY_FIELDS = (
    "quality_verdict",
    "quality_reason",
    "quality_cutoff_hz",
    "quality_likely_source",
    "quality_source_rate_hz",
    "quality_effective_bits",
    "quality_version",
)


@dataclass(slots=True)
class LibraryFile:
    """One audio file as the library knows it: one row of the table `library_index`.

    Not frozen: building 100,000 frozen objects costs about twice as much, and batch
    lookups build that many. Fields a file lacks are None. `file_path`, `filename` and
    `directory` are `str`; a name that is not valid UTF-8 holds surrogate escapes
    (`os.fsdecode`), which the store keeps byte-exact. `filename` and `directory` not
    given are derived from `file_path` (the indexer diffs a library folder by folder, by
    `directory`: a row without one would be invisible to it).
    """

    id: int | None = None
    file_path: str = ""
    filename: str | None = None
    directory: str | None = None
    library_root: str | None = None
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genre: str | None = None
    duration: float | None = None
    bitrate: int | None = None
    #: how a lossy stream spends its bits: "CBR", "VBR" or "ABR", as its VBR header says
    #: (mutagen's `MPEGInfo.bitrate_mode`); None where unknown or not applicable (lossless)
    bitrate_mode: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bits_per_sample: int | None = None
    file_format: str | None = None
    codec: str | None = None
    is_lossless: bool | None = None
    file_size: int | None = None
    file_mtime_ns: int | None = None
    metadata_hash: str | None = None
    audio_key: str | None = None
    audio_hash: str | None = None
    file_content_hash: str | None = None
    musicbrainz_recording_id: str | None = None
    indexed_at: float | None = None
    last_seen_at: float | None = None
    is_active: bool = True
    #: the normalization rules' version metadata_hash was made with (None: the first rules)
    metadata_version: int | None = None
    #: artist, title, album, album artist and genre folded for search (`util.search_text`,
    #: set by `extract`); None when all are ASCII, and search then compares the tags
    search_text: str | None = None
    #: the version of the reader and its damage checks that read the file (`read.extract.
    #: READER_VERSION`; None or 0: one from before they were versioned), read again when older
    reader_version: int | None = None
    #: the quality verdict (`music_tools.quality`: "genuine", "lossy_source", "upsampled",
    #: "padded", "unsure", "not_analysed"; None: not analysed yet), its reason in one line,
    #: the figures the keeper rules rank by, and the ANALYSIS_VERSION that made it (a row
    #: of an older version is analysed again); None again once the file changes
    quality_verdict: str | None = None
    quality_reason: str | None = None
    quality_cutoff_hz: int | None = None
    quality_likely_source: str | None = None
    quality_source_rate_hz: int | None = None
    quality_effective_bits: int | None = None
    quality_version: int | None = None
    #: the machine whose disk holds the file, in a catalog several machines share
    #: (PostgreSQL); None in an SQLite library, which belongs to the machine it is on
    machine: str | None = None

    def __post_init__(self) -> None:
        if (self.filename is None or self.directory is None) and self.file_path:
            directory, filename = os.path.split(self.file_path)
            if self.filename is None:
                self.filename = filename
            if self.directory is None:
                self.directory = directory


LIBRARY_FILE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LibraryFile))


@dataclass(slots=True)
class ScanFailure:
    """A file that could not be read: kept so it is reported, and retried only once its
    size or mtime changes."""

    file_path: str
    reason: str
    file_size: int | None = None
    file_mtime_ns: int | None = None
    library_root: str | None = None
    first_seen_at: float | None = None
    last_seen_at: float | None = None


SCAN_FAILURE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ScanFailure))


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress event, the one type the indexer and the checker hand to `on_progress`:
    in `phase` ("read" for indexing, "fingerprint" for `index --fingerprint`, "quality" for
    `index --quality`, "check" for
    checking), `done` files of `total` (None while the walk goes on, which has found
    `found` audio files so far)."""

    phase: str
    done: int
    total: int | None = None
    found: int = 0
