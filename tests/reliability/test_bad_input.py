"""Hostile but realistic use of the command line: one line and a documented exit code,
never a traceback; a command that only reads never writes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import apsw
import click
import pytest
from click.testing import CliRunner

from conftest import READ_ONLY_LAYOUTS, only_readable
from music_tools.cli import ExitStatus, cli
from music_tools.library import LibraryDatabase
from music_tools.store.schema import LATEST_VERSION
from support.audio_factory import Tags, make_audio
from support.factories import library_file
from support.nobody import run_cli_as_nobody, shared_folder

ODD = os.fsdecode(b"caf\xe9")


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line(result: click.testing.Result, status: ExitStatus) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == status, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("music-tools: error: "), result.output
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(
    *args: str | Path | bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "music_tools", *(os.fsencode(a) for a in args)]
    return subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)


@pytest.fixture
def odd_root(tmp_path: Path) -> Path:
    """A library root whose own name is not valid UTF-8, holding one odd-named file too."""
    plain = tmp_path / "plain-made"
    make_audio(plain / "a.flac", "flac", tags=Tags(title="Plain"))
    made = make_audio(plain / "b.flac", "flac", seed=2, tags=Tags(title="Odd"))
    os.rename(made, plain / f"{ODD}.flac")
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9"))
    os.rename(plain, root)
    return root


def test_a_root_whose_name_is_not_utf8_is_indexed_relocated_and_searched(
    odd_root: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lib.db"
    result = invoke("index", "--db", db, odd_root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["new"] == 2
    again = json.loads(invoke("index", "--db", db, odd_root, "--json").output)
    assert (again["unchanged"], again["new"]) == (2, 0)
    found = json.loads(invoke("search", "--db", db, "--format", "json", f"{ODD}.flac").output)
    assert [f["title"] for f in found] == ["Odd"]
    by_path = json.loads(invoke("search", "--db", db, "--format", "json", f"path:{ODD}").output)
    assert sorted(f["title"] for f in by_path) == ["Odd", "Plain"]
    plain = tmp_path / "plain"
    os.rename(odd_root, plain)
    moved = json.loads(invoke("relocate", "--db", db, odd_root, plain, "--json").output)
    assert moved == {"relocated": 2}
    assert json.loads(invoke("index", "--db", db, plain, "--json").output)["unchanged"] == 2
    os.rename(plain, odd_root)
    back = json.loads(invoke("relocate", "--db", db, plain, odd_root, "--json").output)
    assert back == {"relocated": 2}
    assert json.loads(invoke("index", "--db", db, odd_root, "--json").output)["unchanged"] == 2


def test_json_output_is_valid_utf8_json_under_a_strict_stdout(
    odd_root: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lib.db"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    for args in (("index", "--db", db, odd_root, "--json"), ("stats", "--db", db, "--json")):
        done = run_cli(*args, env=env)
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout.decode("utf-8"))  # strict: raw bytes would fail here
        assert [r for r in data["roots"] if r.endswith("caf\\xe9")], data["roots"]


@pytest.mark.parametrize(
    "args",
    [
        ("year:99999999999999999999",),
        ("x", "--limit", "99999999999999999999"),
        tuple(f"w{i}" for i in range(10_000)),
    ],
    ids=["huge-year", "huge-limit", "10000-words"],
)
def test_absurd_searches_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "lib.db"
    LibraryDatabase(db).close()
    one_line(invoke("search", "--db", db, *args), ExitStatus.USAGE)


def test_search_terms_are_passed_through_as_given(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    with LibraryDatabase(db) as store:
        store.batch_insert_files([library_file(1, title="Don't Stop"), library_file(2)])
    result = invoke("search", "--db", db, "--format", "json", "don't")
    assert result.exit_code == 0, result.output
    assert [f["title"] for f in json.loads(result.output)] == ["Don't Stop"]
    quoted = invoke("search", "--db", db, "--format", "json", 'title:"Don')
    assert quoted.exit_code == 0 and json.loads(quoted.output) == []


def _corrupt_library(tmp_path: Path) -> Path:
    db = tmp_path / "corrupt.db"
    with LibraryDatabase(db) as store:
        store.batch_insert_files(library_file(i, root=str(tmp_path / "lib")) for i in range(3_000))
    size = db.stat().st_size
    rng = random.Random(8)
    with open(db, "r+b") as raw:  # three places: which pages a query reads depends on the layout
        for place in (size // 4, size // 2, 3 * size // 4):
            raw.seek(place)
            raw.write(rng.randbytes(8 * 1024))
    return db


@pytest.mark.parametrize(
    "command",
    [
        ("stats",),
        ("stats", "--json"),
        ("search", "title"),
        ("export",),
        ("errors",),
        ("relocate", "{root}", "/"),  # a folder that exists: the database refuses
        ("index", "{root}"),
    ],
)
def test_a_corrupt_database_is_one_line_saying_so(tmp_path: Path, command: tuple[str, ...]) -> None:
    db = _corrupt_library(tmp_path)
    root = tmp_path / "lib"
    make_audio(root / "a.flac", "flac", tags=Tags())
    args = [a.replace("{root}", str(root)) for a in command]
    before = digest(db)
    result = invoke(*args, "--db", db)
    if result.exit_code == 0 and command[0] == "errors":
        return  # the scan_errors table lies outside the damage: nothing to say
    line = one_line(result, ExitStatus.ERROR)
    assert str(db) in line and "corrupt" in line and "fresh" in line, line
    if command[0] not in ("relocate", "index"):
        assert digest(db) == before


def test_a_corrupt_database_given_to_export_leaves_the_previous_output_alone(
    tmp_path: Path,
) -> None:
    db = _corrupt_library(tmp_path)
    previous = tmp_path / "prev.csv"
    previous.write_text("file_path\n/music/kept.flac\n")
    one_line(invoke("export", "--db", db, "--format", "csv", "-o", previous), ExitStatus.ERROR)
    assert previous.read_text() == "file_path\n/music/kept.flac\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("prev")] == ["prev.csv"]


@pytest.fixture
def foreign_sqlite(tmp_path: Path) -> Path:
    notes = tmp_path / "notes.sqlite"
    conn = apsw.Connection(str(notes))
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('buy milk')")
    conn.close()
    return notes


@pytest.fixture
def newer_library(tmp_path: Path) -> Path:
    db = tmp_path / "newer.db"
    conn = apsw.Connection(str(db))
    conn.execute("CREATE TABLE library_index (id INTEGER PRIMARY KEY, file_path TEXT)")
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.close()
    return db


@pytest.mark.parametrize("command", ["stats", "search", "errors", "export", "index", "relocate"])
@pytest.mark.parametrize("which", ["foreign", "newer"])
def test_a_foreign_or_newer_database_is_refused_and_left_byte_for_byte(
    request: pytest.FixtureRequest, tmp_path: Path, command: str, which: str
) -> None:
    db: Path = request.getfixturevalue("foreign_sqlite" if which == "foreign" else "newer_library")
    extra = {"search": ["x"], "index": [str(tmp_path)], "relocate": ["/a", "/b"]}
    before = digest(db)
    line = one_line(invoke(command, "--db", db, *extra.get(command, [])), ExitStatus.ERROR)
    assert str(db) in line
    assert ("not a music-tools library" if which == "foreign" else "newer") in line, line
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(db.name)) == [db.name]


def test_a_folder_given_as_the_database_is_one_line(tmp_path: Path) -> None:
    for command in ("stats", "index"):
        result = invoke(command, "--db", tmp_path, *([str(tmp_path)] if command == "index" else []))
        assert result.exit_code in (ExitStatus.ERROR, ExitStatus.USAGE), result.output
        assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("layout", READ_ONLY_LAYOUTS)
def test_a_library_the_user_can_only_read_can_be_queried(tmp_path: Path, layout: str) -> None:
    with shared_folder("mt-ro-") as shared:
        root = shared / "lib"
        make_audio(root / "a.flac", "flac", tags=Tags(title="Readable"))
        db = shared / "lib.db"
        assert invoke("index", "-q", "--db", db, root).exit_code == 0
        before = digest(db)
        with only_readable(db, layout):
            for args in (
                ("stats", "--json"),
                ("search", "--format", "json", "readable"),
                ("errors", "--json"),
                ("export",),
            ):
                done = run_cli_as_nobody(*args, "--db", db)
                assert done.returncode == 0, (args, done.stderr)
                assert "Readable" in done.stdout or args[0] in ("stats", "errors"), done.stdout
            stats = json.loads(run_cli_as_nobody("stats", "--json", "--db", db).stdout)
            assert stats["files"] == 1
            (shared / "moved").mkdir()  # relocate's target exists: the database refuses
            refused = run_cli_as_nobody("relocate", root, shared / "moved", "--db", db)
            assert refused.returncode == ExitStatus.ERROR
            assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
            assert "Traceback" not in refused.stderr
        assert digest(db) == before


def test_an_error_about_a_path_that_is_not_utf8_is_one_printable_line(tmp_path: Path) -> None:
    missing = Path(os.fsdecode(os.fsencode(tmp_path) + b"/gon\xe9"))
    done = run_cli("index", "--db", tmp_path / "lib.db", missing)
    assert done.returncode == ExitStatus.USAGE
    line = done.stderr.decode("utf-8")  # strict: raw bytes would fail here
    assert line.count("\n") == 1 and "gon\\xe9: no such folder" in line, line


@pytest.mark.parametrize("command", ["stats", "search", "errors", "export"])
def test_a_database_left_empty_by_a_killed_index_says_so_to_a_reader(
    tmp_path: Path, command: str
) -> None:
    """An index killed before its first commit leaves an SQLite file without a table: a
    reader says it is empty and what builds it, not that it is a file of another kind,
    and writes nothing (found by the kill test, which caught such a file)."""
    db = tmp_path / "empty.db"
    apsw.Connection(str(db)).execute("PRAGMA journal_mode=WAL").fetchall()
    before = digest(db)
    extra = {"search": ["x"]}
    line = one_line(invoke(command, "--db", db, *extra.get(command, [])), ExitStatus.ERROR)
    assert str(db) in line
    assert "empty" in line and "music-tools index" in line, line
    assert "another kind" not in line, line
    assert digest(db) == before
