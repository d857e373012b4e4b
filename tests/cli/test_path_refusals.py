"""Paths a command refuses before it does anything: the library's own files as an output,
an empty path, a folder where a file is wanted and a file where a folder is; each is one
line `music-tools: error: <path>: <reason>`, exit status 2."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli
from support.audio_factory import Tags, make_audio


def invoke(*args: str | Path, cwd: Path | None = None) -> click.testing.Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(here)


def one_error_line(result: click.testing.Result) -> str:
    assert result.exit_code == ExitStatus.USAGE, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("music-tools: error: "), line
    assert "Invalid value" not in line and "Traceback" not in line, line
    return line.removeprefix("music-tools: error: ").removesuffix(" (see --help)")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """lib.db indexing lib/A/s.wav and its byte copy lib/B/s.wav."""
    lib = tmp_path / "lib"
    song = make_audio(lib / "A" / "s.wav", "wav", seed=1, seconds=0.05, tags=Tags(mbid=None))
    (lib / "B").mkdir()
    shutil.copy2(song, lib / "B" / "s.wav")
    db = tmp_path / "lib.db"
    assert invoke("index", "-q", "--db", db, lib).exit_code == 0
    return db


def _own_files(db: Path) -> list[Path]:
    return [db, *(Path(f"{db}{end}") for end in ("-wal", "-shm", "-journal", ".lock"))]


@pytest.mark.parametrize("end", ["", "-wal", "-shm", "-journal", ".lock"])
def test_export_refuses_to_write_over_the_library_s_own_files(library: Path, end: str) -> None:
    before = library.read_bytes()
    own = Path(f"{library}{end}")
    line = one_error_line(invoke("export", "--db", library, "-o", own))
    assert line.startswith(f"{own}: ") and "the library's own" in line, line
    assert library.read_bytes() == before
    assert invoke("stats", "--db", library).exit_code == 0


def test_export_refuses_the_database_by_a_link_or_another_spelling(
    library: Path, tmp_path: Path
) -> None:
    (tmp_path / "link.db").symlink_to(library)
    os.link(library, tmp_path / "hard.db")
    (tmp_path / "sub").mkdir()
    for other in (
        tmp_path / "link.db",
        tmp_path / "hard.db",
        tmp_path / "sub" / ".." / "lib.db",
        Path("lib.db"),
    ):
        line = one_error_line(invoke("export", "--db", library, "-o", other, cwd=tmp_path))
        assert "the library's own" in line, (other, line)
    (tmp_path / "wal-link").symlink_to(f"{library}-wal")  # dangling: no WAL file now
    assert "the library's own" in one_error_line(
        invoke("export", "--db", library, "-o", tmp_path / "wal-link")
    )
    assert invoke("stats", "--db", library).exit_code == 0


def test_export_refuses_the_database_named_by_the_environment(
    library: Path, tmp_path: Path
) -> None:
    result = CliRunner(env={"MUSIC_TOOLS_DB": str(library)}).invoke(
        cli, ["export", "-o", str(library)]
    )
    assert "the library's own" in one_error_line(result)
    assert invoke("stats", "--db", library).exit_code == 0


@pytest.mark.parametrize("end", ["", "-wal", "-shm", "-journal", ".lock"])
def test_log_refuses_the_library_s_own_files(library: Path, tmp_path: Path, end: str) -> None:
    own = Path(f"{library}{end}")
    spare = tmp_path / "spare"
    args = ("--kinds", "exact", "--root", tmp_path / "lib" / "A", "--move-to", spare)
    line = one_error_line(invoke("dupes", "-q", "--db", library, *args, "--apply", "--log", own))
    assert line.startswith(f"{own}: ") and "the library's own" in line, line
    assert (tmp_path / "lib" / "B" / "s.wav").exists() and not spare.exists()
    assert invoke("stats", "--db", library).exit_code == 0


def test_check_log_refuses_the_library_s_lock_file(library: Path, tmp_path: Path) -> None:
    lock = Path(f"{library}.lock")
    spare = tmp_path / "spare"
    args = ("--move-dupes-to", spare, "--apply", "--log", lock)
    line = one_error_line(invoke("check", "-q", "--db", library, tmp_path / "lib" / "B", *args))
    assert "the library's own" in line, line


@pytest.mark.parametrize(
    "args",
    [
        ("index", "-q", ""),
        ("check", "-q", ""),
        ("undo", ""),
        ("export", "-o", ""),
        ("dupes", "-q", "--move-to", "", "--apply"),
        ("dupes", "-q", "--root", ""),
        ("dupes", "-q", "--log", "", "--trash"),
        ("check", "-q", "x", "--move-dupes-to", ""),
        ("review", "--no-browser", "--protect", ""),
        ("review", "--no-browser", "--move-to", ""),
        ("stats", "--db", ""),
    ],
)
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(
    library: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    here = tmp_path / "here"
    make_audio(here / "t.wav", "wav", seed=2, seconds=0.05, tags=Tags(mbid=None))
    db = () if "--db" in args else ("--db", library)
    line = one_error_line(invoke(*args, *db, cwd=here))
    assert "an empty path" in line, line
    assert sorted(p.name for p in here.iterdir()) == ["t.wav"]


def test_undo_of_a_folder_says_it_is_a_folder(library: Path, tmp_path: Path) -> None:
    line = one_error_line(invoke("undo", "--db", library, tmp_path))
    assert line == f"{tmp_path}: a folder, not an action log", line


def test_a_file_where_a_folder_is_wanted_is_named(library: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    root = ("--kinds", "exact", "--root")
    for args in (
        ("dupes", "-q", "--move-to", afile),
        ("dupes", "-q", *root, afile),
        ("check", "-q", tmp_path / "lib", "--move-dupes-to", afile),
    ):
        line = one_error_line(invoke(*args, "--db", library))
        assert line == f"{afile}: not a folder", (args, line)


def test_a_folder_where_a_file_is_wanted_is_named(library: Path, tmp_path: Path) -> None:
    line = one_error_line(invoke("export", "--db", library, "-o", tmp_path))
    assert line.startswith(f"{tmp_path}: a folder"), line
    line = one_error_line(invoke("dupes", "-q", "--db", library, "--trash", "--log", tmp_path))
    assert line == f"{tmp_path}: a folder, not an action log", line


def test_apply_with_nothing_to_apply_is_a_usage_error(library: Path, tmp_path: Path) -> None:
    line = one_error_line(invoke("dupes", "-q", "--db", library, "--apply"))
    assert line.startswith("--apply: nothing to apply") and "--move-to" in line, line
    assert "--trash" in line, line
    result = invoke("check", "-q", "--db", library, tmp_path / "lib" / "B", "--apply")
    line = one_error_line(result)
    assert line.startswith("--apply: nothing to apply") and "--move-dupes-to" in line, line


def test_dupes_counts_one_group_in_the_singular(library: Path) -> None:
    result = invoke("dupes", "--db", library, "--kinds", "exact")
    assert result.exit_code == 0, result.output
    assert "1 group; 1 file beside a keeper" in result.output, result.output
