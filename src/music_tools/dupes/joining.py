"""Joining confirmed pairs into groups: union-find, strongest kind first, closest lengths
first, and never into a group whose members' lengths disagree.

Byte copies and same audio are transitive, so their pairs join freely. The other kinds are
not: same song by length (A and B 1 s apart, B and C too, A and C 2 s apart), and a fuzzy
likeness ("Massive Attack" ~ "Massive Atak" ~ "Masiv Atak" ~ "Masiv Ata", while the first
and the last are not alike). Their pairs join two groups only when the lengths of the
joined group all agree (its shortest and longest do: then every pair does), and a fuzzy
pair only when every member of one group is directly paired with every member of the
other, so a chain never grows into one group whose keeper would stand for files it does
not match.

Nor do two titles that name different versions ("Song" and "Song (Remix)") meet in one
group through files without a title (an untagged rip matches both by fingerprint).

Lengths are compared where the audio ends: a same_recording pair says how much later the
second file's audio starts (leading silence added or cut), and each member keeps that lead
against its group's first member, so a copy with 1.5 s of silence added is as long as its
original, while a radio edit or an extended mix is not.

A fuzzy pair that no fingerprint confirmed still joins, but a member is confirmed only when
confirmed pairs link it to its keeper (`Joined.confirmed`): actions leave the others alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..models import LibraryFile
from .model import KINDS, MatchKind
from .rules import tolerance, version_words

__all__ = ["Edge", "Joined", "Pairs", "join"]

#: (row id, row id, kind): two library rows that are duplicates of that kind
Edge = tuple[int, int, MatchKind]
Pair = tuple[int, int]
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_FREE = ("exact", "same_audio")


@dataclass(slots=True)
class Pairs:
    """What joining starts from: the pairs of rows that matched; for each same_recording
    pair (a, b), how much later b's audio starts than a's; the fuzzy pairs (smaller id
    first) that no fingerprint confirmed."""

    edges: list[Edge] = field(default_factory=list)
    offsets: dict[Pair, float] = field(default_factory=dict)
    unconfirmed: set[Pair] = field(default_factory=set)


@dataclass(slots=True)
class Joined:
    """The groups (row ids, the weakest kind that joined each) and the strongest kind of
    each pair of rows that matched directly."""

    groups: list[tuple[list[int], MatchKind]]
    direct: dict[Pair, MatchKind]
    #: row id -> another row that confirmed pairs link it to (a union-find forest within
    #: the groups); None when every pair is confirmed
    links: dict[int, int] | None = None

    def confirmed(self, keeper: int, member: int) -> bool:
        """Whether confirmed pairs link `member` to `keeper` (of the same group)."""
        return self.links is None or _root(self.links, member) == _root(self.links, keeper)


@dataclass(slots=True)
class _Forest:
    """Union-find over row ids; each root knows its members, where their audio ends (in
    seconds from its own start: `lead` is how much later a member's audio starts), the
    version words of its titled members, and the weakest kind that joined it."""

    files: Mapping[int, LibraryFile]
    parent: dict[int, int] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)
    lead: dict[int, float] = field(default_factory=dict)
    ends: dict[int, tuple[float, float] | None] = field(default_factory=dict)
    words: dict[int, frozenset[str] | None] = field(default_factory=dict)
    weakest: dict[int, int] = field(default_factory=dict)

    def find(self, node: int) -> int:
        if node not in self.parent:
            self.parent[node], self.members[node], self.lead[node] = node, [node], 0.0
            length = self.files[node].duration
            self.ends[node] = (length, length) if length else None
            self.words[node] = version_words(self.files[node])
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def shift(self, a: int, b: int, offset: float) -> float:
        """How much later the audio of b's root starts than a's root's, given that b's
        starts `offset` later than a's."""
        return self.lead[a] + offset - self.lead[b]

    def joined_ends(self, root_a: int, root_b: int, shift: float) -> tuple[float, float] | None:
        a, b = self.ends[root_a], self.ends[root_b]
        if b is not None:
            b = (b[0] - shift, b[1] - shift)
        if a is None or b is None:
            return a or b
        return min(a[0], b[0]), max(a[1], b[1])

    def may_join(
        self,
        root_a: int,
        root_b: int,
        shift: float,
        kind: MatchKind,
        direct: Mapping[Pair, MatchKind],
    ) -> bool:
        if kind in _FREE:
            return True
        words_a, words_b = self.words[root_a], self.words[root_b]
        if words_a is not None and words_b is not None and words_a != words_b:
            return False
        if not _agree(self.joined_ends(root_a, root_b, shift)):
            return False
        return kind != "fuzzy" or _all_paired(self.members[root_a], self.members[root_b], direct)

    def union(self, root_a: int, root_b: int, shift: float, kind: MatchKind) -> None:
        ends = self.joined_ends(root_a, root_b, shift)
        for node in self.members[root_b]:
            self.lead[node] += shift
        self.parent[root_b] = root_a
        self.members[root_a] += self.members.pop(root_b)
        self.ends[root_a] = ends
        if self.words[root_a] is None:
            self.words[root_a] = self.words[root_b]
        rank = max(_RANK[kind], self.weakest.get(root_a, 0), self.weakest.pop(root_b, 0))
        self.weakest[root_a] = rank


def join(files: Mapping[int, LibraryFile], pairs: Pairs) -> Joined:
    """Join the pairs into groups (see the module's docstring)."""

    def offset(edge: Edge) -> float:
        return pairs.offsets.get((edge[0], edge[1]), 0.0)

    def gap(edge: Edge) -> float:
        if edge[2] not in ("same_song", "same_recording"):
            return 0.0  # the fuzzy pairs keep their order (see fuzzy.py)
        a, b = files[edge[0]].duration, files[edge[1]].duration
        return abs((b or 0.0) - offset(edge) - (a or 0.0)) if a and b else 0.0

    ordered = sorted(pairs.edges, key=lambda edge: (_RANK[edge[2]], gap(edge)))
    direct: dict[Pair, MatchKind] = {}
    for a, b, kind in ordered:
        direct.setdefault((min(a, b), max(a, b)), kind)
    forest = _Forest(files)
    for edge in ordered:
        a, b, kind = edge
        root_a, root_b = forest.find(a), forest.find(b)
        shift = forest.shift(a, b, offset(edge))
        if root_a != root_b and forest.may_join(root_a, root_b, shift, kind, direct):
            forest.union(root_a, root_b, shift, kind)
    groups = [
        (members, KINDS[forest.weakest.get(root, 0)])
        for root, members in forest.members.items()
        if len(members) > 1
    ]
    return Joined(groups, direct, _confirmed_links(forest, ordered, pairs.unconfirmed))


def _confirmed_links(
    forest: _Forest, edges: list[Edge], unconfirmed: set[Pair]
) -> dict[int, int] | None:
    """A second forest, of the confirmed pairs within each group (None: all are)."""
    if not unconfirmed:
        return None
    links: dict[int, int] = {}
    for a, b, kind in edges:
        if kind == "fuzzy" and (min(a, b), max(a, b)) in unconfirmed:
            continue
        if forest.find(a) == forest.find(b):
            links[_root(links, b)] = _root(links, a)
    return links


def _root(links: dict[int, int], node: int) -> int:
    while links.get(node, node) != node:
        links[node] = links.get(links[node], links[node])
        node = links[node]
    return node


def _agree(ends: tuple[float, float] | None) -> bool:
    return ends is None or ends[1] - ends[0] <= tolerance(ends[0], ends[1])


def _all_paired(group_a: list[int], group_b: list[int], direct: Mapping[Pair, MatchKind]) -> bool:
    return all((min(a, b), max(a, b)) in direct for a in group_a for b in group_b)
