"""What checking and grouping return: plain data, no behaviour."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..models import LibraryFile

__all__ = [
    "KINDS",
    "DuplicateGroup",
    "DuplicateResult",
    "GroupMember",
    "Match",
    "MatchKind",
    "Quality",
    "Status",
    "chosen_kinds",
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


@dataclass(slots=True)
class Match:
    """One library file that a new file duplicates, how, and how sure we are."""

    file: LibraryFile
    kind: MatchKind
    confidence: float
    reason: str
    #: whether more than a likeness of names says so: True for every kind but fuzzy, which
    #: only fingerprints that agree confirm; actions leave an unconfirmed match alone
    confirmed: bool = True


@dataclass(slots=True)
class DuplicateResult:
    """What the library says about one new file.

    `status` says what it is: `new` (the library has no copy of it), `duplicate` (it has
    one), `own` (the file is itself one of the library's rows, `indexed_as`; `matches` are
    its other copies, if any) or `unreadable` (then `file` is None). `is_duplicate`, as
    before `status` existed: whether the library has another copy. `kind` is the best
    match's kind and `quality` compares the file with `matched_file` (the best match):
    `better` means it is the one to keep.
    `reason` is one line a person understands, also when the file could not be read.
    """

    path: str
    is_duplicate: bool = False
    kind: MatchKind | None = None
    matched_file: LibraryFile | None = None
    matches: list[Match] = field(default_factory=list)
    confidence: float = 0.0
    quality: Quality = "unknown"
    reason: str = ""
    file: LibraryFile | None = None
    status: Status = "new"
    indexed_as: LibraryFile | None = None


@dataclass(slots=True)
class GroupMember:
    """A file of a group that is not the keeper, and how it duplicates the keeper;
    `confirmed` as for a Match: False when only unconfirmed fuzzy pairs link it to the
    keeper."""

    file: LibraryFile
    kind: MatchKind
    confirmed: bool = True


@dataclass(slots=True)
class DuplicateGroup:
    """Library files that are the same thing: the one to keep, the rest, and why."""

    kind: MatchKind
    keeper: LibraryFile
    others: list[GroupMember]
    reason: str
