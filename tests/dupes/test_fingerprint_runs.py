"""What fingerprinting costs `check` and `dupes`, counted in fpcalc runs (a wrapper that logs
each call, then runs the real fpcalc): a library fingerprinted by `index --fingerprint`
costs nothing, a new file at most one run, and the prints made for library rows are kept
for the next run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from music_tools.cli import cli
from support.audio_factory import Tags, write_tags
from support.fake_fpcalc import counting_fpcalc
from support.fingerprint_corpus import requires_fpcalc
from support.music_factory import song, write_song

pytestmark = requires_fpcalc

SONGS = 3


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """library/: SONGS FLACs; new/: an MP3 transcode of each, with the same tags (only the
    audio can tell another take apart, so both sides' fingerprints are wanted)."""
    root = tmp_path_factory.mktemp("runs")
    (root / "library").mkdir()
    (root / "new").mkdir()
    for n in range(SONGS):
        audio = song(200 + n, 20.0)
        tags = Tags(artist=f"Artist {n}", title=f"Song {n}", mbid=None)
        write_tags(write_song(root / "library" / f"{n}.flac", audio, "flac"), "flac", tags)
        write_tags(write_song(root / "new" / f"{n}.mp3", audio, "mp3"), "mp3", tags)
    return root


def _copy(music: Path, tmp_path: Path) -> tuple[Path, Path]:
    library, new = tmp_path / "library", tmp_path / "new"
    shutil.copytree(music / "library", library)
    shutil.copytree(music / "new", new)
    return library, new


def _run(program: Path, *args: str | Path) -> Result:
    env = {"MUSIC_TOOLS_FPCALC": str(program)}
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_checking_against_a_fingerprinted_library_runs_fpcalc_on_the_new_files_only(
    music: Path, tmp_path: Path
) -> None:
    library, new = _copy(music, tmp_path)
    program, runs = counting_fpcalc(tmp_path / "bin")
    db = tmp_path / "library.db"
    assert _run(program, "index", "--fingerprint", "-q", "--db", db, library).exit_code == 0
    assert len(runs()) == SONGS
    for _ in range(2):
        before = len(runs())
        checked = _run(program, "check", "--db", db, "--format", "json", new)
        assert checked.exit_code == 3 and '"same_song"' in checked.output
        assert sorted(runs()[before:]) == sorted(str(p) for p in new.iterdir())


def test_prints_made_for_library_rows_while_checking_are_kept_for_the_next_check(
    music: Path, tmp_path: Path
) -> None:
    library, new = _copy(music, tmp_path)
    program, runs = counting_fpcalc(tmp_path / "bin")
    db = tmp_path / "library.db"
    assert _run(program, "index", "-q", "--db", db, library).exit_code == 0
    assert _run(program, "check", "--db", db, new).exit_code == 3
    assert len(runs()) == 2 * SONGS  # both sides of each pair
    assert _run(program, "check", "--db", db, new).exit_code == 3
    assert len(runs()) == 3 * SONGS  # the new files only
    before = len(runs())
    assert _run(program, "index", "--fingerprint", "-q", "--db", db, library).exit_code == 0
    assert len(runs()) == before  # check kept them as index --fingerprint would have


def test_dupes_keeps_the_prints_it_made(music: Path, tmp_path: Path) -> None:
    _copy(music, tmp_path)
    program, runs = counting_fpcalc(tmp_path / "bin")
    db = tmp_path / "library.db"
    assert _run(program, "index", "-q", "--db", db, tmp_path).exit_code == 0
    first = _run(program, "dupes", "--db", db, "--format", "json")
    assert first.exit_code == 0 and len(runs()) == 2 * SONGS
    again = _run(program, "dupes", "--db", db, "--format", "json")
    assert again.output == first.output and len(runs()) == 2 * SONGS


def test_a_new_copy_of_a_fingerprinted_library_file_needs_no_fpcalc_run(
    music: Path, tmp_path: Path
) -> None:
    """The new file is a byte copy of a library FLAC; the library also holds an MP3 of the
    same song with the same tags, so checking wants the new file's fingerprint: the
    library's print of that audio is it."""
    library, _ = _copy(music, tmp_path)
    shutil.copy(music / "new" / "0.mp3", library / "0.mp3")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shutil.copy(library / "0.flac", downloads / "0.flac")
    program, runs = counting_fpcalc(tmp_path / "bin")
    db = tmp_path / "library.db"
    assert _run(program, "index", "--fingerprint", "-q", "--db", db, library).exit_code == 0
    before = len(runs())
    for flag in ((), ("--fingerprint",)):
        checked = _run(program, "check", *flag, "--db", db, "--format", "json", downloads)
        assert checked.exit_code == 3 and '"exact"' in checked.output
    assert runs()[before:] == []
