"""CBR, VBR or ABR lives in the library row (`bitrate_mode`, schema version 11): stored and
read back on both stores, and added in place, NULL, to a library from before."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from music_tools.errors import SchemaError
from music_tools.library import LibraryDatabase
from music_tools.store.schema import LATEST_VERSION, migrate
from support.factories import library_file


def test_the_bitrate_mode_is_stored_and_read_back(db: LibraryDatabase) -> None:
    files = [library_file(1, bitrate_mode="VBR"), library_file(2, bitrate_mode=None)]
    db.batch_insert_files(files)
    rows = db.batch_get_files_by_paths([f.file_path for f in files])
    assert {path: row.bitrate_mode for path, row in rows.items() if row} == {
        files[0].file_path: "VBR",
        files[1].file_path: None,
    }
    db.batch_update_files([library_file(1, bitrate_mode="CBR")])
    row = db.get_file_by_path(files[0].file_path)
    assert row is not None and row.bitrate_mode == "CBR"


def test_a_library_from_before_gets_the_column_in_place(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    conn = apsw.Connection(str(path))
    migrate(conn, target=10)  # the schema before the bitrate mode was stored
    conn.execute(
        "INSERT INTO library_index (file_path, directory, is_active, reader_version) "
        "VALUES ('/m/a.mp3', '/m', 1, 1)"
    )
    conn.close()
    with pytest.raises(SchemaError, match="older"):
        LibraryDatabase(path, readonly=True)  # a reading command never migrates
    with LibraryDatabase(path) as db:
        assert db.connection.execute("PRAGMA user_version").get == LATEST_VERSION == 11
        row = db.get_file_by_path("/m/a.mp3")
        assert row is not None and row.bitrate_mode is None
