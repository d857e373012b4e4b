"""Rows an older reader wrote, before the damage checks existed (review D1): an index re-reads
them, so a damaged file becomes an error, never a keeper; and, whatever the rows say, an
action never moves or trashes a file beside a keeper that is damaged on disk.

The library is made as an index before issue 19 made it: an intact FLAC and a copy whose
STREAMINFO is garbage (its MD5, so its key, kept), the copy's row holding what that reader
read in it (192,000 Hz, 6 channels: "better"), both rows of reader version 0.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from music_tools import LibraryFile, extract
from music_tools.cli import ExitStatus, cli
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, make_audio


def _as_an_old_index_wrote(file: LibraryFile, **changes: object) -> LibraryFile:
    values = {**asdict(file), **changes}
    if "reader_version" in values:
        values["reader_version"] = 0  # the reader before the damage checks
    return LibraryFile(**values)  # type: ignore[arg-type]


def _garbage_streaminfo(path: Path) -> None:
    """STREAMINFO's sizes, rate and channels made noise, its MD5 left as it was."""
    data = bytearray(path.read_bytes())
    at = data.index(b"fLaC") + 8
    data[at : at + 10] = bytes.fromhex("3a71c0de5e11b0ca7702")
    packed = 192_000 << 44 | 5 << 41 | 23 << 36 | 428_076 * 192_000
    data[at + 10 : at + 18] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))


@pytest.fixture
def old_library(tmp_path: Path, db_target: str | Path) -> tuple[str | Path, Path, Path]:
    """(library, intact, damaged): Music/Album/x.flac and Music/Other/x.flac, rows written
    as the old reader wrote them."""
    music = tmp_path / "Music"
    intact = make_audio(music / "Album" / "x.flac", "flac", seconds=1.0, tags=Tags(mbid=None))
    damaged = music / "Other" / "x.flac"
    damaged.parent.mkdir()
    shutil.copy2(intact, damaged)
    _garbage_streaminfo(damaged)
    read = extract(intact, root=str(music))
    stat = os.stat(damaged)
    with LibraryDatabase(db_target) as db:
        db.add_file(_as_an_old_index_wrote(read))
        db.add_file(
            _as_an_old_index_wrote(
                read,
                file_path=str(damaged),
                directory=str(damaged.parent),
                sample_rate=192_000,
                channels=6,
                bits_per_sample=24,
                file_size=stat.st_size,
                file_mtime_ns=stat.st_mtime_ns,
            )
        )
    return db_target, intact, damaged


def _invoke(tmp_path: Path, *args: str | Path) -> Result:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}  # a trash of its own
    return CliRunner(env=env).invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _log(tmp_path: Path) -> tuple[str, str]:
    return "--log", str(tmp_path / "actions.jsonl")


def test_an_index_re_reads_old_rows_and_the_damaged_copy_becomes_an_error(
    old_library: tuple[str | Path, Path, Path], tmp_path: Path
) -> None:
    db, intact, damaged = old_library
    indexed = _invoke(tmp_path, "index", "--db", db, "--json", intact.parent.parent)
    assert indexed.exit_code == 0, indexed.stderr
    trashed = _invoke(tmp_path, "dupes", "--db", db, "--trash", "--apply", *_log(tmp_path))
    assert trashed.exit_code == 0, trashed.stderr
    assert intact.exists() and damaged.exists()  # no group: the damaged copy is no row
    report = json.loads(indexed.stdout)
    assert report["reread"] == 2 and report["errors"] == 1, report
    assert [f["path"] for f in report["failures"]] == [str(damaged)]
    errors = _invoke(tmp_path, "errors", "--db", db)
    assert f"{damaged}: damaged FLAC" in errors.stdout, errors.stdout
    again = _invoke(tmp_path, "index", "--db", db, intact.parent.parent)
    assert again.stdout.startswith("0 new, 0 updated, 1 unchanged"), again.stdout
    assert "re-read" not in again.stdout and "1 known errors skipped" in again.stdout
    shown = _invoke(tmp_path, "index", "--db", db, intact.parent.parent)
    assert "re-read" not in shown.stdout


def test_an_action_beside_a_keeper_damaged_on_disk_is_left_alone(
    old_library: tuple[str | Path, Path, Path], tmp_path: Path
) -> None:
    """No index in between: the rows still say the damaged copy is the better one."""
    db, intact, damaged = old_library
    shown = json.loads(_invoke(tmp_path, "dupes", "--db", db, "--format", "json").stdout)
    assert shown[0]["keeper"]["path"] == str(damaged)  # what the old rows make of it
    for apply in ((), ("--apply",)):
        done = _invoke(tmp_path, "dupes", "-q", "--db", db, "--trash", *apply, *_log(tmp_path))
        assert done.exit_code == 0, done.stderr
        (line,) = [line for line in done.stderr.splitlines() if str(intact) in line]
        assert line.startswith(f"skipped: {intact}: the copy that stays is damaged: "), line
        assert line.endswith("; left alone"), line
        assert intact.exists() and damaged.exists()


def test_check_never_moves_a_new_file_beside_a_damaged_library_copy(
    old_library: tuple[str | Path, Path, Path], tmp_path: Path
) -> None:
    db, intact, _ = old_library
    new = tmp_path / "new" / "x.flac"
    new.parent.mkdir()
    shutil.copy2(intact, new)
    intact.unlink()  # the library's only copy is the damaged one
    spare = tmp_path / "spare"
    args = ("--move-dupes-to", spare, "--apply", *_log(tmp_path))
    done = _invoke(tmp_path, "check", "-q", "--db", db, *args, new)
    assert done.exit_code in (ExitStatus.OK, ExitStatus.DUPLICATES), done.stderr
    assert "the copy that stays is damaged" in done.stderr, done.stderr
    assert new.exists() and not spare.exists()
