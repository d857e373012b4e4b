"""Library calls behind stats, search and relocate, on real SQLite files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from music_tools.errors import StoreError
from music_tools.library import LibraryDatabase
from music_tools.queries import SearchError, relocate, search
from support.factories import library_file


@pytest.mark.parametrize(
    ("old", "new", "before", "after"),
    [
        ("/", "/mnt", "/tmp/x.wav", "/mnt/tmp/x.wav"),
        ("/tmp/lib", "/", "/tmp/lib/x.wav", "/x.wav"),
        ("/tmp/lib/", "/srv/music/", "/tmp/lib/a/x.wav", "/srv/music/a/x.wav"),
        ("/tmp/lib", "/srv//music", "/tmp/lib/x.wav", "/srv/music/x.wav"),
    ],
)
def test_relocate_normalizes_prefixes_and_handles_the_root_folder(
    db: LibraryDatabase, old: str, new: str, before: str, after: str
) -> None:
    root = os.path.dirname(before)
    db.batch_insert_files([library_file(1, file_path=before, directory=root, library_root=root)])
    db.batch_insert_files([library_file(2, file_path="/tmpfoo/y.wav", library_root="/tmpfoo")])
    moved = relocate(db, old, new)
    assert db.get_file_by_path(after) is not None
    assert db.get_file_by_path(before) is None
    assert moved == (2 if old == "/" else 1)
    if old != "/":
        assert db.get_file_by_path("/tmpfoo/y.wav") is not None


def test_search_by_path_finds_names_that_are_not_utf8(db: LibraryDatabase) -> None:
    odd = os.fsdecode(b"/music/caf\xe9/track.flac")
    db.batch_insert_files([library_file(1, file_path=odd), library_file(2)])
    assert [f.file_path for f in search(db, ["path:caf"])] == [odd]
    assert [f.file_path for f in search(db, [os.fsdecode(b"caf\xe9")])] == [odd]
    assert [f.file_path for f in search(db, "path:track.flac")] == [odd]


def test_search_by_path_matches_as_sqlite_does_beside_names_that_are_not_utf8(
    db: LibraryDatabase,
) -> None:
    """Byte-wise, ASCII letters in any case: a UTF-8 word still finds a path that has an
    odd byte elsewhere, a backslash matches only a backslash, and `É` is not `é`."""
    odd = os.fsdecode(b"/music/caf\xc3\xa9/\xff.flac")
    slash = "/music/back\\slash.flac"
    db.batch_insert_files([library_file(1, file_path=odd), library_file(2, file_path=slash)])
    assert [f.file_path for f in search(db, ["path:café"])] == [odd]
    assert [f.file_path for f in search(db, ["path:CAFÉ"])] == []
    assert [f.file_path for f in search(db, ["path:MUSIC/CAF"])] == [odd]
    assert [f.file_path for f in search(db, ["path:\\"])] == [slash]
    assert [f.file_path for f in search(db, [os.fsdecode(b"\xc3\xa9/\xff")])] == [odd]


@pytest.mark.sqlite_only
def test_a_term_longer_than_sqlite_accepts_is_a_search_error(db: LibraryDatabase) -> None:
    with pytest.raises(SearchError, match="too long"):
        list(search(db, ["x" * 60_000]))


def test_a_lock_held_by_another_connection_is_announced_then_named(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    LibraryDatabase(path).close()
    waited: list[str] = []
    holder = LibraryDatabase(path)
    with holder.atomic():
        holder.batch_insert_files([library_file(1)])
        waiter = LibraryDatabase(path, busy_timeout=1.5, on_wait=lambda: waited.append("wait"))
        with pytest.raises(Exception, match=r"lib\.db: the database is locked") as raised:
            waiter.batch_insert_files([library_file(2)])
        waiter.close()
    holder.close()
    assert waited == ["wait"]
    assert type(raised.value).__name__ == "DatabaseLockedError"


def test_relocating_onto_files_the_library_has_names_the_database(db: LibraryDatabase) -> None:
    db.batch_insert_files([library_file(1, file_path="/old/a.flac", library_root="/old")])
    db.batch_insert_files([library_file(2, file_path="/new/a.flac", library_root="/new")])
    with pytest.raises(StoreError, match="the library already has files there") as raised:
        relocate(db, "/old", "/new")
    assert raised.value.path == db.path
    assert str(raised.value).startswith(f"{db.path}: cannot relocate /old to /new")


def test_a_store_error_is_made_one_way_with_a_path_and_a_reason() -> None:
    assert str(StoreError("lib.db", "locked")) == "lib.db: locked"
    assert str(StoreError("", "no database named")) == "no database named"
    with pytest.raises(TypeError):
        StoreError("a message alone")  # type: ignore[call-arg]
