"""search folds case and accents as the identity keys do, on both stores: `bjork` finds
Björk, `земфира` finds ЗЕМФИРА, `strasse` finds Straße; a field term looks in its field
only; a library made before search folded finds its old rows as soon as it is upgraded."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.queries import search
from music_tools.store.schema import migrate
from support.audio_factory import Tags, make_audio

SONGS = [
    # artist, title, album, album artist, genre
    ("Björk", "Jóga", "Homogenic", "Björk", "Électronique"),
    ("BJORK", "Army of Me", "Post", None, "Pop"),
    ("Sigur Rós", "Hoppípolla", "Takk...", "Sigur Rós", "Post-rock"),
    ("ЗЕМФИРА", "Хочешь?", "Прости меня моя любовь", None, None),
    ("Kraftwerk", "Autobahn (Straße)", "Autobahn", None, "Elektronik"),
    ("Ólafur Arnalds", "Near Light", "Living Room Songs", None, None),
    ("Various", "Bjork Tribute", "Covers", "Björk Tribute Band", None),
]


@pytest.fixture
def indexed(db: LibraryDatabase, tmp_path: Path) -> LibraryDatabase:
    for i, (artist, title, album, album_artist, genre) in enumerate(SONGS):
        tags = Tags(artist, title, album, album_artist, genre=genre)
        make_audio(tmp_path / "lib" / f"{i}.mp3", "mp3", seed=i, seconds=0.1, tags=tags)
    LibraryIndexer(db, 1).index([tmp_path / "lib"])
    return db


def titles(db: LibraryDatabase, *terms: str) -> set[str | None]:
    return {f.title for f in search(db, list(terms))}


def test_a_free_word_matches_whatever_its_case_and_accents(indexed: LibraryDatabase) -> None:
    for word in ("bjork", "BJÖRK", "Björk", "bJoRk"):
        assert titles(indexed, word) == {"Jóga", "Army of Me", "Bjork Tribute"}, word
    assert titles(indexed, "joga") == titles(indexed, "JÓGA") == {"Jóga"}
    assert titles(indexed, "hoppipolla") == {"Hoppípolla"}
    assert titles(indexed, "sigur ros") == {"Hoppípolla"}
    assert titles(indexed, "земфира") == {"Хочешь?"}  # case beyond ASCII
    assert titles(indexed, "strasse") == titles(indexed, "STRASSE") == {"Autobahn (Straße)"}
    assert titles(indexed, "olafur") == {"Near Light"}


def test_a_field_term_looks_in_its_field_only(indexed: LibraryDatabase) -> None:
    assert titles(indexed, "artist:bjork") == {"Jóga", "Army of Me"}
    assert titles(indexed, "title:bjork") == {"Bjork Tribute"}
    assert titles(indexed, "albumartist:bjork") == {"Jóga", "Bjork Tribute"}
    assert titles(indexed, "album:прости") == {"Хочешь?"}
    assert titles(indexed, "genre:electronique") == {"Jóga"}
    assert titles(indexed, "genre:elektronik") == {"Autobahn (Straße)"}
    assert titles(indexed, "electronique") == set()  # free words do not look at the genre
    assert titles(indexed, "artist:bjork", "title:joga") == {"Jóga"}


def test_the_folded_text_is_kept_on_the_row_only_where_folding_changes_it(
    indexed: LibraryDatabase,
) -> None:
    folded = {f.title: f.search_text for f in indexed.iter_files()}
    assert folded["Jóga"] == "\x1f".join(["bjork", "joga", "homogenic", "bjork", "electronique"])
    assert folded["Army of Me"] is None  # all ASCII: the fields themselves are searched


@pytest.mark.sqlite_only
def test_a_library_from_before_search_folded_finds_its_old_rows(db_path: Path) -> None:
    conn = apsw.Connection(str(db_path))
    migrate(conn, target=7)
    conn.execute(
        "INSERT INTO library_index (file_path, directory, artist, title, is_active) "
        "VALUES ('/m/a.mp3', '/m', 'Björk', 'Jóga', 1), ('/m/b.mp3', '/m', 'Air', 'La', 1)"
    )
    conn.close()
    with LibraryDatabase(db_path) as db:  # the upgrade on the first writable open
        assert titles(db, "bjork") == {"Jóga"}
        assert titles(db, "la") == {"La"}


def test_a_catalog_from_before_search_folded_finds_its_old_rows(postgres_url: str) -> None:
    import psycopg

    from music_tools.store.postgres.schema import MIGRATIONS, VERSION_TABLE

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
        for version in (6, 7):
            migration = MIGRATIONS[version]
            assert isinstance(migration, str)
            conn.execute(migration)
        conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (7)")
        conn.execute(
            "INSERT INTO library_index (machine, file_path, artist, title, is_active) "
            "VALUES ('alpha', %s, 'Björk', 'Jóga', 1), ('alpha', %s, 'Air', 'La', 1)",
            (b"/m/a.mp3", b"/m/b.mp3"),
        )
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert titles(db, "bjork") == {"Jóga"}
        assert titles(db, "la") == {"La"}
