"""A damaged file is never a keeper and never an upgrade: each damage of issue 19 (a FLAC
whose STREAMINFO is garbage, an MP3 cut short that keeps its Xing header, an M4A, WAV and
Ogg Vorbis cut short) beside an intact copy of the same song and a worse copy of it, through
the library API and the real `index`, `errors`, `dupes` and `check --only upgrades`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from music_tools import ExtractError, extract
from music_tools.cli import ExitStatus, cli
from music_tools.cli.dupes_render import result_reason
from music_tools.dupes import DuplicateChecker, find_duplicates
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, encode_with_ffmpeg, ffmpeg_encoders, make_audio, write_tags

_FFMPEG = ffmpeg_encoders()
_SECONDS = 4.0
_TAGS = Tags(artist="Radiohead", title="Paranoid Android", mbid=None)
_KINDS = "exact,same_audio,same_song"


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _garbage_streaminfo(path: Path) -> None:
    """STREAMINFO overwritten but its MD5 (so the audio key survives), with the issue's
    values: 3 channels at 125,637 Hz, 428,076 s, and block and frame sizes of noise."""
    data = bytearray(path.read_bytes())
    at = data.index(b"fLaC") + 8  # STREAMINFO's body
    rate, channels, bits = 125_637, 3, 24
    packed = rate << 44 | (channels - 1) << 41 | (bits - 1) << 36 | 428_076 * rate
    data[at : at + 18] = bytes.fromhex("3a71c0de5e11b0ca7702") + packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))


def _cut_to(fraction: float) -> Callable[[Path], None]:
    def cut(path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return cut


def _soundfile(fmt: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        make_audio(path, fmt, seed=7, seconds=_SECONDS, tags=_TAGS)

    return make


def _ffmpeg(fmt: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        encode_with_ffmpeg(path, fmt, seed=7, seconds=_SECONDS)
        write_tags(path, fmt, _TAGS)

    return make


#: (name, extension, what makes the intact copy, the damage done to the other copy)
_DAMAGES = [
    ("garbage STREAMINFO", "flac", _soundfile("flac"), _garbage_streaminfo),
    ("MP3 cut to a third, its Xing header kept", "mp3", _ffmpeg("mp3"), _cut_to(1 / 3)),
    ("MP3 cut by 5%", "mp3", _ffmpeg("mp3"), _cut_to(0.95)),
    ("M4A cut to two thirds", "m4a", _ffmpeg("m4a"), _cut_to(2 / 3)),
    ("WAV cut to two thirds", "wav", _soundfile("wav"), _cut_to(2 / 3)),
    ("Ogg Vorbis cut in its last page", "ogg", _soundfile("ogg"), _cut_to(0.99)),
]


def _worse_copy(path: Path) -> Path:
    """The same song as a 64 kbps MP3: a copy every intact one above is better than."""
    source = make_audio(path.with_suffix(".wav"), "wav", seed=7, seconds=_SECONDS)
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-b:a", "64k", str(path)]
    subprocess.run(command, check=True)
    source.unlink()
    write_tags(path, "mp3", _TAGS)
    return path


@pytest.fixture(params=_DAMAGES, ids=[d[0] for d in _DAMAGES])
def songs(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, Path]:
    """(intact, damaged, worse): Music/intact/, Music/damaged/ and Music/worse/."""
    _, extension, make, damage = request.param
    if not {"mp3", "m4a"} <= _FFMPEG:
        pytest.skip("needs ffmpeg with its MP3 and AAC encoders")
    music = tmp_path / "Music"
    intact = music / "intact" / f"song.{extension}"
    intact.parent.mkdir(parents=True)
    make(intact)
    damaged = music / "damaged" / intact.name
    damaged.parent.mkdir()
    shutil.copyfile(intact, damaged)
    damage(damaged)
    worse = _worse_copy(music / "worse" / "song.mp3")
    return intact, damaged, worse


def test_a_damaged_copy_is_an_error_never_a_keeper(
    songs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    intact, damaged, worse = songs
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, "--quiet", tmp_path / "Music").exit_code == 0
    # the damaged copy's folder is preferred: only quality or damage can keep it out
    shown = invoke(
        "dupes", "--db", db, "--kinds", _KINDS, "--root", damaged.parent, "--format", "json"
    )
    assert shown.exit_code == ExitStatus.OK, shown.output
    (group,) = json.loads(shown.stdout)
    assert group["keeper"]["path"] == str(intact), group
    assert [o["path"] for o in group["others"]] == [str(worse)]
    with LibraryDatabase(db) as library:
        groups = list(find_duplicates(library, roots=[str(damaged.parent)]))
        assert [g.keeper.file_path for g in groups] == [str(intact)]
    errors = json.loads(invoke("errors", "--db", db, "--json").stdout)
    assert [e["path"] for e in errors] == [str(damaged)]
    assert errors[0]["reason"].startswith("damaged "), errors
    extract(intact)
    with pytest.raises(ExtractError):
        extract(damaged)


def test_check_never_offers_a_damaged_copy_as_an_upgrade(
    songs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Against a library holding the intact copy (the garbage FLAC was offered "by higher
    sample rate"), and against one holding the worse copy (the intact one is the upgrade)."""
    intact, damaged, worse = songs
    new = tmp_path / "new"
    new.mkdir()
    for copy in (intact, damaged):
        shutil.copyfile(copy, new / f"{copy.parent.name}{copy.suffix}")
    for holding, upgrades in ((intact, []), (worse, ["intact"])):
        db = tmp_path / f"{holding.parent.name}.db"
        assert invoke("index", "--db", db, "--quiet", holding.parent).exit_code == 0
        result = invoke("check", "--db", db, "--only", "upgrades", "--format", "json", new)
        assert result.exit_code == ExitStatus.DUPLICATES, result.output
        assert [Path(r["path"]).stem for r in json.loads(result.stdout)] == upgrades
        with LibraryDatabase(db) as library:
            verdict = DuplicateChecker(library).check_file(new / f"damaged{damaged.suffix}")
        assert not verdict.is_duplicate and verdict.file is None, verdict
        assert result_reason(verdict).startswith("cannot read: damaged "), result_reason(verdict)
