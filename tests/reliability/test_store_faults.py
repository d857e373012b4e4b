"""The store under pressure: a full disk, a lock held past the busy timeout, two indexers
on one database at once. A clear error or a finished run, nothing lost either way."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import apsw
import pytest

from conftest import integrity, rows, run_index, start_index, wait_until_gone
from music_tools.cli import ExitStatus
from music_tools.errors import DatabaseFullError
from music_tools.library import LibraryDatabase, LibraryIndexer


def grow(mount_point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=256m", str(mount_point)], check=True)


def test_a_full_disk_is_one_line_keeps_every_commit_and_resumes(
    big_library: tuple[Path, set[tuple[object, ...]]], small_disk: Path
) -> None:
    root, expected = big_library
    db = small_disk / "lib.db"
    process = start_index(db, root)
    _, stderr = process.communicate(timeout=300)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == ExitStatus.ERROR, stderr
    assert len(lines) == 1 and "the disk is full" in lines[0] and str(db) in lines[0], lines
    assert wait_until_gone(process.pid, 3.0) == []
    assert integrity(db) == "ok"
    kept = rows(db)
    assert kept and kept < expected  # what was committed before the fault is all there
    grow(small_disk)
    assert run_index(db, root).returncode == 0
    assert rows(db) == expected


def test_a_database_at_its_page_limit_is_a_full_error_and_keeps_earlier_batches(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    root, expected = big_library
    path = tmp_path / "capped.db"
    with LibraryDatabase(path) as db:
        # about 0.8 MB: full part-way through the load (which writes no key index until its end)
        db.connection.execute("PRAGMA max_page_count = 200")
        with pytest.raises(DatabaseFullError, match="disk is full"):
            LibraryIndexer(db, 1, batch_rows=100).index([root])
        kept = db.count_files()
    assert 0 < kept < len(expected)
    assert integrity(path) == "ok"
    assert run_index(path, root).returncode == 0
    assert rows(path) == expected


def test_a_lock_held_past_the_busy_timeout_is_announced_then_named(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    root, _ = big_library
    db = tmp_path / "locked.db"
    LibraryDatabase(db).close()
    holder = apsw.Connection(str(db))
    holder.execute("BEGIN IMMEDIATE")
    try:
        env = {**os.environ, "MUSIC_TOOLS_BUSY_TIMEOUT": "2"}
        done = subprocess.run(
            [*_index_command(db, root)], capture_output=True, text=True, env=env, timeout=120
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    lines = done.stderr.strip().splitlines()
    assert done.returncode == ExitStatus.ERROR, done.stderr
    assert lines[0] == "waiting for the database lock held by another process...", lines
    assert len(lines) == 2 and str(db) in lines[1] and "locked by another process" in lines[1]


def _index_command(db: Path, *roots: Path) -> list[str]:
    import sys

    return [sys.executable, "-m", "music_tools", "index", "-q", "--db", str(db), *map(str, roots)]


@pytest.fixture
def two_halves(big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path) -> list[Path]:
    source, _ = big_library
    halves = [tmp_path / "a", tmp_path / "b"]
    for number, folder in enumerate(sorted(source.iterdir())[:8]):
        shutil.copytree(folder, halves[number % 2] / folder.name)
    return halves


@pytest.mark.parametrize("same_root", [True, False], ids=["same-root", "different-roots"])
def test_two_indexers_at_once_end_with_the_rows_of_one_clean_run(
    two_halves: list[Path], tmp_path: Path, same_root: bool
) -> None:
    roots = [two_halves, two_halves] if same_root else [[two_halves[0]], [two_halves[1]]]
    reference = tmp_path / "reference.db"
    assert run_index(reference, *two_halves).returncode == 0
    db = tmp_path / "shared.db"
    LibraryDatabase(db).close()
    first, second = (start_index(db, *these) for these in roots)
    outcomes = [process.communicate(timeout=300) for process in (first, second)]
    for process, (_, stderr) in zip((first, second), outcomes, strict=True):
        assert process.returncode == 0, stderr
        assert wait_until_gone(process.pid, 3.0) == []  # the resource tracker ends last
    assert integrity(db) == "ok"
    assert rows(db) == rows(reference)
