"""The README's Python examples run as they are: every ```python block, in order, as a
script of its own (as a user runs one: `python example.py`), in a folder holding the
`music/` and `downloads/` they name, with more files than the readers take in-process, so
that the indexer and the checker start their worker processes (which import the script)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from music_tools.read.pool import IN_PROCESS_FILES
from support.audio_factory import Tags, make_audio

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """music/ (one song in FLAC, its MP3 and a byte copy) and downloads/ (another copy of
    the FLAC and a song the library lacks), and IN_PROCESS_FILES names of another song in
    each."""
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
    # enough files that the readers start their pool: names of one file each, one in the
    # library only, one among the downloads only
    for number, where in enumerate(("music/many/{}.flac", "downloads/{}-more.flac"), start=3):
        tags = Tags(artist="Readme Artist", title=f"Song {number}", mbid=None)
        source = make_audio(tmp_path / f"song{number}.flac", "flac", seed=number, tags=tags)
        for name in range(IN_PROCESS_FILES):
            target = tmp_path / where.format(name)
            target.parent.mkdir(exist_ok=True)
            os.link(source, target)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_python_examples() -> None:
    assert len(_blocks()) >= 4


def test_every_python_example_of_the_readme_runs(folder: Path) -> None:
    said = ""
    for number, code in enumerate(_blocks(), start=1):
        script = folder / f"example{number}.py"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, script.name], cwd=folder, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (number, done.stderr)
        assert "Traceback" not in done.stderr, (number, done.stderr)
        said += done.stdout
    assert f"{3 + IN_PROCESS_FILES} new, 0 unchanged, 0 errors" in said
    assert "downloads/one.flac duplicate exact same" in said
    assert "downloads/two.flac new None unknown" in said
    assert f"would {folder / 'music' / 'copies' / 'one.flac'} -> " in said
    assert f"done {folder / 'music' / 'copies' / 'one.flac'}" in said  # put back by undo
    assert (folder / "music" / "copies" / "one.flac").exists()
    assert not (folder / "spare" / "copies" / "one.flac").exists()
