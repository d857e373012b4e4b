"""The judgement calls: string similarity, duration tolerance, and the fuzzy blocking key
(whose Python form must agree with the SQL expression the index is built on)."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest
from hypothesis import given
from hypothesis import strategies as st

from music_tools.dupes.rules import names_a_song, similarity, tolerance
from music_tools.models import LibraryFile
from music_tools.store.blocking import FUZZY_BLOCK_SQL, block_key


@pytest.mark.parametrize(
    ("first", "second", "alike"),
    [
        (("Nirvana", "Smells Like Teen Spirit"), ("Nirvana", "Smells Like Teen Sprit"), True),
        (("Pink Floyd", "Shine On Part I"), ("Pink Floyd", "Shine On Prat I"), True),
        (("Beatles", "Hey Jude"), ("The Beatels", "Hey Jude"), True),
        (("Pink Floyd", "Shine On Part I"), ("Pink Floyd", "Shine On Part II"), False),
        (("Beethoven", "Symphony No. 5"), ("Beethoven", "Symphony No. 6"), False),
        (("Portishead", "Roads"), ("Portishead", "Roads (Live)"), False),
        (("Portishead", "Roads"), ("Portishead", "Roads - Radio Edit"), False),
        (("Portishead", "Roads"), ("Massive Attack", "Roads"), False),
        (("Portishead", "Roads"), ("Portishead", "Road"), False),  # too short to be sure
    ],
)
def test_similarity(first: tuple[str, str], second: tuple[str, str], alike: bool) -> None:
    a = LibraryFile(artist=first[0], title=first[1])
    b = LibraryFile(artist=second[0], title=second[1])
    assert bool(similarity(a, b)) is alike


@pytest.mark.parametrize(
    ("artist", "title", "path", "names"),
    [
        ("Prince", "1999", "/m/a.flac", True),
        ("Sigur Rós", "Untitled #1", "/m/a.flac", True),
        (None, None, "/m/01 - Portishead - Roads.mp3", True),
        (None, None, "/m/cd1/Track 01.wav", False),
        (None, None, "/m/cd1/01.mp3", False),
        ("Unknown Artist", "Track 1", "/m/a.flac", False),
        ("[Unknown Artist]", "Hey Jude", "/m/a.flac", False),
        (None, "Hey Jude", "/m/a.flac", False),  # whose?
    ],
)
def test_placeholder_names_say_no_song(
    artist: str | None, title: str | None, path: str, names: bool
) -> None:
    assert names_a_song(LibraryFile(file_path=path, artist=artist, title=title)) is names


def test_tolerance_is_a_second_or_one_percent() -> None:
    assert tolerance(3.0, 3.5) == 1.0
    assert tolerance(240.0, 300.0) == 3.0


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(" Tthe"),
    max_size=12,
)


@given(artist=st.one_of(st.none(), _TEXT), title=st.one_of(st.none(), _TEXT))
def test_the_python_block_key_equals_the_indexed_sql_expression(
    artist: str | None, title: str | None
) -> None:
    conn = apsw.Connection(":memory:")
    query = f"SELECT {FUZZY_BLOCK_SQL} FROM (SELECT ? AS artist, ? AS title)"
    assert conn.execute(query, (artist, title)).get == block_key(artist, title)


def test_candidate_lookups_and_grouping_use_the_indexes(tmp_path: Path) -> None:
    from music_tools.library import LibraryDatabase
    from music_tools.store.keys import KEY_EXPRESSIONS

    with LibraryDatabase(tmp_path / "lib.db") as db:
        for expression in KEY_EXPRESSIONS.values():
            lookup = db.connection.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM library_index "
                f"WHERE is_active = 1 AND {expression} IN (?, ?)",
                ("a", "b"),
            ).fetchall()
            assert "USING INDEX" in str(lookup) or "USING COVERING INDEX" in str(lookup)
            grouping = db.connection.execute(
                f"EXPLAIN QUERY PLAN SELECT {expression} FROM library_index "
                f"WHERE is_active = 1 AND {expression} IS NOT NULL GROUP BY {expression}"
            ).fetchall()
            plan = str(grouping)  # an index walked in key order: no sort, no temporary table
            assert "USING" in plan and "INDEX" in plan and "TEMP B-TREE" not in plan, plan
