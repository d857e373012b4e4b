"""metadata_hash is versioned: keys made under older rules are recomputed from the stored
artist and title (no file read) when the library is next opened for writing."""

from __future__ import annotations

from pathlib import Path

import apsw

from music_tools.identity.normalize import NORMALIZATION_VERSION, metadata_hash
from music_tools.index import refresh_metadata_keys
from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.store.schema import LATEST_VERSION, migrate
from support.factories import library_file


def test_keys_of_older_rules_are_recomputed_without_reading_files(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    conn = apsw.Connection(str(path))
    migrate(conn, target=3)  # a library made before the rules were versioned
    conn.executemany(
        "INSERT INTO library_index (file_path, artist, title, metadata_hash, is_active) "
        "VALUES (?, ?, ?, ?, 1)",
        [
            ("/gone/a.flac", "Mark Ronson", "Uptown Funk (Feat. Bruno Mars)", "old-key-1"),
            ("/gone/03 - Someone - Song.mp3", None, None, "old-key-2"),
        ],
    )
    conn.close()
    with LibraryDatabase(path) as db:
        assert db.connection.execute("PRAGMA user_version").get == LATEST_VERSION
        LibraryIndexer(db, 1).index([tmp_path / "empty"])  # the files are not even there
        stored = {f.file_path: f for f in db.iter_files()}
    assert stored["/gone/a.flac"].metadata_hash == metadata_hash("Mark Ronson", "Uptown Funk")
    assert stored["/gone/03 - Someone - Song.mp3"].metadata_hash == metadata_hash("Someone", "Song")
    assert {f.metadata_version for f in stored.values()} == {NORMALIZATION_VERSION}


def test_current_keys_are_left_alone(db: LibraryDatabase) -> None:
    db.batch_insert_files(
        [library_file(1, metadata_version=NORMALIZATION_VERSION, metadata_hash="kept")]
    )
    assert refresh_metadata_keys(db) == 0
    assert next(db.iter_files()).metadata_hash == "kept"
