"""Fuzzy likeness is not transitive: a chain of near-misses never becomes one group."""

from __future__ import annotations

from music_tools.dupes.fuzzy import fuzzy_pairs
from music_tools.library import LibraryDatabase, find_duplicates
from support.factories import library_file

CHAIN = [
    "Massive Attack",
    "Massive Atack",
    "Massive Atak",
    "Masive Atak",
    "Masiv Atak",
    "Masiv Ata",
]


def test_a_chain_of_near_misses_is_never_one_group(db: LibraryDatabase) -> None:
    rows = [
        library_file(i, artist=artist, title="Teardrop", duration=331.0)
        for i, artist in enumerate(CHAIN)
    ]
    db.batch_insert_files(rows)
    alike = {frozenset((a.artist, b.artist)) for a, b in fuzzy_pairs(rows)}
    assert frozenset((CHAIN[0], CHAIN[-1])) not in alike  # the ends are not alike
    groups = list(find_duplicates(db, kinds=["fuzzy"]))
    assert groups, "the close neighbours are still found"
    for group in groups:
        names = [group.keeper.artist, *(member.file.artist for member in group.others)]
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                assert frozenset((first, second)) in alike, (first, second, names)
