"""The seed's single-row methods, kept for compatibility and the sequential baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from music_tools import StoreError
from music_tools.library import LibraryDatabase, ScanFailure
from support.factories import library_file


def test_add_file_returns_the_row_id_and_get_reads_it_back(db: LibraryDatabase) -> None:
    first = db.add_file(library_file(1))
    second = db.add_file(library_file(2))
    assert second == first + 1
    row = db.get_file_by_path(library_file(2).file_path)
    assert row is not None and row.id == second
    assert replace(row, id=None, machine=None) == library_file(2)


def test_add_file_of_a_bad_row_raises_a_store_error_naming_the_path(db: LibraryDatabase) -> None:
    with pytest.raises(StoreError, match=r"/music/.*Title 3\.flac: number too large"):
        db.add_file(library_file(3, file_mtime_ns=2**64))
    assert db.count_files() == 0


def test_update_mark_inactive_delete_report_whether_a_row_was_there(db: LibraryDatabase) -> None:
    f = library_file(1)
    assert db.update_file(f) is False
    assert db.mark_inactive(f.file_path) is False
    assert db.delete_file(f.file_path) is False
    db.add_file(f)
    assert db.update_file(replace(f, genre="Jazz")) is True
    assert db.get_file_by_path(f.file_path).genre == "Jazz"  # type: ignore[union-attr]
    assert db.mark_inactive(f.file_path) is True
    assert db.count_files() == 0 and db.count_files(active_only=False) == 1
    assert db.delete_file(f.file_path) is True
    assert db.count_files(active_only=False) == 0


def test_get_files_by_hash_returns_every_active_row_with_it(db: LibraryDatabase) -> None:
    for i in range(3):
        db.add_file(library_file(i, audio_hash="same"))
    assert len(db.get_files_by_hash("same", "audio")) == 3
    assert db.get_files_by_hash("other", "audio") == []


def test_iter_files_streams_rows_in_path_order(db: LibraryDatabase) -> None:
    db.batch_insert_files(library_file(i) for i in range(2_500))
    db.batch_mark_inactive([library_file(0).file_path])
    paths = [f.file_path for f in db.iter_files()]
    assert len(paths) == 2_499 and paths == sorted(paths)
    assert sum(1 for _ in db.iter_files(active_only=False)) == 2_500


def test_atomic_block_commits_together_or_not_at_all(db: LibraryDatabase) -> None:
    with pytest.raises(KeyError), db.atomic():
        db.add_file(library_file(1))
        with db.atomic():
            db.batch_insert_files([library_file(2)])
        raise KeyError("abort")
    assert db.count_files() == 0
    with db.atomic():
        db.add_file(library_file(1))
        with pytest.raises(KeyError), db.atomic():
            db.add_file(library_file(2))
            raise KeyError("inner only")
    assert [f.file_path for f in db.iter_files()] == [library_file(1).file_path]


def test_a_write_inside_a_read_snapshot_is_refused_not_silently_discarded(
    db: LibraryDatabase,
) -> None:
    """The snapshot ends in a rollback: a write inside it would vanish (SQLite) or fail on a
    read-only transaction (PostgreSQL); both stores say so, the same way, before writing."""
    db.add_file(library_file(1))
    with pytest.raises(StoreError, match="inside a read snapshot"):
        for file in db.iter_files():
            db.mark_inactive(file.file_path)
    with db.reading():
        assert db.count_files() == 1
    db.add_file(library_file(2))  # the store is usable afterwards
    assert db.count_files() == 2


def test_opening_a_database_in_a_missing_folder_is_a_clear_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        LibraryDatabase(tmp_path / "no" / "such" / "library.db")


def test_opening_a_file_that_is_not_a_database_is_a_clear_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(
        StoreError, match=r"junk\.db: not a music-tools library: not an SQLite database"
    ):
        LibraryDatabase(junk)


def test_scan_errors_are_kept_with_their_first_sighting_and_cleared(db: LibraryDatabase) -> None:
    first = ScanFailure("/m/bad.flac", "truncated FLAC stream", 10, 1, "/m", 100.0, 100.0)
    assert db.scan_errors.record([first]).written == 1
    later = replace(
        first, reason="not an audio file", file_size=11, first_seen_at=200.0, last_seen_at=200.0
    )
    db.scan_errors.record([later])
    stored = db.scan_errors.get_by_paths(["/m/bad.flac", "/m/other.flac"])
    assert list(stored) == ["/m/bad.flac"]
    assert stored["/m/bad.flac"] == replace(later, first_seen_at=100.0)
    assert len(db.scan_errors) == 1 and list(db.scan_errors) == [stored["/m/bad.flac"]]
    assert db.scan_errors.clear(["/m/bad.flac"]).written == 1
    assert len(db.scan_errors) == 0
