"""Schema versions: a database made by an earlier version is upgraded in place."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from music_tools import SchemaError
from music_tools.library import LibraryDatabase
from music_tools.store.schema import LATEST_VERSION, migrate


def _seed_era_database(path: Path, rows: int) -> None:
    """A version-1 database (the seed design's table) holding `rows` rows."""
    conn = apsw.Connection(str(path))
    assert migrate(conn, target=1) == 0
    with conn:
        conn.executemany(
            "INSERT INTO library_index (file_path, filename, artist, title, file_format, "
            "file_size, file_mtime, metadata_hash, file_content_hash, is_active) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f"/m/{i}.flac" if i % 2 else f"/m/{i}.mp3",
                    f"{i}",
                    f"A{i}",
                    f"T{i}",
                    "flac" if i % 2 else "mp3",
                    1000 + i,
                    1_600_000_000.5 + i,
                    f"m{i}",
                    f"c{i}",
                    i % 3 != 0,
                )
                for i in range(rows)
            ],
        )
    conn.close()


def test_a_version_1_database_is_upgraded_in_place_with_no_row_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _seed_era_database(path, 1_000)
    with LibraryDatabase(path) as db:
        assert db.connection.execute("PRAGMA user_version").get == LATEST_VERSION == 11
        assert db.count_files(active_only=False) == 1_000
        assert db.count_files() == sum(1 for i in range(1_000) if i % 3 != 0)
        row = db.get_file_by_path("/m/7.flac")
        assert row is not None
        assert (row.artist, row.title, row.file_size) == ("A7", "T7", 1007)
        assert row.file_mtime_ns == 1_600_000_007_500_000_000
        assert row.is_lossless is True
        assert db.get_file_by_path("/m/8.mp3").is_lossless is False  # type: ignore[union-attr]
        assert db.get_files_by_hash("c7", "content")[0].file_path == "/m/7.flac"
        indexes = {r[0] for r in db.connection.execute("SELECT name FROM sqlite_master")}
        assert {"idx_active_audio_key", "idx_active_audio_hash", "scan_errors"} <= indexes
        assert db.connection.execute("PRAGMA integrity_check").get == "ok"


def test_reopening_an_up_to_date_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    with LibraryDatabase(path) as db:
        db.connection.execute("CREATE TABLE marker(x)")
    with LibraryDatabase(path) as db:
        assert db.connection.execute("PRAGMA user_version").get == LATEST_VERSION
        assert db.connection.execute("SELECT count(*) FROM marker").get == 0


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = apsw.Connection(str(path))
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer than this music-tools understands"):
        LibraryDatabase(path)


@pytest.mark.sqlite_only
def test_pragmas_are_the_documented_ones(db: LibraryDatabase) -> None:
    conn = db.connection
    assert conn.execute("PRAGMA journal_mode").get == "wal"
    assert conn.execute("PRAGMA synchronous").get == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").get == 1
    assert conn.execute("PRAGMA temp_store").get == 2  # MEMORY
    assert conn.execute("PRAGMA cache_size").get == -32_768


def test_rows_from_before_version_4_get_their_folder_and_an_index_on_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _seed_era_database(path, 100)
    conn = apsw.Connection(str(path))
    conn.execute("INSERT INTO library_index (file_path) VALUES (?)", (b"/m/caf\xe9/x.mp3",))
    conn.close()
    with LibraryDatabase(path) as db:
        folders = dict(
            db.connection.execute("SELECT directory, count(*) FROM library_index GROUP BY 1")
        )
        plan = db.connection.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM library_index WHERE directory = '/m'"
        ).fetchall()
    assert folders == {"/m": 100, b"/m/caf\xe9": 1}
    assert "idx_library_directory" in str(plan)


def test_optimize_gives_the_planner_statistics(tmp_path: Path) -> None:
    from support.factories import library_file

    with LibraryDatabase(tmp_path / "library.db") as db:
        db.batch_insert_files(library_file(i) for i in range(3_000))
        db.batch_get_files_by_hashes([library_file(5).audio_key or ""], "audio_key")
        db.optimize()
        analyzed = {index for _, index, _ in db.connection.execute("SELECT * FROM sqlite_stat1")}
    assert "idx_library_directory" in analyzed
