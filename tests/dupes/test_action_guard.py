"""Acting on one file: the copy that stays is re-checked inside the action (on disk and in
the library), a copy across file systems that fails leaves no `.part` behind, and a trash
that cannot be made is named."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from music_tools.dupes.actions import Action, Outcome, apply_actions, plan_group_actions
from music_tools.library import LibraryDatabase, LibraryIndexer, find_duplicates
from support.audio_factory import identical_pairs

COMMAND = (sys.executable, "-m", "music_tools")


def _plan(db: LibraryDatabase, lib: Path, spare: Path) -> list[Action]:
    """Keep the copies in lib/A, move those in lib/B to `spare`."""
    groups = list(find_duplicates(db, ["exact"], [str(lib / "A")]))
    return plan_group_actions(groups, str(spare), trash=False)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[LibraryDatabase, Path]]:
    lib = tmp_path / "lib"
    identical_pairs(lib, 1, 0.01)
    with LibraryDatabase(tmp_path / "library.db") as db:
        LibraryIndexer(db, workers=1).index([lib])
        yield db, lib


def test_a_keeper_whose_row_no_longer_points_at_it_counts_as_gone(
    pair: tuple[LibraryDatabase, Path], tmp_path: Path
) -> None:
    db, lib = pair
    (action,) = _plan(db, lib, tmp_path / "spare")
    assert action.keep == str(lib / "A" / "s0.wav")
    keeper = db.get_file_by_path(action.keep)
    assert keeper is not None and keeper.id is not None
    with db.atomic():  # another run moved the keeper's row away (its file is still seen)
        db.matching.move_row(keeper.id, str(tmp_path / "elsewhere" / "s0.wav"), None)
    (outcome,) = apply_actions(db, [action], None, apply=True)
    assert outcome.status == "skipped", outcome
    assert "the copy that stays" in outcome.reason
    assert (lib / "B" / "s0.wav").exists()


def test_a_keeper_moved_while_the_action_waits_for_the_database_is_seen_gone(
    pair: tuple[LibraryDatabase, Path], tmp_path: Path
) -> None:
    """The keeper is checked after the write lock is had, right before the rename: a
    keeper moved meanwhile (by a process that takes no run lock) stops the action."""
    db, lib = pair
    (action,) = _plan(db, lib, tmp_path / "spare")
    holder = apsw.Connection(str(tmp_path / "library.db"))
    holder.execute("BEGIN IMMEDIATE")
    outcomes: list[Outcome] = []
    acting = threading.Thread(
        target=lambda: outcomes.extend(apply_actions(db, [action], None, True))
    )
    try:
        acting.start()
        time.sleep(0.5)  # it is waiting for the write lock now
        os.rename(lib / "A" / "s0.wav", tmp_path / "s0.wav")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    acting.join(30)
    (outcome,) = outcomes
    assert outcome.status == "skipped", outcome
    assert (lib / "B" / "s0.wav").exists()


def _fill(folder: Path) -> None:
    filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(filler, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(filler)


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_move_to_a_full_disk_leaves_no_part_file_and_undo_neither(
    tmp_path: Path, small_disk: Path
) -> None:
    lib, db, log = tmp_path / "lib", tmp_path / "library.db", tmp_path / "a.jsonl"
    identical_pairs(lib, 3, 2.5)  # 3 pairs of 440 KB: two fit on the small disk, the third does not
    assert _run("index", "-q", "--db", db, lib).returncode == 0
    args = ("--kinds", "exact", "--root", lib / "A", "--move-to", small_disk, "--log", log)
    moved = _run("dupes", "-q", "--db", db, *args, "--apply")
    assert moved.returncode == 1, moved.stderr
    assert "failed: " in moved.stderr and "no space left" in moved.stderr.lower()
    assert _parts(small_disk) == []
    assert len(list((lib / "B").iterdir())) == 1  # the copy that did not fit is still here
    undone = _run("undo", "--db", db, log)
    assert undone.returncode == 0, undone.stderr
    assert _parts(small_disk) == [] and not any(small_disk.rglob("*.wav"))
    assert sorted(p.name for p in (lib / "B").iterdir()) == ["s0.wav", "s1.wav", "s2.wav"]


def test_undo_onto_a_full_disk_leaves_no_part_file(tmp_path: Path, small_disk: Path) -> None:
    lib, db, log = small_disk / "lib", tmp_path / "library.db", tmp_path / "a.jsonl"
    identical_pairs(lib, 1, 2.5)
    assert _run("index", "-q", "--db", db, lib).returncode == 0
    spare = tmp_path / "spare"
    args = ("--kinds", "exact", "--root", lib / "A", "--move-to", spare, "--log", log)
    assert _run("dupes", "-q", "--db", db, *args, "--apply").returncode == 0
    assert (spare / "B" / "s0.wav").exists()
    _fill(small_disk)
    undone = _run("undo", "--db", db, log)
    assert undone.returncode == 1, undone.stderr
    assert "no space left" in undone.stderr.lower()
    assert _parts(small_disk) == []
    assert (spare / "B" / "s0.wav").exists() and not (lib / "B" / "s0.wav").exists()


def test_a_trash_that_cannot_be_made_is_named_not_the_music_file(tmp_path: Path) -> None:
    lib, db = tmp_path / "lib", tmp_path / "library.db"
    identical_pairs(lib, 1, 0.01)
    assert _run("index", "-q", "--db", db, lib).returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    (data / "Trash").write_text("a file where the trash folder would be")
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    args = ["dupes", "-q", "--db", str(db), "--kinds", "exact", "--root", str(lib / "A")]
    args += ["--trash", "--apply", "--log", str(tmp_path / "t.jsonl")]
    done = subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 1, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert "trash folder" in line and str(data / "Trash") in line, line
    assert (lib / "B" / "s0.wav").exists()


@pytest.mark.parametrize("where", ["under a file", "in /proc"])
def test_a_move_to_folder_that_cannot_be_made_is_named_once_and_nothing_moves(
    tmp_path: Path, where: str
) -> None:
    """Acceptance review: `--move-to /proc/sp` (or a folder under a regular file) failed
    each move with "failed: lib/B/s0.wav: no such file (deleted, or a broken symbolic
    link)" or "...: not a folder", blaming the music file that is there."""
    lib, db = tmp_path / "lib", tmp_path / "library.db"
    identical_pairs(lib, 2, 0.01)
    assert _run("index", "-q", "--db", db, lib).returncode == 0
    (tmp_path / "afile").write_text("a file where a folder would be")
    spare = tmp_path / "afile" / "sub" if where == "under a file" else Path("/proc/music-spare")
    args = ("--kinds", "exact", "--root", lib / "A", "--move-to", spare)
    done = _run("dupes", "-q", "--db", db, *args, "--apply", "--log", tmp_path / "a.jsonl")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if str(spare) in line] == lines[:1], lines
    assert "s0.wav" not in lines[0] and "s1.wav" not in lines[0]
    assert sorted(p.name for p in (lib / "B").iterdir()) == ["s0.wav", "s1.wav"]


def test_a_full_disk_while_writing_the_log_names_the_log_and_undo_puts_back(
    tmp_path: Path, small_disk: Path
) -> None:
    """The log fills the disk part way through the run: one line naming the log, and
    what was moved before is put back by undo."""
    lib, db, log = tmp_path / "lib", tmp_path / "library.db", small_disk / "a.jsonl"
    identical_pairs(lib, 12, 0.01)
    assert _run("index", "-q", "--db", db, lib).returncode == 0
    log.write_text("\n")  # one page of the disk is the log's: room for a few records
    _fill(small_disk)
    args = ("--kinds", "exact", "--root", lib / "A", "--move-to", tmp_path / "spare")
    moved = _run("dupes", "-q", "--db", db, *args, "--log", log, "--apply")
    assert moved.returncode == 1, moved.stderr
    assert moved.stderr.splitlines()[-1] == f"music-tools: error: {log}: no space left on device"
    assert len(list((lib / "B").iterdir())) < 12  # some were moved before the disk was full
    undone = _run("undo", "--db", db, log)
    assert undone.returncode == 0, undone.stderr
    assert len(list((lib / "B").iterdir())) == 12
