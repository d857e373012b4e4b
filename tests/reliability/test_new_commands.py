"""The reliability promises on the commands that came after the fault suite (`check`,
`dupes`, `undo`): a hostile action log is one line and a usage exit code, never a
traceback, and never makes `undo` move something that no action moved."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from conftest import READ_ONLY_LAYOUTS, only_readable
from music_tools.cli import ExitStatus
from support.audio_factory import Tags, make_audio
from support.nobody import run_cli_as_nobody, shared_folder


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "music_tools", *(str(a) for a in args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    make_audio(tmp_path / "lib" / "a.flac", "flac", tags=Tags(title="A"))
    db = tmp_path / "library.db"
    assert run_cli("index", "--db", db, "-q", tmp_path / "lib").returncode == 0
    return db


def _record(**fields: object) -> str:
    record: dict[str, object] = {
        "run": "r",
        "step": 0,
        "op": "move",
        "path": "/nowhere/a.flac",
        "target": "/nowhere/b.flac",
        "size": 1,
        "mtime_ns": 1,
        "keep": "/nowhere/k.flac",
        "keep_size": 1,
        "keep_mtime_ns": 1,
        "row_id": None,
        "root": None,
        "target_root": None,
        "status": "done",
    }
    record.update(fields)
    return json.dumps(record) + "\n"


def _one_usage_line(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == ExitStatus.USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("music-tools: error: "), result.stderr


def test_undo_of_a_binary_file_is_one_line(library: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\xff\xfe\x00 not a log\n")
    _one_usage_line(run_cli("undo", log, "--db", library))


@pytest.mark.parametrize(
    "fields",
    [
        {"path": 5},
        {"target": ["x"]},
        {"op": "delete"},
        {"row_id": "abc"},
        {"row_id": 10**30},
        {"root": 3},
    ],
)
def test_undo_of_a_record_with_wrong_types_is_one_line(
    library: Path, tmp_path: Path, fields: dict[str, object]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(_record(**fields))
    _one_usage_line(run_cli("undo", log, "--db", library))


def test_undo_never_moves_a_folder(library: Path, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    log = tmp_path / "log.jsonl"
    log.write_text(_record(path=str(tmp_path / "gone.flac"), target=str(folder)))
    result = run_cli("undo", log, "--db", library)
    assert "Traceback" not in result.stderr, result.stderr
    assert (folder / "a.flac").is_file()
    assert not (tmp_path / "gone.flac").exists()


@pytest.mark.parametrize("layout", READ_ONLY_LAYOUTS)
def test_check_and_dupes_work_on_a_library_the_user_can_only_read(layout: str) -> None:
    with shared_folder("mt-ro8-") as shared:
        root = shared / "lib"
        made = make_audio(root / "a.flac", "flac", tags=Tags(title="Readable"))
        shutil.copy(made, root / "b.flac")
        shutil.copy(made, shared / "new.flac")
        db = shared / "lib.db"
        assert run_cli("index", "-q", "--db", db, root).returncode == 0
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        with only_readable(db, layout):
            checked = run_cli_as_nobody(
                "check", "-q", "-w", "1", "--format", "json", "--db", db, shared / "new.flac"
            )
            assert checked.returncode == ExitStatus.DUPLICATES, checked.stderr
            assert json.loads(checked.stdout)[0]["match_type"] == "exact"
            found = run_cli_as_nobody("dupes", "-q", "--format", "json", "--db", db)
            assert found.returncode == ExitStatus.OK, found.stderr
            assert json.loads(found.stdout), found.stdout
            refused = run_cli_as_nobody("dupes", "-q", "--trash", "--apply", "--db", db)
            assert refused.returncode == ExitStatus.ERROR, refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
            assert (root / "a.flac").exists() and (root / "b.flac").exists()
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_check_and_dupes_on_a_corrupt_library_say_so_and_name_it(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    for i in range(300):
        make_audio(root / f"{i:03d}.wav", "wav", seed=i % 3, seconds=0.01, tags=Tags(title="T"))
    db = tmp_path / "library.db"
    assert run_cli("index", "--db", db, "-q", root).returncode == 0
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # every page is in the main file
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = bytes(range(256)) * 32
    db.write_bytes(bytes(data))
    for args in (("check", root / "000.wav"), ("dupes",), ("dupes", "--trash", "--apply")):
        done = run_cli(*args, "-q", "--db", db)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == ExitStatus.ERROR, (args, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr
        assert f"{db}: the database is corrupt" in done.stderr, (args, done.stderr)
    assert all((root / f"{i:03d}.wav").exists() for i in range(300))


def test_no_file_is_touched_when_the_library_is_damaged_where_the_grouping_does_not_look(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lib"
    for i in range(60):  # 20 sets of three byte-identical copies
        make_audio(root / f"{i:03d}.wav", "wav", seed=i % 20, seconds=0.01, tags=Tags(title="T"))
    db = tmp_path / "library.db"
    assert run_cli("index", "--db", db, "-q", root).returncode == 0
    conn = apsw.Connection(str(db))
    page_size = conn.execute("PRAGMA page_size").get
    page = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'idx_library_directory'"
    ).get
    conn.close()
    with open(db, "r+b") as raw:  # an index the exact/same_audio grouping never reads
        raw.seek((page - 1) * page_size)
        raw.write(bytes(range(256)) * (page_size // 256))
    done = run_cli("dupes", "--kinds", "exact,same_audio", "--trash", "--apply", "-q", "--db", db)
    assert done.returncode == ExitStatus.ERROR, done.stderr
    assert f"{db}: the database is corrupt" in done.stderr, done.stderr
    assert all((root / f"{i:03d}.wav").exists() for i in range(60))
