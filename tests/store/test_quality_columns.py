"""The quality verdict lives in the library row (schema version 10): stored, read back with
the row, cleared when the file changes, and added in place to a library from before."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from music_tools.errors import SchemaError
from music_tools.library import LibraryDatabase
from music_tools.review.keepers import verdict_of
from music_tools.store.quality import QualityRow
from music_tools.store.schema import LATEST_VERSION, migrate
from support.factories import library_file


def _verdict(row_id: int, size: int | None, mtime_ns: int | None) -> QualityRow:
    reason = "cut off at 16.5 kHz: likely made from a 128 kbps MP3"
    return QualityRow(
        row_id, size, mtime_ns, ("lossy_source", reason, 16_500, "MP3 128 kbps", None, 16, 1)
    )


def test_a_verdict_is_stored_in_its_row_and_read_back(db: LibraryDatabase) -> None:
    db.batch_insert_files([library_file(1), library_file(2)])
    first, second = (db.get_file_by_path(library_file(i).file_path) for i in (1, 2))
    assert first is not None and second is not None and first.id is not None
    assert first.quality_verdict is None and db.quality.count_stale(1) == 2
    assert db.quality.save([_verdict(first.id, first.file_size, first.file_mtime_ns)]) == 1
    row = db.get_file_by_path(first.file_path)
    assert row is not None
    assert (row.quality_verdict, row.quality_cutoff_hz, row.quality_likely_source) == (
        "lossy_source", 16_500, "MP3 128 kbps",
    )  # fmt: skip
    assert (row.quality_effective_bits, row.quality_version) == (16, 1)
    assert row.quality_reason and row.quality_reason.startswith("cut off at 16.5 kHz")
    assert verdict_of(row) == "lossy_source"  # what the review page's rules read
    assert [r.row_id for r in db.quality.stale(1)] == [second.id]
    assert db.quality.count_stale(2) == 2  # a newer analysis redoes it


def test_a_verdict_of_a_file_changed_since_is_not_stored(db: LibraryDatabase) -> None:
    db.batch_insert_files([library_file(1)])
    row = db.get_file_by_path(library_file(1).file_path)
    assert row is not None and row.id is not None and row.file_size is not None
    assert db.quality.save([_verdict(row.id, row.file_size + 1, row.file_mtime_ns)]) == 0
    assert db.quality.count_stale(1) == 1


def test_a_row_written_again_for_a_changed_file_loses_its_verdict(db: LibraryDatabase) -> None:
    db.batch_insert_files([library_file(1)])
    row = db.get_file_by_path(library_file(1).file_path)
    assert row is not None and row.id is not None
    db.quality.save([_verdict(row.id, row.file_size, row.file_mtime_ns)])
    db.batch_insert_files([library_file(1, file_size=5)])  # as the indexer writes a changed file
    again = db.get_file_by_path(row.file_path)
    assert again is not None and again.quality_verdict is None and again.quality_version is None


def test_a_library_from_before_gets_the_columns_in_place(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    conn = apsw.Connection(str(path))
    migrate(conn, target=9)  # the schema before verdicts were stored
    conn.execute(
        "INSERT INTO library_index (file_path, directory, is_active) VALUES ('/m/a.flac', '/m', 1)"
    )
    conn.close()
    with pytest.raises(SchemaError, match="older"):
        LibraryDatabase(path, readonly=True)  # a reading command never migrates
    with LibraryDatabase(path) as db:
        assert db.connection.execute("PRAGMA user_version").get == LATEST_VERSION == 11
        row = db.get_file_by_path("/m/a.flac")
        assert row is not None and row.quality_verdict is None and row.quality_version is None
        assert db.quality.count_stale(1) == 1
