"""A first index loads without the secondary indexes and builds them at the end; a run
killed meanwhile leaves a database every command can use, and the next writer builds them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

from music_tools.library import LibraryDatabase, LibraryIndexer, Progress, find_duplicates
from music_tools.store.deferred_indexes import DEFERRED_KEY
from support.audio_factory import Tags, file_name, make_audio

_CLI = (sys.executable, "-m", "music_tools")


def indexes(db: Path) -> set[tuple[str, str]]:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return set(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        )
    finally:
        conn.close()


def pending(db: Path) -> bool:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return bool(conn.execute("SELECT 1 FROM meta WHERE key = ?", (DEFERRED_KEY,)).fetchall())
    finally:
        conn.close()


@pytest.fixture
def schema_indexes(tmp_path: Path) -> set[tuple[str, str]]:
    """The index set of a new library, as the migrations make it."""
    fresh = tmp_path / "fresh.db"
    LibraryDatabase(fresh).close()
    return indexes(fresh)


def make_library(root: Path, count: int) -> None:
    for i in range(count):
        fmt = ("flac", "mp3", "wav")[i % 3]
        tags = Tags(artist=f"Artist {i % 7}", title=f"Song {i}")
        make_audio(
            root / f"d{i % 10}" / file_name(fmt, f"{i:04d}"), fmt, seed=i, seconds=0.1, tags=tags
        )


def test_first_index_loads_without_the_key_indexes_and_ends_with_all_of_them(
    tmp_path: Path, schema_indexes: set[tuple[str, str]]
) -> None:
    make_library(tmp_path / "lib", 30)
    db_file = tmp_path / "library.db"
    seen_during: list[set[str]] = []

    def on_progress(progress: Progress) -> None:
        if progress.phase == "read" and not seen_during:
            seen_during.append({name for name, _ in indexes(db_file)})

    with LibraryDatabase(db_file) as db:
        report = LibraryIndexer(db, 1, on_progress=on_progress).index([tmp_path / "lib"])
    assert report.new == 30
    assert "idx_active_audio_key" not in seen_during[0]
    assert {"idx_library_path", "idx_library_directory"} <= seen_during[0]
    assert indexes(db_file) == schema_indexes
    assert not pending(db_file)


def test_an_index_of_a_large_library_keeps_its_indexes(
    tmp_path: Path, schema_indexes: set[tuple[str, str]]
) -> None:
    """A rescan, or an index into a library of many rows, writes through the indexes."""
    from support.factories import library_file

    make_library(tmp_path / "lib", 10)
    db_file = tmp_path / "library.db"
    with LibraryDatabase(db_file) as db:
        db.batch_insert_files(library_file(i) for i in range(10_000))
        with db.deferred_indexes() as deferred:
            assert not deferred
            assert indexes(db_file) == schema_indexes


@pytest.mark.slow
def test_a_first_index_killed_mid_load_leaves_a_usable_database(
    tmp_path: Path, schema_indexes: set[tuple[str, str]]
) -> None:
    root = tmp_path / "lib"
    make_library(root, 600)
    db_file = tmp_path / "library.db"
    process = subprocess.Popen(
        [*_CLI, "index", "--db", str(db_file), str(root), "-w", "1", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if pending(db_file) and _count(db_file) > 0:
                    break
            except apsw.Error:
                pass
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    assert pending(db_file)
    missing = schema_indexes - indexes(db_file)
    assert "idx_active_audio_key" in {name for name, _ in missing}
    before = db_file.read_bytes()
    for command in (["stats"], ["search", "artist:Artist"], ["export", "--format", "json"]):
        done = subprocess.run(
            [*_CLI, *command, "--db", str(db_file)], capture_output=True, check=False, timeout=120
        )
        assert done.returncode == 0, (command, done.stderr)
    with LibraryDatabase(db_file, readonly=True) as db:
        groups = list(find_duplicates(db))  # every kind, without its index
    assert groups
    assert db_file.read_bytes() == before  # the readers wrote nothing
    assert pending(db_file)

    LibraryDatabase(db_file).close()  # a writable open builds what the load left
    assert indexes(db_file) == schema_indexes
    assert not pending(db_file)
    done = subprocess.run(
        [*_CLI, "index", "--db", str(db_file), str(root), "-q"],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert _count(db_file) == 600
    assert indexes(db_file) == schema_indexes


def _count(db: Path) -> int:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return int(conn.execute("SELECT count(*) FROM library_index").get)
    finally:
        conn.close()


def test_a_load_inside_a_callers_transaction_keeps_the_indexes(tmp_path: Path) -> None:
    """Inside the caller's transaction nothing is dropped: the build at the end could not
    change its temporary storage there, and a failure would take the caller's rows."""
    from support.factories import library_file

    path = tmp_path / "l.db"
    with LibraryDatabase(path) as db:
        before = indexes(path)
        with db.atomic(), db.deferred_indexes() as dropped:
            db.batch_insert_files(library_file(i) for i in range(100))
            assert not dropped
        assert db.count_files() == 100
    assert indexes(path) == before


def test_an_index_that_ends_builds_what_another_killed_load_left(tmp_path: Path) -> None:
    """Process A dropped the indexes and died; B, already open, loads and finishes: B
    builds them, rather than leaving them to the next open."""
    from support.factories import library_file

    path = tmp_path / "l.db"
    LibraryDatabase(path).close()
    full = indexes(path)
    with LibraryDatabase(path) as b, LibraryDatabase(path) as a:
        killed = a.deferred_indexes()
        assert killed.__enter__()  # A dropped them, then never came back
        assert indexes(path) != full
        with b.deferred_indexes() as dropped:
            assert not dropped
            b.batch_insert_files(library_file(i) for i in range(50))
        assert indexes(path) == full
        assert not pending(path)
