"""Options of `index`, `check` and `relocate` that say what they did: capped --workers,
--full-hash on a library already indexed, a relocation to a folder that is not there."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import fields
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli, render
from music_tools.index import IndexReport
from support.audio_factory import Tags, make_audio


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def music(tmp_path: Path) -> Path:
    root = tmp_path / "Music"
    for i, (artist, title) in enumerate([("Björk", "Jóga"), ("Portishead", "Roads")]):
        make_audio(root / f"{i}.flac", "flac", seed=i, seconds=0.2, tags=Tags(artist, title))
    return root


def test_workers_beyond_four_per_core_are_capped_saying_so(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    cap = max(8, 4 * (os.cpu_count() or 1))
    line = f"--workers 256: more than 4 per core only costs memory; using {cap}\n"
    result = invoke("index", "--db", db, music, "--workers", "256", "-q")
    assert result.exit_code == ExitStatus.OK, result.output
    assert result.stderr == line
    new = tmp_path / "new.flac"
    shutil.copy(music / "0.flac", new)
    result = invoke("check", "--db", db, new, "--workers", "256", "-q")
    assert result.exit_code == ExitStatus.DUPLICATES, result.output
    assert result.stderr == line
    result = invoke("index", "--db", db, music, "--workers", str(cap), "-q")
    assert result.exit_code == ExitStatus.OK and result.stderr == ""


def test_relocate_to_a_folder_that_is_not_there_is_refused_unless_allowed(
    music: Path, tmp_path: Path
) -> None:
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, music, "-q").exit_code == ExitStatus.OK
    unmounted = tmp_path / "drive" / "Music"
    result = invoke("relocate", "--db", db, music, unmounted)
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{unmounted}: no such folder" in result.stderr, result.stderr
    assert "--allow-missing" in result.stderr
    stats = json.loads(invoke("stats", "--db", db, "--json").stdout)
    assert stats["roots"] == {str(music): 2}
    (tmp_path / "a-file").write_text("")
    result = invoke("relocate", "--db", db, music, tmp_path / "a-file")
    assert result.exit_code == ExitStatus.USAGE and "not a folder" in result.stderr
    result = invoke("relocate", "--db", db, music, unmounted, "--allow-missing", "--json")
    assert result.exit_code == ExitStatus.OK, result.output
    assert json.loads(result.stdout) == {"relocated": 2}
    stats = json.loads(invoke("stats", "--db", db, "--json").stdout)
    assert stats["roots"] == {str(unmounted): 2}


def test_index_help_and_the_commands_page_explain_every_part_of_the_summary() -> None:
    counts = {f.name: i + 1 for i, f in enumerate(fields(IndexReport)) if f.type == "int"}
    line = render.index_summary(IndexReport(**counts))  # type: ignore[arg-type]
    parts = [part.split(" ", 1)[1] for part in line.split(";")[0].split(", ")]
    assert "back" in parts
    described = " ".join(invoke("index", "--help").output.split())
    page = (Path(__file__).parents[2] / "docs" / "commands.md").read_text()
    for part in parts:
        assert f"{part} (" in described, (part, described)
        assert f"`{part}`" in page, part


def _hashes(db: Path) -> dict[str, tuple[str | None, str | None]]:
    rows = [json.loads(line) for line in invoke("export", "--db", db).stdout.splitlines()]
    return {r["file_path"]: (r["audio_hash"], r["file_content_hash"]) for r in rows}


def test_full_hash_fills_the_missing_hashes_of_unchanged_files_under_the_roots_given(
    music: Path, tmp_path: Path
) -> None:
    other = tmp_path / "Other"
    make_audio(other / "x.mp3", "mp3", seed=9, seconds=0.2, tags=Tags("Air", "La"))
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, music, other, "-q").exit_code == ExitStatus.OK
    assert set(_hashes(db).values()) == {(None, None)}
    result = invoke("index", "--db", db, music, "--full-hash", "--json")
    reference = tmp_path / "reference.db"  # the hashes a first index --full-hash gives
    assert invoke("index", "--db", reference, music, "--full-hash", "-q").exit_code == 0
    filled = _hashes(db)
    assert {p: filled[p] for p in _hashes(reference)} == _hashes(reference)
    assert filled[str(other / "x.mp3")] == (None, None)  # not under the roots given
    data = json.loads(result.stdout)
    assert (data["new"], data["updated"], data["unchanged"], data["hashed"]) == (0, 0, 2, 2)
    again = invoke("index", "--db", db, music, other, "--full-hash")
    assert "3 unchanged" in again.stdout and "1 hashed" in again.stdout, again.stdout
    assert (
        json.loads(invoke("index", "--db", db, music, "--full-hash", "--json").stdout)["hashed"]
        == 0
    )


def test_search_folds_accents_and_its_help_names_every_field(music: Path, tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, music, "-q").exit_code == ExitStatus.OK
    result = invoke("search", "--db", db, "bjork", "--format", "json")
    assert [r["title"] for r in json.loads(result.stdout)] == ["Jóga"]
    exported = [json.loads(line) for line in invoke("export", "--db", db).stdout.splitlines()]
    assert all("search_text" not in record for record in exported)  # an index, not a tag
    unknown = invoke("search", "--db", db, "colour:red").stderr
    known = unknown.strip().split("use one of: ")[1].split(", ")
    described = invoke("search", "--help").output
    assert len(known) >= 9 and all(f"{name}:" in described for name in known), described
