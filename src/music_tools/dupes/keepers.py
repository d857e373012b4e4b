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
from typing import Any

from ..models import LibraryFile
from ..util import is_inside, printable_path
from .rules import has_copy_marker, quality_rank, quality_verdict

__all__ = [
    "AlbumCounts",
    "KeeperRule",
    "best_copies",
    "by_quality",
    "choose_keeper",
    "keeper_rules",
]

#: (machine, folder, album) -> active rows directly in that folder with that album tag
AlbumCounts = dict[tuple[str | None, str, str], int]


@dataclass(frozen=True, slots=True)
class KeeperRule:
    """`key`: lower is better; `why`: the reason, said of the keeper, when this rule decided."""

    key: Callable[[LibraryFile], Any]
    why: Callable[[LibraryFile], str]


def keeper_rules(roots: Sequence[str], albums: AlbumCounts) -> list[KeeperRule]:
    """The tie-breaks between copies of equal quality, in order."""

    def place(file: LibraryFile) -> int:
        return next((i for i, r in enumerate(roots) if is_inside(file.file_path, r)), len(roots))

    def root(file: LibraryFile) -> str:
        return printable_path(roots[place(file)])

    def album_files(file: LibraryFile) -> int:
        if not (file.album and file.directory):
            return 0
        return albums.get((file.machine, file.directory, file.album), 0)

    return [
        KeeperRule(place, lambda f: f"in the preferred root {root(f)}"),
        KeeperRule(
            lambda f: -album_files(f),
            lambda f: f"its folder holds its album ({album_files(f)} files of {f.album!r})",
        ),
        KeeperRule(lambda f: has_copy_marker(f.file_path), lambda f: "no copy marker in its name"),
        KeeperRule(lambda f: f.file_mtime_ns or math.inf, lambda f: "the oldest file"),
        KeeperRule(lambda f: f.indexed_at or math.inf, lambda f: "indexed first"),
        KeeperRule(lambda f: (f.file_path, f.machine or ""), lambda f: "first by path"),
    ]


def by_quality(group: Sequence[LibraryFile]) -> list[LibraryFile]:
    """The group best first (path order between equal ranks)."""
    return sorted(sorted(group, key=lambda f: f.file_path), key=quality_rank, reverse=True)


def best_copies(ranked: Sequence[LibraryFile]) -> list[LibraryFile]:
    """The copies of `ranked` (by_quality's order) that are as good as the best one: the
    ones the rules choose between."""
    return [f for f in ranked if f is ranked[0] or _same_quality(f, ranked[0])]


def choose_keeper(
    ranked: Sequence[LibraryFile], rules: Sequence[KeeperRule]
) -> tuple[LibraryFile, str]:
    """(the keeper of `ranked`, a group in by_quality's order; "kept: ..." saying why)."""
    peers = best_copies(ranked)
    if len(peers) == 1:
        return ranked[0], f"kept: {quality_verdict(ranked[0], ranked[1])[1]}"
    keeper, runner_up = sorted(peers, key=lambda f: [rule.key(f) for rule in rules])[:2]
    decider = next((r for r in rules if r.key(keeper) != r.key(runner_up)), rules[-1])
    return keeper, f"kept: same quality, {decider.why(keeper)}"


def _same_quality(file: LibraryFile, best: LibraryFile) -> bool:
    verdict = quality_verdict(file, best)[0]
    return verdict == "same" or (verdict == "unknown" and quality_rank(file) == quality_rank(best))
