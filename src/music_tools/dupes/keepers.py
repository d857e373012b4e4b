"""Which copy of a group to keep, and the rule that decided.

The best quality first (copies that `quality_verdict` calls the same, such as two VBR files
a few kbps apart, tie). Between copies of equal quality, the named rules below in order,
the first that tells the best two apart decides and is named in the group's reason: a
preferred `--root`, then the copy whose folder holds its album (a stray copy in a
"Compilations" or "Downloads" folder is the one to go), then a name without a copy marker
("(copy)", " - Copy", "(1)"), then the oldest file, then the one indexed first, then path
order (which always decides, so the choice never depends on the order rows came in).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from ..models import LibraryFile
from ..util import is_inside
from .model import KeeperReason, KeeperRuleName
from .rules import has_copy_marker, quality_rank, quality_verdict

__all__ = [
    "RULE_NAMES",
    "TIE_BREAKS",
    "KeeperRule",
    "best_copies",
    "by_quality",
    "choose_keeper",
    "keeper_rules",
    "named_rules",
    "narrow",
]

#: every named rule, in the order `dupes` applies them: quality first, then the
#: tie-breaks of `keeper_rules` (KeeperRuleName's order, "chosen" by a person left out)
RULE_NAMES: tuple[KeeperRuleName, ...] = get_args(KeeperRuleName)[:-1]
TIE_BREAKS = RULE_NAMES[1:]

#: (machine, folder, album) -> active rows directly in that folder with that album tag
AlbumCounts = dict[tuple[str | None, str, str], int]


@dataclass(frozen=True, slots=True)
class KeeperRule:
    """`key`: lower is better; `why`: the reason, of the keeper, when this rule decided."""

    key: Callable[[LibraryFile], Any]
    why: Callable[[LibraryFile], KeeperReason]


def keeper_rules(roots: Sequence[str], albums: AlbumCounts) -> list[KeeperRule]:
    """The tie-breaks between copies of equal quality, in order."""

    def place(file: LibraryFile) -> int:
        return next((i for i, r in enumerate(roots) if is_inside(file.file_path, r)), len(roots))

    def root(file: LibraryFile) -> str:
        return roots[place(file)]

    def album_files(file: LibraryFile) -> int:
        if not (file.album and file.directory):
            return 0
        return albums.get((file.machine, file.directory, file.album), 0)

    return [
        KeeperRule(place, lambda f: KeeperReason("preferred_root", root=root(f))),
        KeeperRule(
            lambda f: -album_files(f),
            lambda f: KeeperReason("album_folder", album=f.album, album_files=album_files(f)),
        ),
        KeeperRule(
            lambda f: has_copy_marker(f.file_path), lambda f: KeeperReason("no_copy_marker")
        ),
        KeeperRule(lambda f: f.file_mtime_ns or math.inf, lambda f: KeeperReason("oldest")),
        KeeperRule(lambda f: f.indexed_at or math.inf, lambda f: KeeperReason("indexed_first")),
        KeeperRule(
            lambda f: (f.file_path, f.machine or ""), lambda f: KeeperReason("first_by_path")
        ),
    ]


def named_rules(roots: Sequence[str], albums: AlbumCounts) -> dict[str, KeeperRule]:
    """`keeper_rules` by name (TIE_BREAKS); "quality" is `best_copies`, applied by `narrow`."""
    return dict(zip(TIE_BREAKS, keeper_rules(roots, albums), strict=True))


def narrow(
    files: Sequence[LibraryFile], names: Sequence[str], rules: dict[str, KeeperRule]
) -> tuple[list[LibraryFile], dict[int, str]]:
    """The rules named, applied one after the other as a person would: each keeps only
    the copies as good as the best by it ("quality": the copies of the best quality, as
    `quality_verdict` judges them), the next decides among those. Returns the copies left
    (in path order: with `first_by_path` last, one) and, for each copy eliminated (by
    `id()`), the name of the rule that did. With RULE_NAMES it keeps what choose_keeper
    keeps."""
    left = sorted(files, key=lambda f: (f.file_path, f.machine or ""))
    lost: dict[int, str] = {}
    for name in names:
        if len(left) == 1:
            break
        if name == "quality":
            kept = {id(f) for f in best_copies(by_quality(left))}
        else:
            key = rules[name].key
            best = min(key(f) for f in left)
            kept = {id(f) for f in left if key(f) == best}
        lost.update((id(f), name) for f in left if id(f) not in kept)
        left = [f for f in left if id(f) in kept]
    return left, lost


def by_quality(group: Sequence[LibraryFile]) -> list[LibraryFile]:
    """The group best first (path order between equal ranks)."""
    return sorted(sorted(group, key=lambda f: f.file_path), key=quality_rank, reverse=True)


def best_copies(ranked: Sequence[LibraryFile]) -> list[LibraryFile]:
    """The copies of `ranked` (by_quality's order) that are as good as the best one: the
    ones the rules choose between."""
    return [f for f in ranked if f is ranked[0] or _same_quality(f, ranked[0])]


def choose_keeper(
    ranked: Sequence[LibraryFile], rules: Sequence[KeeperRule]
) -> tuple[LibraryFile, KeeperReason]:
    """(the keeper of `ranked`, a group in by_quality's order; the rule that chose it)."""
    peers = best_copies(ranked)
    if len(peers) == 1:
        return ranked[0], KeeperReason("quality", quality_verdict(ranked[0], ranked[1])[1])
    keeper, runner_up = sorted(peers, key=lambda f: [rule.key(f) for rule in rules])[:2]
    decider = next((r for r in rules if r.key(keeper) != r.key(runner_up)), rules[-1])
    return keeper, decider.why(keeper)


def _same_quality(file: LibraryFile, best: LibraryFile) -> bool:
    verdict = quality_verdict(file, best)[0]
    return verdict == "same" or (verdict == "unknown" and quality_rank(file) == quality_rank(best))
