"""The indexer never loses a file silently: what the store rejects is a recorded error,
a file denied before is retried once readable, special files are counted."""

from __future__ import annotations

import os
from pathlib import Path

import apsw

from music_tools.index import ScanOptions
from music_tools.index.writer import Writer
from music_tools.library import LibraryDatabase, LibraryIndexer
from support.audio_factory import Tags, make_audio
from support.factories import library_file
from support.nobody import as_nobody, shared_folder


def run(db: LibraryDatabase, root: Path, **options: bool):  # type: ignore[no-untyped-def]
    return LibraryIndexer(db, 1, options=ScanOptions(**options)).index([root])


def test_a_track_number_too_large_is_stored_without_it(db: LibraryDatabase, tmp_path: Path) -> None:
    path = make_audio(
        tmp_path / "lib" / "a.flac", "flac", tags=Tags(track="123456789012345678901234567890")
    )
    report = run(db, tmp_path / "lib")
    assert (report.new, report.errors) == (1, 0)
    stored = db.get_file_by_path(str(path))
    assert stored is not None and stored.track_number is None
    assert run(db, tmp_path / "lib").unchanged == 1


def test_rows_the_store_rejects_become_recorded_errors(db: LibraryDatabase) -> None:
    writer = Writer(db, rows=100, seconds=60)
    good, bad = library_file(1), library_file(2, track_number=2**70)
    writer.upserts += [good, bad]
    rejected = writer.commit()
    assert [f.file_path for f in rejected] == [bad.file_path]
    assert "too large" in rejected[0].reason
    assert db.get_file_by_path(good.file_path) is not None
    recorded = {f.file_path: f for f in db.scan_errors}
    assert list(recorded) == [bad.file_path]
    assert recorded[bad.file_path].file_size == bad.file_size


def _index(db: str, root: str) -> list[object]:
    with LibraryDatabase(db) as store:
        report = LibraryIndexer(store, 1).index([root])
    return [report.new, report.errors, report.known_errors, [f.reason for f in report.failures]]


def test_a_file_the_store_refuses_while_indexing_is_an_error_not_new(tmp_path: Path) -> None:
    """The report counts each file once, by what happened to it in the end: written as
    new, or refused by the store (here an SQLite trigger refuses one name)."""
    root = tmp_path / "lib"
    for name in ("a.flac", "refused.flac", "b.flac"):
        make_audio(root / name, "flac", tags=Tags(title=name))
    with LibraryDatabase(tmp_path / "lib.db") as db:
        assert db.count_files() == 0  # the schema is made
    connection = apsw.Connection(str(tmp_path / "lib.db"))
    connection.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON library_index WHEN NEW.filename = "
        "'refused.flac' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
    )
    connection.close()
    with LibraryDatabase(tmp_path / "lib.db") as db:
        report = run(db, root)
        assert (report.new, report.errors, db.count_files()) == (2, 1, 2)
        (failure,) = report.failures
        assert failure.file_path == str(root / "refused.flac")
        assert failure.reason.startswith("could not be stored: ")
        assert [f.file_path for f in db.scan_errors] == [failure.file_path]


def test_a_file_denied_before_is_retried_once_it_is_readable() -> None:
    with shared_folder("mt-denied-") as shared:
        shared.chmod(0o777)
        root = shared / "lib"
        path = make_audio(root / "a.flac", "flac", tags=Tags())
        root.chmod(0o777)
        path.chmod(0o000)
        db = str(shared / "lib.db")
        assert as_nobody(_index, db, str(root)) == [0, 1, 0, ["permission denied"]]
        path.chmod(0o644)  # the fix changes the ctime only: size and mtime are the same
        assert as_nobody(_index, db, str(root)) == [1, 0, 0, []]


def test_special_files_are_reported(db: LibraryDatabase, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    make_audio(root / "a.flac", "flac", tags=Tags())
    os.mkfifo(root / "pipe.mp3")
    os.mkfifo(root / "pipe.txt")
    report = run(db, root)
    assert {(os.path.basename(f.file_path), f.reason) for f in report.failures} == {
        ("pipe.mp3", "not a regular file (a FIFO)")
    }
    report = run(db, root, all_files=True)
    assert {os.path.basename(f.file_path) for f in report.failures} == {"pipe.mp3", "pipe.txt"}
