"""LibraryDatabase batch operations on real SQLite files."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace

import apsw
import pytest

from music_tools.library import BatchResult, LibraryDatabase, LibraryFile, RowError
from support.factories import library_file


def _without_id(file: LibraryFile | None) -> LibraryFile | None:
    return None if file is None else replace(file, id=None, machine=None)


def test_batch_insert_then_lookup_by_path_returns_equal_rows(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(1_000)]
    assert db.batch_insert_files(files).written == 1_000
    found = db.batch_get_files_by_paths(f.file_path for f in files)
    assert [_without_id(found[f.file_path]) for f in files] == files
    assert all(f is not None and f.id is not None for f in found.values())


def test_lookup_reports_unknown_paths_as_none(db: LibraryDatabase) -> None:
    db.batch_insert_files([library_file(1)])
    found = db.batch_get_files_by_paths([library_file(1).file_path, "/nowhere.mp3"])
    assert found["/nowhere.mp3"] is None
    assert found[library_file(1).file_path] is not None


@pytest.mark.parametrize(
    ("hash_type", "field"),
    [
        ("metadata", "metadata_hash"),
        ("audio_key", "audio_key"),
        ("audio", "audio_hash"),
        ("content", "file_content_hash"),
        ("metadata_hash", "metadata_hash"),  # the key names, as everywhere else
        ("audio_hash", "audio_hash"),
        ("file_content_hash", "file_content_hash"),
    ],
)
def test_hash_lookup_groups_active_rows_by_each_key_kind(
    db: LibraryDatabase, hash_type: str, field: str
) -> None:
    files = [library_file(i, **{field: f"key-{i % 3}"}) for i in range(30)]
    db.batch_insert_files(files)
    db.batch_mark_inactive([files[0].file_path])
    found = db.batch_get_files_by_hashes(["key-0", "key-1", "key-9"], hash_type)  # type: ignore[arg-type]
    assert sorted(f.file_path for f in found["key-0"]) == sorted(f.file_path for f in files[3::3])
    assert len(found["key-1"]) == 10
    assert found["key-9"] == []


def test_unknown_hash_type_is_a_clear_value_error(db: LibraryDatabase) -> None:
    with pytest.raises(ValueError, match="unknown hash_type 'md5'; use one of: metadata_hash, "):
        db.batch_get_files_by_hashes(["x"], "md5")  # type: ignore[arg-type]


def test_batch_insert_of_an_existing_path_replaces_the_row_and_keeps_its_id(
    db: LibraryDatabase,
) -> None:
    original = library_file(7)
    db.batch_insert_files([original])
    first_id = db.get_file_by_path(original.file_path).id  # type: ignore[union-attr]
    assert db.batch_insert_files([replace(original, title="New title")]).written == 1
    again = db.get_file_by_path(original.file_path)
    assert again is not None
    assert (again.id, again.title) == (first_id, "New title")
    assert db.count_files() == 1


def test_batch_update_changes_existing_rows_and_counts_only_those(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(500)]
    db.batch_insert_files(files)
    changed = [replace(f, year=1900, genre="Changed") for f in files[:300]]
    missing = [library_file(10_000 + i) for i in range(5)]
    assert db.batch_update_files(changed + missing).written == 300
    found = db.batch_get_files_by_paths(f.file_path for f in files)
    assert sum(1 for f in found.values() if f is not None and f.year == 1900) == 300
    assert db.count_files() == 500


def test_mark_inactive_keeps_rows_but_hides_them_from_hash_lookups(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(100)]
    db.batch_insert_files(files)
    gone = [f.file_path for f in files[:40]]
    assert db.batch_mark_inactive(gone).written == 40
    assert db.count_files() == 60
    assert db.count_files(active_only=False) == 100
    row = db.get_file_by_path(gone[0])
    assert row is not None and row.is_active is False
    assert db.get_files_by_hash(files[0].metadata_hash or "", "metadata") == []


def test_batch_delete_removes_rows(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(100)]
    db.batch_insert_files(files)
    assert db.batch_delete_files(f.file_path for f in files[:25]).written == 25
    assert db.count_files(active_only=False) == 75
    assert db.get_file_by_path(files[0].file_path) is None


def test_one_bad_row_among_ten_thousand_is_reported_and_the_rest_written(
    db: LibraryDatabase,
) -> None:
    files = [library_file(i) for i in range(10_000)]
    files[4_321] = replace(files[4_321], file_size=2**70)  # cannot be stored as INTEGER
    result = db.batch_insert_files(files)
    assert result.written == 9_999
    assert isinstance(result, BatchResult)
    assert [f.key for f in result.failures] == [files[4_321].file_path]
    assert "too large" in result.failures[0].reason
    assert db.last_batch_result.failures == result.failures
    assert db.count_files() == 9_999
    assert db.get_file_by_path(files[4_321].file_path) is None
    assert db.get_file_by_path(files[4_322].file_path) is not None


def test_rows_breaking_constraints_are_isolated(db: LibraryDatabase) -> None:
    good = [library_file(i) for i in range(1_200)]
    bad_none_path = replace(library_file(5_000), file_path=None)  # type: ignore[arg-type]
    bad_text = library_file(5_001, artist="broken \udcff surrogate")
    items = [*good[:400], bad_none_path, *good[400:800], bad_text, *good[800:]]
    result = db.batch_insert_files(items, batch_size=250)
    assert result.written == 1_200
    reasons = {f.key: f.reason for f in result.failures}
    assert set(reasons) == {"None", bad_text.file_path}
    assert "NOT NULL" in reasons["None"]
    assert "not valid Unicode" in reasons[bad_text.file_path]
    assert db.count_files() == 1_200


@pytest.mark.parametrize("wrong", [None, "not a file", 42])
def test_an_item_that_is_not_a_library_file_is_a_type_error(
    db: LibraryDatabase, wrong: object
) -> None:
    """A wrong item is the caller's mistake, not a row the database refused: it raises,
    and nothing of the call is written."""
    items = [library_file(1), wrong, library_file(2)]
    with pytest.raises(TypeError, match="not an item this write takes"):
        db.batch_insert_files(items)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not an item this write takes"):
        db.add_file(wrong)  # type: ignore[arg-type]
    assert db.count_files(active_only=False) == 0


@pytest.mark.parametrize("wrong", [None, 42, library_file(1)])
def test_a_path_that_is_not_a_string_is_a_type_error(db: LibraryDatabase, wrong: object) -> None:
    db.batch_insert_files([library_file(1)])
    for write in (db.batch_delete_files, db.batch_mark_inactive):
        with pytest.raises(TypeError, match="not an item this write takes"):
            write([library_file(1).file_path, wrong])  # type: ignore[list-item]
    assert db.count_files() == 1


def test_a_nul_character_in_a_tag_never_keeps_the_file_out(db: LibraryDatabase) -> None:
    """A tag may hold NUL (an MP4 freeform atom, a Vorbis comment); PostgreSQL's TEXT
    cannot, so it stores U+FFFD there rather than refuse the whole file."""
    files = [library_file(i) for i in range(3)]
    files[1] = replace(files[1], artist="Left\x00Right", title="\x00")
    result = db.batch_insert_files(files)
    assert (int(result), result.failures) == (3, ())
    stored = db.get_file_by_path(files[1].file_path)
    assert stored is not None
    assert stored.artist in ("Left\x00Right", "Left\ufffdRight")
    assert stored.metadata_hash == files[1].metadata_hash


def test_batch_result_is_plain_data_that_reads_as_its_count() -> None:
    result = BatchResult(3, (RowError("/a", "why"),)) + BatchResult(2)
    assert (result.written, result.failures) == (5, (RowError("/a", "why"),))
    assert int(result) == 5 and list(range(9))[result] == 5
    assert (str(result), f"{result}", f"{result:>3}") == ("5", "5", "  5")
    assert result != 5  # not an int: compare `written`
    assert hash(result) == hash(BatchResult(5, (RowError("/a", "why"),)))
    with pytest.raises(AttributeError):
        result.written = 1  # type: ignore[misc]


def test_the_seeds_insert_example_prints_the_count(
    db: LibraryDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [library_file(i) for i in range(3)]
    inserted_count = db.batch_insert_files(files)
    print(f"Inserted {inserted_count} files")
    assert capsys.readouterr().out == "Inserted 3 files\n"


def test_batch_operation_writes_everything_on_a_clean_exit(db: LibraryDatabase) -> None:
    with db.batch_operation("insert") as batch:
        for i in range(25_000):  # more than one internal flush
            batch.add(library_file(i))
    assert batch.result.written == 25_000
    assert db.count_files() == 25_000


@pytest.mark.parametrize("count", [10, 25_000])
def test_batch_operation_writes_nothing_when_its_block_raises(
    db: LibraryDatabase, count: int
) -> None:
    db.batch_insert_files([library_file(-1)])
    with pytest.raises(RuntimeError, match="boom"), db.batch_operation("insert") as batch:
        for i in range(count):
            batch.add(library_file(i))
        raise RuntimeError("boom")
    assert db.count_files() == 1
    db.batch_insert_files([library_file(1)])  # the database is usable afterwards
    assert db.count_files() == 2


@pytest.mark.parametrize("operation", ["update", "delete", "mark_inactive"])
def test_batch_operation_supports_every_write(db: LibraryDatabase, operation: str) -> None:
    files = [library_file(i) for i in range(50)]
    db.batch_insert_files(files)
    with db.batch_operation(operation) as batch:  # type: ignore[arg-type]
        for f in files[:20]:
            batch.add(replace(f, year=1) if operation == "update" else f.file_path)
    assert batch.result.written == 20
    expected_active = {"update": 50, "delete": 30, "mark_inactive": 30}[operation]
    assert db.count_files() == expected_active


def test_batch_operation_rejects_an_unknown_type(db: LibraryDatabase) -> None:
    with pytest.raises(ValueError, match="unknown operation_type"):
        db.batch_operation("upsert")  # type: ignore[arg-type]


@pytest.mark.sqlite_only
def test_in_lists_are_chunked_by_the_connections_variable_limit(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(1_000)]
    db.batch_insert_files(files)
    db.connection.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, 50)
    assert db.connection.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1) == 50
    found = db.batch_get_files_by_paths((f.file_path for f in files), batch_size=500)
    assert all(found[f.file_path] is not None for f in files)
    by_hash = db.batch_get_files_by_hashes((f.audio_key or "" for f in files), "audio_key")
    assert sum(len(v) for v in by_hash.values()) == 1_000
    with pytest.raises(apsw.SQLError, match="too many SQL variables"):  # the limit is real
        db.connection.execute(
            f"SELECT 1 FROM library_index WHERE id IN ({', '.join('?' * 500)})", list(range(500))
        )


@pytest.mark.slow
def test_a_generator_input_is_never_materialised(db: LibraryDatabase) -> None:
    def generated() -> Iterator[LibraryFile]:
        for i in range(60_000):
            yield library_file(i)

    tracemalloc.start()
    try:
        assert db.batch_insert_files(generated()).written == 60_000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 60,000 LibraryFiles with their strings take about 60 MB; a 500-row chunk, well under 5
    # (PostgreSQL COPYs 5,000 rows at a time: still a fraction of the whole).
    assert peak < (5_000_000 if db.dialect == "sqlite" else 20_000_000)


def test_non_utf8_path_round_trips_exactly(db: LibraryDatabase) -> None:
    raw = b"/music/caf\xe9/\xff\xfe track.mp3"
    path = os.fsdecode(raw)
    odd = library_file(
        1,
        file_path=path,
        filename=os.fsdecode(b"\xff\xfe track.mp3"),
        directory=os.fsdecode(b"/music/caf\xe9"),
    )
    plain = library_file(2, file_path="/music/Café/Ünïcode ♫.mp3")
    assert db.batch_insert_files([odd, plain]).written == 2
    found = db.batch_get_files_by_paths([path, plain.file_path])
    assert _without_id(found[path]) == odd
    assert os.fsencode(found[path].file_path) == raw  # type: ignore[union-attr]
    assert _without_id(found[plain.file_path]) == plain
    if db.dialect == "sqlite":
        query = "SELECT typeof(file_path), file_path FROM library_index"
        stored = dict(db.connection.execute(query))
        assert stored == {"blob": raw, "text": "/music/Café/Ünïcode ♫.mp3"}
    else:
        stored = {bytes(row[0]) for row in db.engine.fetch("SELECT file_path FROM library_index")}
        assert stored == {raw, "/music/Café/Ünïcode ♫.mp3".encode()}
    assert db.batch_mark_inactive([path]).written == 1
    assert db.batch_update_files([replace(odd, title="t", is_active=True)]).written == 1
    assert db.get_file_by_path(path).title == "t"  # type: ignore[union-attr]
    assert db.delete_file(path) is True
    assert db.add_file(odd) > 0
    assert _without_id(db.get_file_by_path(path)) == odd
