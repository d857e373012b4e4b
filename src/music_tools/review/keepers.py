"""Which copy of a group to keep: ordered, named rules and the presets that order them.

A preset is a list of rule names. The rules are applied one after the other, as a person
would: each keeps only the copies that are as good as the best one by that rule (within
its slack), and the next rule decides among those; the copy left first by path is the
keeper. A rule that knows nothing about every remaining copy (no bitrate for lossless
files, no preferred folder given) decides nothing and is passed.

Bitrate is judged with the same 5% slack as `dupes` (`rules._BITRATE_SLACK`): VBR files
report their average, which wanders by a few percent between files of the same setting,
so a V0 file at 245 kbps and one at 251 kbps are the same quality, and the next rule
decides. Whether a lossless file is genuine comes from the quality verdict stored in its
row (`verdict_of`); a file not analysed yet counts as genuine.

This is the page's own small copy of the keeper rules of `dupes`: its "quality" preset
judges in the order `dupes` does, and breaks ties by the oldest file where `dupes` takes
the first indexed. It should become a use of the dupes rules once those are a list of
named rules too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..models import LibraryFile
from ..util import is_inside

__all__ = [
    "PRESETS",
    "KeeperContext",
    "KeeperRule",
    "choose_keeper",
    "not_best_reason",
    "verdict_of",
]

#: verdicts (music_tools.quality) that say a file is worse than its format claims
LOSSY_VERDICTS = frozenset({"lossy_source", "upsampled", "padded"})
_BITRATE_SLACK = 0.05


def verdict_of(file: LibraryFile) -> str | None:
    """The quality verdict stored in the row ("genuine", "lossy_source", "upsampled",
    "padded", "unsure", "not_analysed"), or None while the file is not analysed yet.

    The one hook for the verdict: the page and the keeper rules read it only here."""
    return file.quality_verdict


@dataclass(frozen=True, slots=True)
class KeeperContext:
    """What the rules know beyond the files: folders the user prefers, first one first
    (protected folders count as preferred, before the others)."""

    preferred: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()

    @property
    def folders(self) -> tuple[str, ...]:
        return (*self.protected, *self.preferred)


@dataclass(frozen=True, slots=True)
class KeeperRule:
    """One criterion: a value per file (higher is better, None: not known), and the
    relative slack within which two values count as equal."""

    name: str
    says: str  # why a copy lost by this rule, for the "not the best copy" flag
    value: Callable[[LibraryFile, KeeperContext], float | None]
    slack: float = 0.0


def _lossless(file: LibraryFile, context: KeeperContext) -> float | None:
    if file.is_lossless is None:
        return None
    return 1.0 if file.is_lossless and verdict_of(file) != "lossy_source" else 0.0


def _genuine(file: LibraryFile, context: KeeperContext) -> float | None:
    return 0.0 if verdict_of(file) in LOSSY_VERDICTS else 1.0


def _bitrate(file: LibraryFile, context: KeeperContext) -> float | None:
    return None if file.is_lossless else file.bitrate


def _sample_rate(file: LibraryFile, context: KeeperContext) -> float | None:
    return file.sample_rate


def _bit_depth(file: LibraryFile, context: KeeperContext) -> float | None:
    return None if not file.is_lossless else file.bits_per_sample


def _folder(file: LibraryFile, context: KeeperContext) -> float | None:
    if not context.folders:
        return None
    place = next(
        (i for i, f in enumerate(context.folders) if is_inside(file.file_path, f)),
        len(context.folders),
    )
    return -float(place)


def _oldest(file: LibraryFile, context: KeeperContext) -> float | None:
    return None if file.file_mtime_ns is None else -float(file.file_mtime_ns)


RULES: dict[str, KeeperRule] = {
    rule.name: rule
    for rule in (
        KeeperRule("lossless", "a genuine lossless copy exists", _lossless),
        KeeperRule("genuine", "a copy the quality verdict calls genuine exists", _genuine),
        KeeperRule("bitrate", "a copy with a higher bitrate exists", _bitrate, _BITRATE_SLACK),
        KeeperRule("sample_rate", "a copy with a higher sample rate exists", _sample_rate),
        KeeperRule("bit_depth", "a copy with a higher bit depth exists", _bit_depth),
        KeeperRule("folder", "a copy in a preferred folder exists", _folder),
        KeeperRule("oldest", "an older copy exists", _oldest),
    )
}
#: the rules that say which copy sounds best: the keeper should survive all of them
QUALITY_RULES = ("lossless", "genuine", "bitrate", "sample_rate", "bit_depth")
PRESETS: dict[str, tuple[str, ...]] = {
    "quality": (*QUALITY_RULES, "folder", "oldest"),
    "folder": ("folder", *QUALITY_RULES, "oldest"),
    "oldest": ("oldest", *QUALITY_RULES, "folder"),
}


def survivors(
    files: Sequence[LibraryFile], rule_names: Sequence[str], context: KeeperContext
) -> tuple[list[LibraryFile], dict[int, str]]:
    """The files no rule eliminated (in path order), and for each eliminated file's id the
    name of the rule that did."""
    left = sorted(files, key=lambda f: f.file_path)
    lost: dict[int, str] = {}
    for name in rule_names:
        if len(left) == 1:
            break
        rule = RULES[name]
        values = [rule.value(f, context) for f in left]
        known = [v for v in values if v is not None]
        if not known:
            continue
        best = max(known)
        kept = []
        for file, value in zip(left, values, strict=True):
            if value is not None and best - value <= rule.slack * abs(best):
                kept.append(file)
            else:
                lost[id(file)] = name
        left = kept
    return left, lost


def choose_keeper(files: Sequence[LibraryFile], preset: str, context: KeeperContext) -> LibraryFile:
    """The copy `preset` keeps."""
    return survivors(files, PRESETS[preset], context)[0][0]


def not_best_reason(
    files: Sequence[LibraryFile], keeper: LibraryFile, context: KeeperContext
) -> str:
    """Why `keeper` is not the best-sounding copy of its group, or "" when it is one."""
    _, lost = survivors(files, QUALITY_RULES, context)
    return RULES[lost[id(keeper)]].says if id(keeper) in lost else ""
