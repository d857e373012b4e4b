"""What checking and grouping return: plain data, no behaviour."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..models import LibraryFile

__all__ = [
    "KINDS",
    "Basis",
    "DuplicateGroup",
    "DuplicateResult",
    "Evidence",
    "GroupMember",
    "KeeperReason",
    "KeeperRuleName",
    "Match",
    "MatchKind",
    "Miss",
    "Quality",
    "Status",
]

MatchKind = Literal["exact", "same_audio", "same_song", "same_recording", "fuzzy"]
Status = Literal["new", "duplicate", "own", "unreadable"]
#: strongest first; same_recording: the fingerprints match while the tags do not
KINDS: tuple[MatchKind, ...] = ("exact", "same_audio", "same_song", "same_recording", "fuzzy")
Quality = Literal["better", "worse", "same", "unknown"]


def chosen_kinds(kinds: str | Iterable[str]) -> list[MatchKind]:
    """The kinds asked for (one, or several), strongest first; a ValueError names a kind
    that is not one (`exakt`: no group would ever be found, silently) and the valid ones."""
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    if not wanted:
        raise ValueError(f"name at least one of: {', '.join(KINDS)}")
    unknown = [kind for kind in wanted if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r}; use: {', '.join(KINDS)}")
    return [kind for kind in KINDS if kind in wanted]


#: what two files were found to share: the whole file (`same_bytes`), the decoded audio by
#: the FLAC STREAMINFO MD5 (`flac_md5`), the audio payload (`audio_hash`), its head and tail
#: only, not confirmed by the full hashes (`audio_key`: a file changed or is gone), the
#: normalized artist and title (`tags`), the MusicBrainz recording (`musicbrainz`), a
#: likeness of artist and title (`names`), the sound (`fingerprint`)
Basis = Literal[
    "same_bytes",
    "flac_md5",
    "audio_hash",
    "audio_key",
    "tags",
    "musicbrainz",
    "names",
    "fingerprint",
]
#: why a file that shares something with a library file is not its duplicate: lengths that
#: disagree, fingerprints that disagree, or (same recording) the audio ends elsewhere or
#: the titles name another version ("remix", "live"...)
Miss = Literal["lengths", "another_recording", "another_edit", "another_version"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a match, or a near miss (`miss` set), rests on: the figures, not words (the
    command line words them). Fields a basis does not use are None.

    `other` is the library file's path; the lengths are in seconds (None: unknown);
    `similarity` (names) how alike the artists and titles are, 0-1; `bit_error_rate` the
    share of fingerprint bits that differ, once aligned (None: fingerprints not compared);
    `offset_s` how much later the new file's audio starts; `versions` (another_version)
    the version words of the new file's title and of the other's."""

    basis: Basis
    other: str
    new_length: float | None = None
    other_length: float | None = None
    similarity: float | None = None
    bit_error_rate: float | None = None
    offset_s: float | None = None
    miss: Miss | None = None
    versions: tuple[tuple[str, ...], tuple[str, ...]] | None = None


@dataclass(slots=True)
class Match:
    """One library file that a new file duplicates, how, how sure we are, and on what
    evidence."""

    file: LibraryFile
    kind: MatchKind
    confidence: float
    evidence: Evidence
    #: whether more than a likeness of names says so: True for every kind but fuzzy, which
    #: only fingerprints that agree confirm; actions leave an unconfirmed match alone
    confirmed: bool = True


@dataclass(slots=True)
class DuplicateResult:
    """What the library says about one new file.

    `status` says what it is: `new` (the library has no copy of it), `duplicate` (it has
    one), `own` (the file is itself one of the library's rows, `indexed_as`; `matches` are
    its other copies, if any) or `unreadable` (`error` says why). `file` is the file as it
    was read. `matches` are the library's copies, best first; `quality` compares the file
    with the best one (`better`: the new file is the one to keep), `quality_reason` names
    the property that decided. A file no copy matched may have `near_misses` (library files
    that share something with it, and why they are not copies) and `gone` (copies whose
    key it shares, gone from disk since they were indexed).
    """

    path: str
    status: Status = "new"
    file: LibraryFile | None = None
    indexed_as: LibraryFile | None = None
    matches: list[Match] = field(default_factory=list)
    quality: Quality = "unknown"
    quality_reason: str = ""
    near_misses: list[Evidence] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def is_duplicate(self) -> bool:
        """Whether the library has another copy of the file (as before `status` existed)."""
        return bool(self.matches) and self.status in ("duplicate", "own")

    @property
    def kind(self) -> MatchKind | None:
        """The best match's kind."""
        return self.matches[0].kind if self.matches else None

    @property
    def matched_file(self) -> LibraryFile | None:
        """The best match's library file."""
        return self.matches[0].file if self.matches else None

    @property
    def confidence(self) -> float:
        """The best match's confidence (0-1); 0 without a match."""
        return self.matches[0].confidence if self.matches else 0.0


@dataclass(slots=True)
class GroupMember:
    """A file of a group that is not the keeper, and how it duplicates the keeper;
    `confirmed` as for a Match: False when only unconfirmed fuzzy pairs link it to the
    keeper."""

    file: LibraryFile
    kind: MatchKind
    confirmed: bool = True


#: the rule that told a group's keeper from the next best copy: its quality, then (copies
#: of the same quality) a preferred root, a folder that holds its album, a name without a
#: copy marker, the oldest file, the one indexed first, path order; `chosen` by a person
KeeperRuleName = Literal[
    "quality",
    "preferred_root",
    "album_folder",
    "no_copy_marker",
    "oldest",
    "indexed_first",
    "first_by_path",
    "chosen",
]


@dataclass(frozen=True, slots=True)
class KeeperReason:
    """Why a group's keeper is the one kept: the rule that decided, and its figures
    (`quality`: the property that made it better; `root`: the preferred root it is in;
    `album` and `album_files`: the album its folder holds, and how many of its files)."""

    rule: KeeperRuleName
    quality: str | None = None
    root: str | None = None
    album: str | None = None
    album_files: int | None = None


@dataclass(slots=True)
class DuplicateGroup:
    """Library files that are the same thing: the one to keep, the rest, and why."""

    kind: MatchKind
    keeper: LibraryFile
    others: list[GroupMember]
    keeper_reason: KeeperReason
