"""The README's Python examples run as they are: every ```python block, in order, in a
folder holding the `music/` and `downloads/` they name."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from support.audio_factory import Tags, make_audio

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """music/ (one song in FLAC, its MP3 and a byte copy) and downloads/ (another copy of
    the FLAC and a song the library lacks)."""
    song = Tags(artist="Readme Artist", title="One", mbid=None)
    flac = make_audio(
        tmp_path / "music" / "flac" / "one.flac", "flac", seed=1, seconds=7, tags=song
    )
    make_audio(tmp_path / "music" / "mp3" / "one.mp3", "mp3", seed=1, seconds=7, tags=song)
    (tmp_path / "music" / "copies").mkdir()
    shutil.copy2(flac, tmp_path / "music" / "copies" / "one.flac")
    (tmp_path / "downloads").mkdir()
    shutil.copy2(flac, tmp_path / "downloads" / "one.flac")
    other = Tags(artist="Readme Artist", title="Two", mbid=None)
    make_audio(tmp_path / "downloads" / "two.flac", "flac", seed=2, seconds=1, tags=other)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_python_examples() -> None:
    assert len(_blocks()) >= 4


def test_every_python_example_of_the_readme_runs(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for number, code in enumerate(_blocks(), start=1):
        exec(compile(code, f"README.md, Python example {number}", "exec"), {"__name__": "readme"})
    said = capsys.readouterr().out
    assert "3 new, 0 unchanged, 0 errors" in said
    assert "downloads/one.flac duplicate exact same" in said
    assert "downloads/two.flac new None unknown" in said
    assert f"would {folder / 'music' / 'copies' / 'one.flac'} -> " in said
    assert f"done {folder / 'music' / 'copies' / 'one.flac'}" in said  # put back by undo
    assert (folder / "music" / "copies" / "one.flac").exists()
    assert not (folder / "spare" / "copies" / "one.flac").exists()
