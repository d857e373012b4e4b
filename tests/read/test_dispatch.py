"""The one dispatcher of reading: which format reads a file, and how often it is walked."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from music_tools import extract
from support.audio_factory import Tags, file_name, make_audio

dispatcher = importlib.import_module("music_tools.read.extract")  # the module, not the function


def _swap(monkeypatch: pytest.MonkeyPatch, change: Callable[[Any], Any]) -> None:
    """Put `change(container)` in the dispatcher's table for every kind it serves."""
    changed: dict[int, Any] = {}
    for kind, container in list(dispatcher._CONTAINERS.items()):
        if id(container) not in changed:
            changed[id(container)] = change(container)
        monkeypatch.setitem(dispatcher._CONTAINERS, kind, changed[id(container)])


@pytest.mark.parametrize("fmt", ["ogg", "opus", "flac", "mp3"])
def test_turning_fast_reading_off_reads_every_file_through_mutagen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    path = make_audio(tmp_path / file_name(fmt), fmt, tags=Tags())
    through_mutagen: list[str] = []
    read_with_mutagen = dispatcher.read_with_mutagen

    def counting(opened: Any, file: Any, *args: Any) -> Any:
        through_mutagen.append(file.file_path)
        return read_with_mutagen(opened, file, *args)

    monkeypatch.setattr(dispatcher, "read_with_mutagen", counting)
    assert extract(path).artist == "Test Artist"
    assert through_mutagen == []  # the lean reader read it
    assert extract(path, fast_read=False).artist == "Test Artist"
    assert through_mutagen == [str(path)]


@pytest.mark.parametrize("fmt", ["flac", "m4a", "wav", "aiff"])
@pytest.mark.parametrize("full_hash", [False, True])
def test_a_container_is_walked_once_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, full_hash: bool
) -> None:
    """The tag-size limit, the damage checks, the lean reader and the payload share one walk
    (the README's promise), with and without the full hashes."""
    path = make_audio(tmp_path / file_name(fmt), fmt, tags=Tags(), picture=True)
    walked: list[str] = []
    counted: dict[Any, Any] = {}

    def counting(walk: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def count(window: Any) -> Any:
            walked.append(walk.__name__)
            return walk(window)

        return counted.setdefault(walk, count)

    _swap(monkeypatch, lambda c: replace(c, walk=counting(c.walk)))
    file = extract(path, full_hash=full_hash)
    assert file.artist == "Test Artist" and file.audio_key
    assert len(walked) == 1, walked
