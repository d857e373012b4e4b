"""The run lock: one `index`, `relocate`, `undo`, `check --apply` or `dupes --apply` of a
library at a time, on SQLite as on PostgreSQL; commands that only read never take it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from music_tools.cli import cli
from music_tools.errors import StoreError
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, make_audio
from support.factories import library_file

COMMAND = (sys.executable, "-m", "music_tools")


def _second_holder_waits(target: str | Path) -> None:
    """A second LibraryDatabase of the same library waits for the first one's lock, is
    told after a second, and gets it once the first lets go."""
    told = threading.Event()
    got = threading.Event()

    def second() -> None:
        with (
            LibraryDatabase(target, machine="test-host") as other,
            other.run_lock("second", told.set),
        ):
            got.set()

    with LibraryDatabase(target, machine="test-host") as first:
        with first.run_lock("first", None):
            waiter = threading.Thread(target=second)
            waiter.start()
            assert told.wait(5), "the second holder was never told it waits"
            assert not got.is_set()
        waiter.join(10)
    assert got.is_set()


def test_a_second_holder_of_the_run_lock_waits_and_is_told(db_target: str | Path) -> None:
    _second_holder_waits(db_target)


def test_the_run_lock_nests_in_one_process(db: LibraryDatabase) -> None:
    with db.run_lock("outer", None), db.run_lock("inner", None):
        db.add_file(library_file(1))
    with db.run_lock("again", None):  # released whole: taken again at once
        assert db.count_files() == 1


def test_a_library_in_memory_takes_no_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with LibraryDatabase(":memory:") as db, db.run_lock("index", None):
        db.add_file(library_file(1))
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_that_is_not_a_regular_file_is_named_not_waited_on(tmp_path: Path) -> None:
    db_path = tmp_path / "library.db"
    os.mkfifo(tmp_path / "library.db.lock")  # opened plainly, it would block
    with (
        LibraryDatabase(db_path) as db,
        pytest.raises(StoreError, match=r"library\.db\.lock: not a regular file"),
        db.run_lock("index", None),
    ):
        pass


@pytest.fixture
def acting_library(tmp_path: Path) -> tuple[Path, Path]:
    """(folder, database): lib/A and lib/B hold a pair of identical files, indexed."""
    made = make_audio(tmp_path / "lib" / "A" / "s.wav", "wav", seconds=0.01, tags=Tags(mbid=None))
    (tmp_path / "lib" / "B").mkdir()
    shutil.copy2(made, tmp_path / "lib" / "B" / "s.wav")
    db = tmp_path / "library.db"
    done = subprocess.run(
        [*COMMAND, "index", "-q", "--db", str(db), str(tmp_path / "lib")],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tmp_path, db


def _undo_log(folder: Path) -> Path:
    record = {
        "run": "r", "step": 0, "status": "done", "op": "move",
        "path": str(folder / "gone" / "x.wav"), "target": str(folder / "moved" / "x.wav"),
        "size": 1, "mtime_ns": 1, "keep": str(folder / "k.wav"), "keep_size": 1,
        "keep_mtime_ns": 1, "row_id": None, "root": None, "target_root": None,
    }  # fmt: skip
    log = folder / "old.jsonl"
    log.write_text(json.dumps(record) + "\n")
    return log


@pytest.mark.slow
def test_every_command_that_acts_waits_for_the_run_lock_and_says_so(
    acting_library: tuple[Path, Path],
) -> None:
    folder, db = acting_library
    lib = folder / "lib"
    commands = {
        "index": ["index", "-q", str(lib)],
        "relocate": ["relocate", str(folder / "nowhere"), str(folder / "elsewhere")],
        "undo": ["undo", str(_undo_log(folder))],
        "dupes": [
            *("dupes", "-q", "--root", str(lib / "A"), "--move-to", str(folder / "X")),
            *("--apply", "--log", str(folder / "d.jsonl")),
        ],
        "check": [
            *("check", "-q", "--move-dupes-to", str(folder / "Y"), "--apply"),
            *("--log", str(folder / "c.jsonl"), str(lib / "B" / "s.wav")),
        ],
    }
    told = {name: folder / f"{name}.err" for name in commands}
    with LibraryDatabase(db) as holder, holder.run_lock("test", None):
        started = {
            name: subprocess.Popen(
                [*COMMAND, *args, "--db", str(db)],
                stdout=subprocess.DEVNULL,
                stderr=told[name].open("w"),
            )
            for name, args in commands.items()
        }
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            "waiting for another music-tools" in err.read_text() for err in told.values()
        ):
            time.sleep(0.05)
        waiting = {name for name, process in started.items() if process.poll() is None}
        assert waiting == set(commands), {name: err.read_text() for name, err in told.items()}
        assert (lib / "B" / "s.wav").exists() and not (folder / "X").exists()
    for name, process in started.items():
        process.wait(timeout=120)
        err = told[name].read_text()
        assert "waiting for another music-tools" in err, (name, err)
        assert "Traceback" not in err, (name, err)
    assert (lib / "A" / "s.wav").exists()  # one copy of the pair is left, whatever ran first


def test_commands_that_only_read_neither_wait_nor_make_a_lock_file(
    acting_library: tuple[Path, Path],
) -> None:
    folder, db = acting_library
    lock = Path(f"{db}.lock")
    lock.unlink(missing_ok=True)
    reading = [
        ["stats"],
        ["search", "Test"],
        ["export"],
        ["errors"],
        ["dupes", "-q"],
        ["dupes", "-q", "--move-to", str(folder / "X")],  # a dry run
        ["check", "-q", str(folder / "lib" / "B" / "s.wav")],
    ]
    for args in reading:
        done = CliRunner().invoke(cli, [*args, "--db", str(db)])
        assert done.exit_code in (0, 3), (args, done.output)
    assert not lock.exists()
    with LibraryDatabase(db) as holder, holder.run_lock("test", None):
        _all_finish(db, reading[4:])  # the dry runs and check open the file writable


def _all_finish(db: Path, commands: list[list[str]]) -> None:
    """Run the commands at once; each must finish, without waiting for anyone."""
    started = [
        subprocess.Popen(
            [*COMMAND, *args, "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    for args, process in zip(commands, started, strict=True):
        _, err = process.communicate(timeout=60)
        assert process.returncode in (0, 3), (args, err)
        assert "waiting" not in err, (args, err)


def test_a_library_reached_through_a_symbolic_link_shares_one_run_lock(tmp_path: Path) -> None:
    """review D2: `--db link.db` (a link to lib.db) took a lock of its own, so two runs on
    one library did not take turns."""
    real = tmp_path / "lib.db"
    LibraryDatabase(real).close()
    (tmp_path / "link.db").symlink_to(real)
    told, got = threading.Event(), threading.Event()

    def second() -> None:
        with LibraryDatabase(tmp_path / "link.db") as other, other.run_lock("second", told.set):
            got.set()

    with LibraryDatabase(real) as first, first.run_lock("first", None):
        waiter = threading.Thread(target=second)
        waiter.start()
        told.wait(5)
        waited = not got.is_set()
    waiter.join(10)
    assert waited and told.is_set(), "a run through the link did not wait for the run on the file"
    assert not (tmp_path / "link.db.lock").exists()


def test_two_catalogs_in_one_database_never_wait_for_each_other(postgres_url: str) -> None:
    """PostgreSQL's advisory locks belong to the database, not a schema: keyed by the
    machine alone, a run on the catalog in one schema held up a run on another schema's
    catalog of the same machine (and two test runs side by side held up each other)."""
    import psycopg

    server = os.environ["MUSIC_TOOLS_TEST_POSTGRES_URL"]  # `postgres_url` skips without it

    other = f"{postgres_url.rsplit('search_path%3D', 1)[1]}_b"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {other}")
    try:
        second_url = postgres_url.rsplit("search_path%3D", 1)[0] + f"search_path%3D{other}"
        waited: list[str] = []
        with (
            LibraryDatabase(postgres_url, machine="alpha") as first,
            LibraryDatabase(second_url, machine="alpha") as second,
            first.run_lock("index", lambda: waited.append("first")),
        ):
            done = threading.Event()

            def take() -> None:
                with second.run_lock("index", lambda: waited.append("second")):
                    done.set()

            taker = threading.Thread(target=take, daemon=True)
            taker.start()
            assert done.wait(5.0), "the other catalog's run waited for this one"
            taker.join(5.0)
        assert waited == []
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {other} CASCADE")
