"""The keeper rules and check's better/worse use the quality verdict (issue 21's acceptance):
a FLAC made from a 128 kbps MP3 counts as that MP3. Real audio, short clips; the verdicts
are computed lazily by `dupes` and `check` (no `index --quality` first) and stored."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import soundfile
from click.testing import CliRunner, Result

from music_tools.cli import ExitStatus, cli
from music_tools.dupes import find_duplicates
from music_tools.library import LibraryDatabase, LibraryFile
from music_tools.quality import QualityReport
from support.audio_factory import Tags, write_tags
from support.quality_corpus import ffmpeg_missing, music

pytestmark = pytest.mark.skipif(ffmpeg_missing() is not None, reason=str(ffmpeg_missing()))
SEED = 7


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _genuine(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, music(SEED, 2.5), 44_100, subtype="PCM_16", format="FLAC")
    write_tags(path, "flac", Tags())
    return path


def _mp3(path: Path, kbps: int) -> Path:
    source = _genuine(path.with_name(f"source-{path.stem}.flac"))
    _ffmpeg("-i", source, "-c:a", "libmp3lame", "-b:a", f"{kbps}k", path)
    source.unlink()
    write_tags(path, "mp3", Tags())
    return path


def _fake_flac(path: Path) -> Path:
    """A FLAC decoded from a 128 kbps MP3 of the same signal, same tags: it claims lossless."""
    mp3 = _mp3(path.with_name(f"{path.stem}-source.mp3"), 128)
    _ffmpeg("-i", mp3, "-sample_fmt", "s16", path)
    mp3.unlink()
    write_tags(path, "flac", Tags())
    return path


def _older(path: Path) -> Path:
    """Older than the other copies: the tie-break that keeps it when qualities are equal."""
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return path


def _invoke(tmp_path: Path, *args: str | Path) -> Result:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}  # a trash of its own
    return CliRunner(env=env).invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A library holding a genuine FLAC and an older FLAC made from a 128 kbps MP3."""
    folder = tmp_path / "Music"
    genuine = _genuine(folder / "b-genuine.flac")
    fake = _older(_fake_flac(folder / "a-fake.flac"))
    db = tmp_path / "lib.db"
    assert _invoke(tmp_path, "index", "-q", "--db", db, folder).exit_code == 0
    return db, genuine, fake


def test_dupes_keeps_the_genuine_flac_and_says_why(
    library: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    db, genuine, _ = library
    result = _invoke(tmp_path, "dupes", "--db", db, "--format", "json")
    groups = json.loads(result.stdout)
    assert len(groups) == 1, groups
    assert groups[0]["keeper"]["path"] == str(genuine), groups
    shown = _invoke(tmp_path, "dupes", "--db", db)
    said = " ".join(shown.stdout.split())  # the table wraps at the terminal's width
    assert "kept: genuine lossless over lossless made from MP3 128 kbps" in said


def test_dupes_apply_trashes_only_the_fake(
    library: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    db, genuine, fake = library
    log = tmp_path / "actions.jsonl"
    result = _invoke(tmp_path, "dupes", "-q", "--db", db, "--trash", "--apply", "--log", log)
    assert result.exit_code == 0, result.stderr
    assert genuine.exists() and not fake.exists()


def _into(
    analysed: list[tuple[LibraryFile, QualityReport]],
) -> Callable[[LibraryFile, QualityReport], None]:
    return lambda file, report: analysed.append((file, report))


def test_a_second_dupes_run_analyses_nothing(library: tuple[Path, Path, Path]) -> None:
    db, genuine, fake = library
    for expected in (2, 0):
        analysed: list[tuple[LibraryFile, QualityReport]] = []
        with LibraryDatabase(db) as lib:
            groups = list(find_duplicates(lib, on_analysed=_into(analysed)))
        assert len(analysed) == expected
        assert [g.keeper.file_path for g in groups] == [str(genuine)]
    with LibraryDatabase(db, readonly=True) as lib:
        row = lib.get_file_by_path(str(fake))
        assert row is not None and row.quality_verdict == "lossy_source"


def test_a_read_only_library_computes_verdicts_without_storing_them(
    library: tuple[Path, Path, Path],
) -> None:
    db, genuine, _ = library
    for _ in range(2):
        analysed: list[tuple[LibraryFile, QualityReport]] = []
        with LibraryDatabase(db, readonly=True) as lib:
            groups = list(find_duplicates(lib, on_analysed=_into(analysed)))
        assert len(analysed) == 2 and [g.keeper.file_path for g in groups] == [str(genuine)]


def _upgrades(tmp_path: Path, held: Path, new: Path) -> list[str]:
    db = tmp_path / f"{held.stem}.db"
    assert _invoke(tmp_path, "index", "-q", "--db", db, held.parent).exit_code == 0
    result = _invoke(tmp_path, "check", "--db", db, "--only", "upgrades", "--format", "json", new)
    assert result.exit_code in (ExitStatus.OK, ExitStatus.DUPLICATES), result.output
    return [Path(r["path"]).name for r in json.loads(result.stdout)]


def test_check_never_offers_a_fake_flac_as_an_upgrade_over_a_better_mp3(tmp_path: Path) -> None:
    held = _mp3(tmp_path / "library" / "song.mp3", 320)
    new = _fake_flac(tmp_path / "new" / "song.flac")
    assert _upgrades(tmp_path, held, new.parent) == []


def test_check_offers_a_better_mp3_over_a_fake_flac(tmp_path: Path) -> None:
    held = _fake_flac(tmp_path / "library" / "song.flac")
    new = _mp3(tmp_path / "new" / "song.mp3", 320)
    assert _upgrades(tmp_path, held, new.parent) == ["song.mp3"]
