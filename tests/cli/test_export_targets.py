"""`export -o` onto what a shell's redirection already opened (/dev/stdout, /dev/fd/N,
/proc/self/fd/N: written through, appending where it appends) and onto regular files it
must not break: one the user could not overwrite, one with other names (hard links), one
owned by someone else (review D3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli
from support.audio_factory import Tags, make_audio
from support.nobody import NOBODY, require_root, run_cli_as_nobody, shared_folder

COMMAND = (sys.executable, "-m", "music_tools")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    for i in range(3):
        make_audio(tmp_path / "Music" / f"{i}.flac", "flac", seed=i, seconds=0.1, tags=Tags())
    db = tmp_path / "lib.db"
    done = CliRunner().invoke(cli, ["index", "-q", "--db", str(db), str(tmp_path / "Music")])
    assert done.exit_code == 0, done.output
    return db


def _records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_to_dev_stdout_writes_into_the_pipe(library: Path) -> None:
    done = subprocess.run(
        [*COMMAND, "export", "--db", str(library), "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(_records(done.stdout)) == 3


def test_export_to_dev_stdout_appends_where_the_shell_appends(
    library: Path, tmp_path: Path
) -> None:
    """`music-tools export -o /dev/stdout >> a.json`: the file was replaced, its first
    line lost."""
    out = tmp_path / "a.json"
    out.write_text("keep\n")
    with out.open("a") as appended:
        done = subprocess.run(
            [*COMMAND, "export", "--db", str(library), "-o", "/dev/stdout"],
            stdout=appended,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    first, *rest = out.read_text().splitlines(keepends=True)
    assert first == "keep\n" and len(_records("".join(rest))) == 3


@pytest.mark.parametrize("form", ["/dev/fd/{}", "/proc/self/fd/{}"])
def test_export_to_an_open_descriptor_writes_through_it(
    library: Path, tmp_path: Path, form: str
) -> None:
    out = tmp_path / "fd.json"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, b"keep\n")
    try:
        done = subprocess.run(
            [*COMMAND, "export", "--db", str(library), "-o", form.format(fd)],
            capture_output=True,
            text=True,
            pass_fds=(fd,),
            check=False,
        )
    finally:
        os.close(fd)
    assert done.returncode == 0, done.stderr
    first, *rest = out.read_text().splitlines(keepends=True)
    assert first == "keep\n" and len(_records("".join(rest))) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_over_a_file_with_other_names_keeps_them_one_file(
    library: Path, tmp_path: Path
) -> None:
    out, other = tmp_path / "a.json", tmp_path / "b.json"
    out.write_text("old\n")
    os.link(out, other)
    done = CliRunner().invoke(cli, ["export", "--db", str(library), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert os.path.samefile(out, other)
    assert len(_records(other.read_text())) == 3


def test_export_over_someone_elses_file_keeps_its_owner(library: Path, tmp_path: Path) -> None:
    require_root()
    out = tmp_path / "theirs.json"
    out.write_text("old\n")
    os.chown(out, NOBODY, NOBODY)
    done = CliRunner().invoke(cli, ["export", "--db", str(library), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.stat().st_uid == NOBODY and len(_records(out.read_text())) == 3


def test_export_refuses_a_file_the_user_could_not_overwrite(library: Path) -> None:
    """As nobody, in a folder anyone may write: someone else's read-only file, which a
    shell's `>` refuses, was replaced."""
    with shared_folder("export-") as folder:
        folder.chmod(0o777)
        db = folder / "lib.db"
        db.write_bytes(library.read_bytes())
        db.chmod(0o644)
        theirs = folder / "theirs.json"
        theirs.write_text("not yours\n")
        theirs.chmod(0o444)
        done = run_cli_as_nobody("export", "--db", db, "-o", theirs)
        assert done.returncode == ExitStatus.ERROR, done.stderr
        assert done.stderr.count("\n") == 1 and f"{theirs}: " in done.stderr, done.stderr
        assert "permission denied" in done.stderr.lower(), done.stderr
        assert theirs.read_text() == "not yours\n" and theirs.stat().st_uid == 0
        assert not [p for p in folder.iterdir() if p.name.startswith(".theirs")]
