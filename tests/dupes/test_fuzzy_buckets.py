"""A large fuzzy bucket: the pairs found by name and length window are exactly, and in the
same order, the pairs of comparing every row with every later one (the rule as first
written, kept here as the reference)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from music_tools.dupes.fuzzy import fuzzy_pairs
from music_tools.dupes.rules import (
    ARTIST_SIMILARITY,
    TITLE_SIMILARITY,
    durations_agree,
    names_a_song,
    normalized_names,
)
from music_tools.identity.normalize import metadata_hash
from music_tools.library import LibraryDatabase, LibraryFile, find_duplicates
from support.factories import library_file

ARTISTS = ["Massive Attack", "Massive Atack", "Masive Attack", "Massive Attak", "Mass Attack"]
TITLES = [
    "Teardrop", "Teardrp", "Teardorp", "Teardrop (Live)", "Teardrop Part 2", "Teardrop Part 3",
    "Teardrop 2", "Tears", "Teardrop Remix", "Teardrops", "Track 01", "Tea",
]  # fmt: skip
LENGTHS = [None, 0.0, 100.0, 101.0, 101.02, 180.0, 181.5, 300.0, 303.0, 303.04, 310.0]


def reference_pairs(files: list[LibraryFile]) -> Iterator[tuple[LibraryFile, LibraryFile]]:
    """Every row against every later one (what groups.py did before fuzzy.py)."""
    named = [
        (f, *normalized_names(f.artist, f.title))
        for f in files
        if f.artist and f.title and names_a_song(f)
    ]
    titles = [title for _, _, title, _ in named]
    for i, (first, artist_a, title_a, marks_a) in enumerate(named[:-1]):
        for _, _, j in process.extract(
            title_a,
            titles[i + 1 :],
            scorer=OSA.normalized_similarity,
            score_cutoff=TITLE_SIMILARITY,
            limit=None,
        ):
            second, artist_b, _, marks_b = named[i + 1 + j]
            if (
                marks_a == marks_b
                and OSA.normalized_similarity(artist_a, artist_b, score_cutoff=ARTIST_SIMILARITY)
                and first.metadata_hash != second.metadata_hash
                and durations_agree(first, second)
            ):
                yield first, second


def big_bucket(count: int, seed: int, typos: float = 0.0) -> list[LibraryFile]:
    """`count` rows of one bucket ("mas|te"): typos, version words, numbers, placeholder
    titles, lengths missing or on either side of the tolerance, tags shared by other names;
    with `typos`, that share of titles gets a letter changed (past the bucket's first two),
    so most names are rows of their own."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        artist, title = rng.choice(ARTISTS), rng.choice(TITLES)
        if len(title) > 3 and rng.random() < typos:
            at = rng.randrange(2, len(title))
            title = title[:at] + rng.choice("aeiorst") + title[at + 1 :]
        duration = rng.choice(LENGTHS)
        if duration and rng.random() < 0.3:
            duration += rng.uniform(-2, 2)
        key = metadata_hash(artist, title) if rng.random() < 0.9 else "shared"
        rows.append(
            library_file(i, artist=artist, title=title, duration=duration, metadata_hash=key)
        )
    return rows


def test_a_large_bucket_gives_the_pairs_of_the_pairwise_rule_in_its_order() -> None:
    for seed, typos in ((0, 0.0), (1, 0.0), (2, 0.8), (3, 0.8)):
        block = big_bucket(1_500, seed, typos)
        expected = list(reference_pairs(block))
        assert expected  # the corpus has pairs to find
        assert fuzzy_pairs(block) == expected


def test_find_duplicates_fuzzy_on_a_large_bucket_matches_the_pairwise_rule(
    tmp_path: Path,
) -> None:
    with LibraryDatabase(tmp_path / "library.db") as db:
        db.batch_insert_files(big_bucket(3_000, 7))
        blocks = list(db.matching.groups_by_key("fuzzy_block"))
        assert max(len(block) for block in blocks) >= 2_000
        for block in blocks:
            assert fuzzy_pairs(block) == list(reference_pairs(block))
        started = time.perf_counter()
        groups = list(find_duplicates(db, kinds=["fuzzy"]))
        assert time.perf_counter() - started < 30
    assert groups
    assert all(group.kind == "fuzzy" for group in groups)
