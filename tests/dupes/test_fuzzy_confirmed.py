"""A fuzzy match (names alike) is a duplicate only once fingerprints confirm it, where they
can be had; without them it is reported, and acted on only when the user asks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from music_tools.cli import cli
from music_tools.library import LibraryDatabase, LibraryIndexer, find_duplicates
from support.audio_factory import Tags, write_tags
from support.fingerprint_corpus import requires_fpcalc
from support.music_factory import song, write_song

LEFT_ALONE = "fuzzy match not confirmed by fingerprint; left alone"


def _tagged(path: Path, seed: int, title: str, fmt: str = "flac") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_song(path, song(seed, 16.0), fmt)
    write_tags(path, fmt, Tags(artist="The Band", title=title, album=None, mbid=None))
    return path


@pytest.fixture
def library(tmp_path: Path) -> dict[str, Path]:
    """Music/: "Wildflower", "Wildflowers" (another song, 91% alike, the same length) and
    "Wildfolwer" (a typo'd MP3 of the first), all indexed in dupes.db; new/: the other
    song and the typo'd MP3 again, to check against lib.db, which holds "Wildflower" only
    (so that the new files have no same-tag file there)."""
    files = {
        "wildflower": _tagged(tmp_path / "Music" / "a" / "wildflower.flac", 80, "Wildflower"),
        "wildflowers": _tagged(tmp_path / "Music" / "b" / "wildflowers.flac", 81, "Wildflowers"),
        "typo": _tagged(tmp_path / "Music" / "c" / "wildfolwer.mp3", 80, "Wildfolwer", "mp3"),
    }
    new = tmp_path / "new"
    new.mkdir()
    files["new song"] = Path(shutil.copy(files["wildflowers"], new))
    files["new typo"] = Path(shutil.copy(files["typo"], new))
    with LibraryDatabase(tmp_path / "dupes.db") as db:
        LibraryIndexer(db, 1).index([tmp_path / "Music"])
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, 1).index([tmp_path / "Music" / "a"])
    return files


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@requires_fpcalc
def test_check_calls_names_alike_whose_fingerprints_differ_no_match_and_moves_nothing(
    library: dict[str, Path], tmp_path: Path
) -> None:
    db, spare = tmp_path / "lib.db", tmp_path / "spare"
    new = [library["new song"], library["new typo"]]
    result = _run(
        "check",
        "--db",
        db,
        "--fingerprint",
        "--format",
        "json",
        "--move-dupes-to",
        spare,
        "--apply",
        "--log",
        tmp_path / "log.jsonl",
        *new,
    )
    records = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    song_record = records["wildflowers.flac"]
    assert not song_record["is_duplicate"], song_record
    assert "similar artist and title" in song_record["reason"]
    assert "but another recording" in song_record["reason"]
    assert library["new song"].exists()
    typo = records["wildfolwer.mp3"]
    assert typo["match_type"] == "fuzzy" and typo["confirmed"] is True, typo
    assert all(m["confirmed"] for m in typo["matches"])
    assert not library["new typo"].exists()  # confirmed, and worse than the FLAC: moved


@requires_fpcalc
def test_dupes_never_groups_two_songs_whose_names_are_alike(library: dict[str, Path]) -> None:
    with LibraryDatabase(library["wildflower"].parents[2] / "dupes.db") as db:
        groups = list(find_duplicates(db, ["fuzzy"]))
    (group,) = groups
    assert group.keeper.file_path == str(library["wildflower"])
    assert [(m.file.file_path, m.kind) for m in group.others] == [(str(library["typo"]), "fuzzy")]
    assert group.others[0].confirmed  # the fingerprints agree


def test_without_fingerprints_dupes_reports_a_fuzzy_group_and_acts_only_when_asked(
    library: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSIC_TOOLS_FPCALC", "")
    db, spare = tmp_path / "dupes.db", tmp_path / "spare"
    shown = _run("dupes", "--db", db, "--kinds", "fuzzy", "--format", "json")
    (group,) = json.loads(shown.stdout)
    (other,) = (Path(o["path"]) for o in group["others"])
    moving = ("dupes", "--db", db, "--kinds", "fuzzy", "--move-to", spare, "--apply")
    held = _run(*moving, "--log", tmp_path / "1.jsonl")
    assert held.exit_code == 0, held.output
    assert f"skipped: {other}: {LEFT_ALONE}" in held.stderr.splitlines()
    assert other.exists() and not spare.exists()
    moved = _run(*moving, "--act-on-fuzzy", "--log", tmp_path / "2.jsonl")
    assert moved.exit_code == 0, moved.output
    assert not other.exists() and "moved: " in moved.stderr
    assert [o["confirmed"] for o in group["others"]] == [False]


def test_without_fingerprints_check_moves_a_fuzzy_match_only_when_asked(
    library: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSIC_TOOLS_FPCALC", "")
    db, spare, new = tmp_path / "lib.db", tmp_path / "spare", library["new song"]
    moving = ("check", "--db", db, "--move-dupes-to", spare, "--apply", "--format", "json")
    held = _run(*moving, "--log", tmp_path / "1.jsonl", new)
    (record,) = json.loads(held.stdout)
    assert record["match_type"] == "fuzzy"
    assert new.exists(), held.stderr
    assert f"skipped: {new}: {LEFT_ALONE}" in held.stderr.splitlines()
    moved = _run(*moving, "--act-on-fuzzy", "--log", tmp_path / "2.jsonl", new)
    assert not new.exists() and "moved: " in moved.stderr
    assert record["confirmed"] is False
