"""Where the output goes: `export -o` onto FIFOs, devices and symbolic links, a full or
closed stdout, and the one line a command prints when its output cannot be written."""

from __future__ import annotations

import os
import select
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, make_audio
from support.factories import library_file

_COMMAND = (sys.executable, "-m", "music_tools")


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An indexed library of real files: three songs, a byte copy of one, a broken file."""
    root = tmp_path / "Music"
    for i, (artist, title) in enumerate(
        [("Björk", "Jóga"), ("Portishead", "Roads"), ("Air", "La")]
    ):
        make_audio(root / f"{i}.flac", "flac", seed=i, seconds=0.2, tags=Tags(artist, title))
    shutil.copy(root / "0.flac", root / "0 copy.flac")
    (tmp_path / "new").mkdir()
    shutil.copy(root / "1.flac", tmp_path / "new" / "roads.flac")
    (root / "broken.mp3").write_bytes(b"not an mp3" * 100)
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, root, "-q").exit_code == 0
    return db


@pytest.fixture
def big_library(tmp_path: Path) -> Path:
    """A library of 2,000 rows: an export of it is far larger than a pipe's buffer."""
    db = tmp_path / "big.db"
    with LibraryDatabase(db) as database:
        database.batch_insert_files(library_file(i) for i in range(2_000))
    return db


def _one_error_line(stderr: str) -> str:
    assert stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    assert stderr.startswith("music-tools: error: "), stderr
    assert "Traceback" not in stderr
    return stderr


def _make_device(path: Path, major: int, minor: int, kind: int = stat.S_IFCHR) -> Path:
    """A device node in the test's own folder (never /dev itself: if `export` replaced the
    node, only this copy would be lost)."""
    try:
        os.mknod(path, 0o666 | kind, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("needs root (or CAP_MKNOD) to make a device node")
    return path


class _FifoReader(threading.Thread):
    """Reads a FIFO until its writer closes it, or gives up after `seconds` (so a test of
    a broken export fails instead of hanging)."""

    def __init__(self, path: Path, seconds: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # open now: no writer needed
        self.deadline = time.monotonic() + seconds
        self.data = b""

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                if not select.select([self.fd], [], [], 0.1)[0]:
                    continue
                chunk = os.read(self.fd, 65536)
                if chunk:
                    self.data += chunk
                elif self.data:
                    return  # the writer closed it
                else:
                    time.sleep(0.01)  # no writer yet
        finally:
            os.close(self.fd)


# -- export -o: a FIFO, a device, a symbolic link ------------------------------------------


def test_export_writes_into_a_fifo_and_leaves_it_a_fifo(library: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = _FifoReader(fifo)
    reader.start()
    result = invoke("export", "--db", library, "-o", fifo)
    reader.join()
    assert result.exit_code == ExitStatus.OK, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a file"
    assert len(reader.data.splitlines()) == 4


def test_export_through_a_symbolic_link_writes_its_target(library: Path, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "library.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(os.path.join("real", "library.jsonl"))  # relative, as ln -s makes them
    result = invoke("export", "--db", library, "-o", link)
    assert result.exit_code == ExitStatus.OK, result.output
    assert link.is_symlink(), "the link was replaced by a file"
    assert len(target.read_text().splitlines()) == 4
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file's mode is kept
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["library.jsonl"]


def test_export_through_a_dangling_link_creates_its_target(library: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "new.csv")
    assert invoke("export", "--db", library, "-o", link, "--format", "csv").exit_code == 0
    assert link.is_symlink() and len((tmp_path / "new.csv").read_text().splitlines()) == 5


def test_export_to_a_null_device_leaves_it_a_device(library: Path, tmp_path: Path) -> None:
    null = _make_device(tmp_path / "null", 1, 3)  # /dev/null's numbers
    result = invoke("export", "--db", library, "-o", null)
    assert result.exit_code == ExitStatus.OK, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode), "the device was replaced by a file"


def test_export_to_a_full_device_says_so_in_one_line_naming_it(
    library: Path, tmp_path: Path
) -> None:
    full = _make_device(tmp_path / "full", 1, 7)  # /dev/full's numbers
    result = invoke("export", "--db", library, "-o", full)
    assert result.exit_code == ExitStatus.ERROR, result.output
    line = _one_error_line(result.stderr)
    assert line == f"music-tools: error: {full}: no space left on device\n"
    assert stat.S_ISCHR(os.lstat(full).st_mode), "the device was replaced by a file"


def test_export_refuses_a_block_device(library: Path, tmp_path: Path) -> None:
    # numbers from the range kept for local use: no driver behind them, were it opened
    disk = _make_device(tmp_path / "disk", 240, 250, stat.S_IFBLK)
    result = invoke("export", "--db", library, "-o", disk)
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "a block device" in _one_error_line(result.stderr)
    assert stat.S_ISBLK(os.lstat(disk).st_mode)


def test_export_into_a_missing_folder_names_the_folder(library: Path, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "x.csv"
    result = invoke("export", "--db", library, "-o", out)
    assert result.exit_code == ExitStatus.USAGE, result.output
    line = _one_error_line(result.stderr)
    assert f"{out}: the folder {out.parent} does not exist" in line, line


# -- a full or closed stdout ---------------------------------------------------------------


_WRITERS = [
    ("export",),
    ("search", "roads"),
    ("stats",),
    ("errors",),
    ("dupes",),
    ("check", "{new}/roads.flac"),
    ("index", "{root}", "--json"),
]


def _args(command: tuple[str, ...], db: Path) -> list[str]:
    folders = {"root": str(db.parent / "Music"), "new": str(db.parent / "new")}
    return [*_COMMAND, *(a.format(**folders) for a in command), "--db", str(db)]


@pytest.mark.parametrize("command", _WRITERS, ids=lambda c: c[0])
def test_a_full_stdout_is_one_line_naming_stdout(library: Path, command: tuple[str, ...]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:  # only ever written to: it cannot be replaced
        done = subprocess.run(
            _args(command, library), stdout=full, stderr=subprocess.PIPE, timeout=120
        )
    stderr = done.stderr.decode()
    assert done.returncode == ExitStatus.ERROR, stderr
    line = _one_error_line(stderr)
    assert line == "music-tools: error: <stdout>: no space left on device\n"


@pytest.mark.parametrize(
    ("command", "status"),
    [(c, ExitStatus.DUPLICATES if c[0] == "check" else ExitStatus.OK) for c in _WRITERS],
    ids=[c[0] for c in _WRITERS],
)
def test_a_reader_that_stops_early_ends_the_output_quietly(
    library: Path, command: tuple[str, ...], status: ExitStatus
) -> None:
    """`music-tools ... | true`: the pipe is closed before the first write."""
    process = subprocess.Popen(
        _args(command, library), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr.decode()
    assert b"Exception ignored" not in stderr and b"Traceback" not in stderr, stderr.decode()
    assert b"error" not in stderr, stderr.decode()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_export_piped_to_head_exits_0_with_nothing_on_stderr(big_library: Path, fmt: str) -> None:
    process = subprocess.Popen(
        [*_COMMAND, "export", "--db", str(big_library), "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # as `| head -1` does
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert first
    assert process.returncode == ExitStatus.OK, stderr.decode()
    assert stderr == b""


# -- the PostgreSQL URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://a:secret@localhost:notaport/db",
        "postgresql://a:secret@localhost:99999/db",
        "postgresql://a:secret@localhost/db?nosuchoption=1",
        "postgresql://a:secret@localhost:5432,localhost:notaport/db",
        "postgresql://%zz:secret@localhost/db",
        "postgresql://a:secret@[::1/db",
    ],
)
def test_a_malformed_postgresql_url_is_one_line_without_its_password(url: str) -> None:
    result = invoke("stats", "--db", url)
    assert result.exit_code == ExitStatus.ERROR, result.output
    line = _one_error_line(result.stderr)
    assert "PostgreSQL URL" in line and "secret" not in line, line
