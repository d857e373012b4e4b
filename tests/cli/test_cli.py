"""The command line, end to end on generated audio: every command, exit codes, odd folders."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli
from support.audio_factory import Tags, file_name, make_audio
from support.nobody import as_nobody

FIELDS = {"new", "updated", "unchanged", "moved", "missing", "errors", "elapsed_s"}


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def music(tmp_path: Path) -> Path:
    root = tmp_path / "Music"
    specs = [
        ("Radiohead", "Paranoid Android", "OK Computer", 1997, "flac"),
        ("Radiohead", "Karma Police", "OK Computer", 1997, "mp3"),
        ("Portishead", "Roads", "Dummy", 1994, "ogg"),
        ("Björk", "Jóga", "Homogenic", 1997, "opus"),
        ("Massive Attack", "Teardrop", "Mezzanine", 1998, "wav"),
    ]
    for i, (artist, title, album, year, fmt) in enumerate(specs):
        tags = Tags(artist=artist, title=title, album=album, date=str(year))
        make_audio(
            root / artist / album / file_name(fmt, f"{i + 1:02d} {title}"),
            fmt,
            seed=i,
            seconds=0.3,
            tags=tags,
        )
    return root


def test_every_command_and_option_has_help_text() -> None:
    assert cli.help
    for name, command in cli.commands.items():
        assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
        assert "Example:" in command.help, f"{name} has no example"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help text"
        result = invoke(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_version_and_help() -> None:
    assert invoke("--version").output.startswith("music-tools, version ")
    assert all(name in invoke("--help").output for name in cli.commands)


def test_index_prints_a_summary_and_json(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    result = invoke("index", "--db", db, music)
    assert result.exit_code == ExitStatus.OK
    assert "5 new, 0 updated, 0 unchanged" in result.output
    result = invoke("index", "--db", db, music, "--json")
    data = json.loads(result.output)
    assert set(data) >= FIELDS and data["unchanged"] == 5 and data["new"] == 0


def test_full_hash_fills_the_whole_file_hashes(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, music, "--full-hash", "-q").exit_code == 0
    records = [json.loads(line) for line in invoke("export", "--db", db).output.splitlines()]
    assert len(records) == 5
    assert all(r["audio_hash"] and r["file_content_hash"] for r in records)
    assert len({r["file_content_hash"] for r in records}) == 5


def test_the_database_defaults_to_the_environment_variable(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    result = CliRunner(env={"MUSIC_TOOLS_DB": str(db)}).invoke(cli, ["index", "-q", str(music)])
    assert result.exit_code == 0 and db.exists() and result.output == ""


@pytest.fixture
def library(music: Path, tmp_path: Path) -> Path:
    """The five files of `music` and one broken MP3 indexed into a library."""
    db = tmp_path / "lib.db"
    (music / "broken.mp3").write_bytes(b"not really an mp3" * 100)
    assert invoke("index", "--db", db, music).exit_code == 0
    return db


def titles(db: Path, *query: str) -> list[str]:
    result = invoke("search", "--db", db, "--format", "json", *query)
    assert result.exit_code == 0, result.output
    return [row["title"] for row in json.loads(result.output)]


def test_stats_counts_files_formats_roots_and_errors(music: Path, library: Path) -> None:
    stats = json.loads(invoke("stats", "--db", library, "--json").output)
    assert stats["files"] == 5 and stats["errors"] == 1
    assert stats["formats"] == {"flac": 1, "mp3": 1, "ogg": 1, "opus": 1, "wav": 1}
    assert stats["roots"] == {str(music): 5}
    assert 0 < stats["lossless_share"] < 1
    assert "5 files" in invoke("stats", "--db", library).output


def test_search_by_field_range_and_words_in_every_format(library: Path) -> None:
    assert titles(library, "artist:radiohead") == ["Paranoid Android", "Karma Police"]  # by path
    assert titles(library, "year:1994..1997", "format:ogg") == ["Roads"]
    assert titles(library, "year:1998") == ["Teardrop"]
    assert titles(library, "karma") == ["Karma Police"]
    assert titles(library, "album:OK Computer", "android") == ["Paranoid Android"]
    assert titles(library, "Jóga") == ["Jóga"]
    assert titles(library, "nothing-like-this") == []
    table = invoke("search", "--db", library, "portishead")
    assert "Roads" in table.output
    csv_out = invoke("search", "--db", library, "--format", "csv", "roads").output
    assert [r["artist"] for r in csv.DictReader(io.StringIO(csv_out))] == ["Portishead"]
    found = json.loads(invoke("search", "--db", library, "--format", "json", "karma").output)
    assert [r["bitrate_mode"] for r in found] == ["VBR"]  # an MP3 from libsndfile's LAME
    bad = invoke("search", "--db", library, "colour:red")
    assert bad.exit_code == ExitStatus.USAGE and "unknown field 'colour'" in bad.output


def test_errors_lists_the_file_that_could_not_be_read(music: Path, library: Path) -> None:
    errors = invoke("errors", "--db", library, "--json")
    assert [e["path"] for e in json.loads(errors.output)] == [str(music / "broken.mp3")]
    assert "can't sync to MPEG frame" in invoke("errors", "--db", library).output


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_writes_every_row_in_each_format(library: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    assert invoke("export", "--db", library, "--format", fmt, "-o", out).exit_code == 0
    text = out.read_text()
    if fmt == "csv":
        records = list(csv.DictReader(io.StringIO(text)))
    elif fmt == "json":
        records = json.loads(text)
    else:
        records = [json.loads(line) for line in text.splitlines()]
    assert sorted(r["title"] for r in records) == sorted(titles(library, ""))
    assert len(records) == 5
    modes = {r["file_format"]: r["bitrate_mode"] for r in records}
    none = "" if fmt == "csv" else None
    assert modes == {"mp3": "VBR", "flac": none, "ogg": none, "opus": none, "wav": none}


def test_relocate_lets_the_next_index_find_every_file_unchanged(
    music: Path, library: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "Moved Music"
    shutil.move(music, moved)
    result = invoke("relocate", "--db", library, music, moved, "--json")
    assert json.loads(result.output) == {"relocated": 5}
    after = invoke("index", "--db", library, moved, "--json")
    data = json.loads(after.output)
    assert (data["unchanged"], data["new"], data["missing"]) == (5, 0, 0)
    assert json.loads(invoke("stats", "--db", library, "--json").output)["roots"] == {str(moved): 5}


def test_usage_errors_are_one_line_with_exit_code_2(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    for args in (
        ("index", "--db", db, tmp_path / "no-such-folder"),
        ("index", "--db", db, music / "Radiohead" / "OK Computer" / "01 Paranoid Android.flac"),
        ("index", "--db", db, music, "--workers", "0"),
        ("index",),
        ("no-such-command",),
        ("export", "--db", db, "--format", "xml"),
    ):
        result = invoke(*args)
        assert result.exit_code == ExitStatus.USAGE, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("music-tools: error: "), result.output


def test_database_problems_are_one_line_with_exit_code_1(music: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 200)
    cases = [
        ("index", "--db", junk, music),
        ("index", "--db", tmp_path / "missing-folder" / "lib.db", music),
        ("stats", "--db", tmp_path / "never-made.db"),
    ]
    for args in cases:
        result = invoke(*args)
        assert result.exit_code == ExitStatus.ERROR, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("music-tools: error: "), result.output
        assert str(args[2]) in lines[0]


def test_non_utf8_names_are_shown_with_escapes(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    made = make_audio(root / "x.flac", "flac", tags=Tags(title="Odd name"))
    os.rename(os.fsencode(made), os.fsencode(root) + b"/caf\xe9.flac")
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, root).exit_code == 0
    exported = json.loads(invoke("export", "--db", db, "--format", "json").output)
    assert exported[0]["file_path"] == f"{root}/caf\\xe9.flac"
    assert "caf\\xe9.flac" in invoke("search", "--db", db, "odd").output


def _index_json(db: str, root: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["index", "--db", db, root, "--json"])
    return {"code": result.exit_code, "output": result.output}


def test_unreadable_folders_and_files_are_reported_and_nothing_is_lost() -> None:
    shared = Path(tempfile.mkdtemp(prefix="mt-nobody-"))
    try:
        root = shared / "lib"
        for name in ("open", "locked"):
            make_audio(root / name / "a.flac", "flac", tags=Tags(title=name))
        make_audio(root / "open" / "private.mp3", "mp3", tags=Tags())
        db = shared / "lib.db"
        assert invoke("index", "--db", db, root).exit_code == 0
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        (root / "locked").chmod(0o000)
        (root / "open" / "private.mp3").chmod(0o000)
        (root / "open" / "private.mp3").touch()  # changed: it will be read again
        result = as_nobody(_index_json, str(db), str(root))
        assert result["code"] == 0, result
        data = json.loads(str(result["output"]))
        reasons = {f["path"]: f["reason"] for f in data["failures"]}
        assert reasons == {
            str(root / "locked"): "permission denied",
            str(root / "open" / "private.mp3"): "permission denied",
        }
        assert data["missing"] == 0  # files under the unreadable folder are not "gone"
        (root / "locked").chmod(0o777)
        stats = json.loads(invoke("stats", "--db", db, "--json").output)
        assert stats["files"] == 3
    finally:
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o777)
        shutil.rmtree(shared)


def test_index_fingerprint_without_fpcalc_says_in_one_line_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSIC_TOOLS_FPCALC", "")
    (tmp_path / "music").mkdir()
    db = tmp_path / "l.db"
    result = CliRunner().invoke(
        cli, ["index", "--fingerprint", "--db", str(db), str(tmp_path / "music")]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "apt install libchromaprint-tools" in lines[0], result.output
    assert not db.exists()
