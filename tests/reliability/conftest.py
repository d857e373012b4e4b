"""The fault suite's shared pieces: a generated library of a few thousand real files, the
rows an uninterrupted run gives, real `music-tools` processes, and the processes of a
process group (to prove none outlives its command).

`MUSIC_TOOLS_LONG=1` runs the long version: a bigger library and more trials.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from support.audio_factory import Tags, file_name, make_audio

LONG = os.environ.get("MUSIC_TOOLS_LONG") == "1"
LIBRARY_FILES = 6_000 if LONG else 2_000
_INDEX = (sys.executable, "-m", "music_tools", "index")
ROW_COLUMNS = "file_path, file_size, audio_key, metadata_hash, title, is_active"


def make_big_library(root: Path, count: int) -> None:
    formats = ("flac", "wav", "mp3", "aiff")
    for i in range(count):
        fmt = formats[i % len(formats)]
        make_audio(
            root / f"d{i % 20}" / file_name(fmt, f"{i:05d}"),
            fmt,
            seed=i,
            seconds=0.1,
            tags=Tags(title=f"T{i}"),
        )


def rows(db: Path) -> set[tuple[object, ...]]:
    """Every row, as the columns that say what a file is (ids and times left out)."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return set(conn.execute(f"SELECT {ROW_COLUMNS} FROM library_index"))
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = apsw.Connection(str(db))
    try:
        return str(conn.execute("PRAGMA integrity_check").get)
    finally:
        conn.close()


def start_index(
    db: Path, *roots: Path, workers: int = 2, options: tuple[str, ...] = ("-q",)
) -> subprocess.Popen[bytes]:
    """A real `music-tools index`, in its own process group (so its workers can be found)."""
    return subprocess.Popen(
        [*_INDEX, "--db", str(db), *map(str, roots), "-w", str(workers), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def run_index(db: Path, *roots: Path) -> subprocess.CompletedProcess[bytes]:
    command = [*_INDEX, "--db", str(db), "-q", *map(str, roots)]
    return subprocess.run(command, capture_output=True, timeout=600, check=False)


def wait_for_rows(db: Path, process: subprocess.Popen[bytes], at_least: int = 1) -> int:
    """Block until the running index has committed `at_least` rows; return how many."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
            try:
                count = int(conn.execute("SELECT count(*) FROM library_index").get)
            finally:
                conn.close()
            if count >= at_least:
                return count
        except apsw.Error:
            pass
        time.sleep(0.005)
    return 0


def group_processes(group: int) -> list[int]:
    """Live (not zombie) processes in process group `group`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry))
    return found


def wait_until_gone(group: int, seconds: float) -> list[int]:
    """The processes of `group` still alive after up to `seconds` (none, hopefully)."""
    deadline = time.monotonic() + seconds
    while (left := group_processes(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@pytest.fixture(scope="session")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[tuple[object, ...]]]:
    """(root, the rows of one uninterrupted run) over LIBRARY_FILES generated files."""
    root = tmp_path_factory.mktemp("big") / "lib"
    make_big_library(root, LIBRARY_FILES)
    reference = root.parent / "reference.db"
    done = run_index(reference, root)
    assert done.returncode == 0, done.stderr
    return root, rows(reference)


READ_ONLY_LAYOUTS = ("file-not-writable", "folder-not-writable", "wal-open")


@contextlib.contextmanager
def only_readable(db: Path, layout: str) -> Iterator[None]:
    """The library at `db`, in a shared folder, made readable but not writable for nobody:
    the file not writable, or its folder too, or also held open by another process (so its
    -wal and -shm files exist), as `layout` says."""
    keeper = None
    if layout == "wal-open":
        keeper = apsw.Connection(str(db))
        keeper.execute("SELECT count(*) FROM library_index").fetchall()
    db.chmod(0o644)
    if layout != "file-not-writable":
        db.parent.chmod(0o755)
    try:
        yield
    finally:
        if keeper is not None:
            keeper.close()
