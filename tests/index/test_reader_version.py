"""Rows are versioned by the reader that read them (review D1): the rows of a library from
before (schema version 8 and older) are of version 0 after the upgrade, and the next index
reads their files again (counted as re-read), once."""

from __future__ import annotations

import os
from pathlib import Path

import apsw

from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.read.extract import READER_VERSION
from music_tools.store.schema import migrate
from support.audio_factory import Tags, make_audio


def test_rows_of_a_library_from_before_are_read_again_once(tmp_path: Path) -> None:
    song = make_audio(tmp_path / "Music" / "a.flac", "flac", seconds=0.2, tags=Tags())
    stat = os.stat(song)
    path = tmp_path / "lib.db"
    conn = apsw.Connection(str(path))
    migrate(conn, target=8)  # the schema before rows were versioned
    conn.execute(
        "INSERT INTO library_index (file_path, filename, directory, library_root, file_size, "
        "file_mtime_ns, title, is_active, metadata_version) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 2)",
        (str(song), song.name, str(song.parent), str(song.parent), stat.st_size,
         stat.st_mtime_ns, "as an old reader read it"),
    )  # fmt: skip
    conn.close()
    with LibraryDatabase(path) as db:
        old = db.get_file_by_path(str(song))
        assert old is not None and old.reader_version == 0
        report = LibraryIndexer(db, 1).index([song.parent])
        assert (report.reread, report.unchanged, report.new) == (1, 1, 0)
        row = db.get_file_by_path(str(song))
        assert row is not None and row.reader_version == READER_VERSION
        assert row.title == "Test Title" and row.id == old.id
        again = LibraryIndexer(db, 1).index([song.parent])
        assert (again.reread, again.unchanged) == (0, 1)


def test_an_mp3_indexed_before_bitrate_modes_gets_its_mode_at_the_next_index(
    tmp_path: Path,
) -> None:
    """Rows of reader version 1 (before CBR/VBR was read) are read again, and so filled."""
    song = make_audio(tmp_path / "Music" / "a.mp3", "mp3", seconds=0.5, tags=Tags())
    path = tmp_path / "lib.db"
    with LibraryDatabase(path) as db:
        LibraryIndexer(db, 1).index([song.parent])
        db.connection.execute("UPDATE library_index SET reader_version = 1, bitrate_mode = NULL")
        report = LibraryIndexer(db, 1).index([song.parent])
        assert (report.reread, report.unchanged) == (1, 1)
        row = db.get_file_by_path(str(song))
        assert row is not None and row.bitrate_mode == "VBR"  # libsndfile's LAME: VBR
        assert row.reader_version == READER_VERSION
