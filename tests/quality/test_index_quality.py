"""`index --quality`: the verdict on every row without a current one, stored as it comes; a
file that cannot be decoded is named and stored as not analysed, never stopping the run;
a second run analyses nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile
from click.testing import CliRunner

from music_tools.cli import cli
from music_tools.index import analysing
from music_tools.library import LibraryDatabase
from music_tools.quality import ANALYSIS_VERSION
from support.audio_factory import Tags, write_tags
from support.quality_corpus import ffmpeg_missing, music

pytestmark = pytest.mark.skipif(ffmpeg_missing() is not None, reason=str(ffmpeg_missing()))


def _genuine(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, music(seed, 2.5), 44_100, subtype="PCM_16", format="FLAC")
    write_tags(path, "flac", Tags(title=f"Song {seed}"))
    return path


def _from_mp3(path: Path, seed: int) -> Path:
    """A FLAC decoded from a 128 kbps MP3 of the genuine signal."""
    source = _genuine(path.with_name(f"source-{seed}.flac"), seed)
    mp3 = path.with_suffix(".mp3")
    for command in (["-i", source, "-c:a", "libmp3lame", "-b:a", "128k", mp3],
                    ["-i", mp3, "-sample_fmt", "s16", path]):  # fmt: skip
        subprocess.run(["ffmpeg", "-v", "error", "-y", *command], check=True)
    source.unlink()
    mp3.unlink()
    write_tags(path, "flac", Tags(title=f"Fake {seed}"))
    return path


def _index(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["index", *map(str, args)], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_index_quality_stores_each_verdict_and_a_second_run_analyses_none(tmp_path: Path) -> None:
    music_dir, db = tmp_path / "Music", tmp_path / "lib.db"
    genuine = _genuine(music_dir / "genuine.flac", 1)
    fake = _from_mp3(music_dir / "fake.flac", 2)
    code, out, _ = _index("--quality", "--json", "--db", db, music_dir)
    assert code == 0
    judged = json.loads(out)["quality"]
    assert judged["verdicts"] == {"genuine": 1, "lossy_source": 1}
    assert (judged["analysed"], judged["up_to_date"], judged["failures"]) == (2, 0, [])
    with LibraryDatabase(db, readonly=True) as library:
        row = library.get_file_by_path(str(fake))
        assert row is not None and row.quality_verdict == "lossy_source"
        assert row.quality_likely_source == "MP3 128 kbps" and row.quality_cutoff_hz
        assert row.quality_version == ANALYSIS_VERSION and "128 kbps" in str(row.quality_reason)
        kept = library.get_file_by_path(str(genuine))
        assert kept is not None and kept.quality_verdict == "genuine"
    code, out, _ = _index("--quality", "--db", db, music_dir)
    assert code == 0 and "0 judged for quality (2 up to date)" in out


def test_a_file_that_cannot_be_decoded_is_named_and_not_tried_again(tmp_path: Path) -> None:
    music_dir, db = tmp_path / "Music", tmp_path / "lib.db"
    good = _genuine(music_dir / "a.flac", 1)
    bad = _genuine(music_dir / "b.flac", 2)
    assert _index("-q", "--db", db, music_dir)[0] == 0
    stat = bad.stat()
    with bad.open("r+b") as damaged:  # the frames garbage, the size and mtime as indexed
        damaged.seek(stat.st_size // 3)
        damaged.write(os.urandom(stat.st_size - stat.st_size // 3))
    os.utime(bad, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, out, err = _index("--quality", "--db", db, music_dir)
    assert code == 0
    assert f"{bad}: quality: cannot decode" in err and str(good) not in err
    assert "1 genuine, 1 not analysed" in out and "1 could not be decoded" in out
    with LibraryDatabase(db, readonly=True) as library:
        row = library.get_file_by_path(str(bad))
        assert row is not None and row.quality_verdict == "not_analysed"
    code, out, err = _index("--quality", "--db", db, music_dir)
    assert "0 judged for quality" in out and "quality:" not in err


def test_workers_analyse_in_processes_and_store_every_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analysing, "IN_PROCESS_FILES", 8)  # the pool for a few files
    music_dir, db = tmp_path / "Music", tmp_path / "lib.db"
    first = _genuine(music_dir / "0.flac", 1)
    for n in range(1, 10):
        shutil.copy(first, music_dir / f"{n}.flac")
    code, out, _ = _index("--quality", "--workers", "2", "--json", "--db", db, music_dir)
    assert code == 0 and json.loads(out)["quality"]["verdicts"] == {"genuine": 10}
    with LibraryDatabase(db, readonly=True) as library:
        assert library.quality.count_stale(ANALYSIS_VERSION) == 0


def test_a_moved_file_keeps_its_verdict(tmp_path: Path) -> None:
    """A move is re-linked in place (same audio): its verdict still holds."""
    music_dir, db = tmp_path / "Music", tmp_path / "lib.db"
    fake = _from_mp3(music_dir / "fake.flac", 2)
    assert _index("--quality", "-q", "--db", db, music_dir)[0] == 0
    moved = fake.rename(music_dir / "moved.flac")
    code, out, _ = _index("--quality", "--db", db, music_dir)
    assert code == 0 and "1 moved" in out and "0 judged for quality (1 up to date)" in out
    with LibraryDatabase(db, readonly=True) as library:
        row = library.get_file_by_path(str(moved))
        assert row is not None and row.quality_verdict == "lossy_source"
