"""Which copy of a group to keep on the page: presets that order the named keeper rules of
`dupes` (dupes/keepers.py), so the page and `dupes` judge alike.

A preset is a list of rule names, applied one after the other as a person would
(`dupes.keepers.narrow`): "quality" keeps the copies of the best effective quality (the
quality verdict stored in the rows counts: a lossless file made from an MP3 counts as that
MP3; VBR averages a few percent apart are the same quality), "preferred_root" the copies in
the first preferred or protected folder, then `dupes`' tie-breaks (the folder that holds
the album, no copy marker in the name, the oldest, the first indexed, the first by path).
The "quality" preset is exactly the order of `dupes`; "folder" and "oldest" put their rule
first. The "not the best copy" flag says why a keeper is worse than the best copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..dupes.keepers import (
    RULE_NAMES,
    TIE_BREAKS,
    AlbumCounts,
    best_copies,
    by_quality,
    named_rules,
    narrow,
)
from ..dupes.rules import describe, effective, quality_verdict
from ..models import LibraryFile

__all__ = [
    "PRESETS",
    "KeeperContext",
    "choose_keeper",
    "not_best_reason",
    "verdict_of",
]

_AFTER = tuple(name for name in TIE_BREAKS if name not in ("preferred_root", "oldest"))
PRESETS: dict[str, tuple[str, ...]] = {
    "quality": RULE_NAMES,
    "folder": ("preferred_root", "quality", *_AFTER[:2], "oldest", *_AFTER[2:]),
    "oldest": ("oldest", "quality", "preferred_root", *_AFTER),
}


def verdict_of(file: LibraryFile) -> str | None:
    """The quality verdict stored in the row ("genuine", "lossy_source", "upsampled",
    "padded", "unsure", "not_analysed"), or None while the file is not analysed yet."""
    return file.quality_verdict


@dataclass(frozen=True, slots=True)
class KeeperContext:
    """What the rules know beyond the files: folders the user prefers, first one first
    (protected folders count as preferred, before the others), and the album counts of
    the folders (`dupes`' album_folder rule; none known: that rule decides nothing)."""

    preferred: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    albums: AlbumCounts = field(default_factory=dict, compare=False, hash=False)

    @property
    def folders(self) -> tuple[str, ...]:
        return (*self.protected, *self.preferred)


def choose_keeper(files: Sequence[LibraryFile], preset: str, context: KeeperContext) -> LibraryFile:
    """The copy `preset` keeps."""
    rules = named_rules(context.folders, context.albums)
    return narrow(files, PRESETS[preset], rules)[0][0]


def not_best_reason(
    files: Sequence[LibraryFile], keeper: LibraryFile, context: KeeperContext
) -> str:
    """Why `keeper` is not the best-sounding copy of its group, or "" when it is one."""
    ranked = by_quality(files)
    if any(f is keeper for f in best_copies(ranked)):
        return ""
    best = ranked[0]
    reason = quality_verdict(best, keeper)[1]
    if effective(best).lossless and not effective(keeper).lossless:
        return f"a {describe(best)} copy exists"
    if reason.startswith("higher "):
        return f"a copy with a {reason} exists"
    return f"a better copy exists: {reason}"
