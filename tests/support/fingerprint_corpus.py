"""A labelled corpus for the acoustic fingerprint, made of music-like audio.

`build_corpus(root)` writes a library (one FLAC per song, tagged) and a folder of new files,
and returns for each new file the library file it is the same recording of, or None. The
cases: transcodes (MP3, Ogg Vorbis) with no tags, with the tags of another song of the
library (whose length is the same: only the audio can tell), with leading silence added or
the first second cut; and files that are not duplicates: another take of a library song
with identical tags and about the same length, and unrelated songs in the same key and tempo
as a library song (untagged, and tagged as it). All clips are `SECONDS` long, so every
same-tag pair has lengths that agree.
Used by tests/identity, tests/dupes and benchmarks/benchmark_fingerprint.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from music_tools.identity.fpcalc import DEFAULT_FPCALC

from .audio_factory import Tags, write_tags
from .music_factory import song, write_song

__all__ = ["SECONDS", "SONGS", "Label", "build_corpus", "fpcalc_children", "requires_fpcalc"]

SECONDS = 20.0
RATE = 44_100


@dataclass(frozen=True)
class Song:
    artist: str
    title: str
    seed: int


SONGS = (
    Song("Portishead", "Glory Box", 31),
    Song("Björk", "Jóga", 32),
    Song("Massive Attack", "Teardrop", 33),
    Song("Beach House", "Space Song", 34),
    Song("Radiohead", "Paranoid Android", 35),
    Song("Daft Punk", "Digital Love", 36),
)


@dataclass(frozen=True)
class Label:
    """What a new file is: the same recording as library file `of`, or not (None)."""

    of: str | None
    case: str


def _key_and_tempo(seed: int) -> tuple[int, float]:
    rng = np.random.default_rng(seed)  # as music_factory.song draws them
    return int(rng.integers(0, 12)), float(rng.uniform(88, 140))


_NO_TAGS = {
    "album": None,
    "album_artist": None,
    "track": None,
    "disc": None,
    "date": None,
    "genre": None,
    "mbid": None,
}


def _tags(s: Song) -> Tags:
    return Tags(artist=s.artist, title=s.title, **_NO_TAGS)  # type: ignore[arg-type]


def _untag(path: Path) -> None:
    write_tags(path, path.suffix.lstrip("."), Tags(artist=None, title=None, **_NO_TAGS))  # type: ignore[arg-type]


def build_corpus(root: Path) -> dict[str, Label]:
    library, new = root / "library", root / "new"
    library.mkdir(parents=True)
    new.mkdir()
    labels: dict[str, Label] = {}
    silence = np.zeros((int(1.5 * RATE), 2), np.float32)
    for n, s in enumerate(SONGS):
        audio = song(s.seed, SECONDS)
        original = write_song(library / f"{s.seed}.flac", audio, "flac")
        write_tags(original, "flac", _tags(s))
        of = str(original)
        other = SONGS[(n + 1) % len(SONGS)]

        def add(name: str, samples: object, fmt: str, label: Label, tags: Tags | None) -> None:
            path = write_song(new / f"{name}.{fmt}", samples, fmt)
            if tags is None:
                _untag(path)
            else:
                write_tags(path, fmt, tags)
            labels[str(path)] = label

        add(f"Track {n + 1:02d}", audio, "mp3", Label(of, "transcode, no tags"), None)
        add(
            f"{s.seed}-wrong",
            audio,
            "ogg",
            Label(of, "transcode, another song's tags"),
            _tags(other),
        )
        add(
            f"{s.seed}-silence",
            np.concatenate([silence, audio]),
            "mp3",
            Label(of, "1.5 s of silence added, no tags"),
            None,
        )
        add(
            f"{s.seed}-cut",
            audio[RATE:],
            "mp3",
            Label(of, "first second cut, wrong tags"),
            _tags(other),
        )
        add(
            f"{s.seed}-take",
            song(s.seed, SECONDS, take=1),
            "mp3",
            Label(None, "another take, identical tags"),
            _tags(s),
        )
        key, tempo = _key_and_tempo(s.seed)
        alike = song(s.seed + 500, SECONDS, key=key, tempo=tempo)
        tags = _tags(s) if n % 2 else None
        add(
            f"{s.seed}-alike",
            alike,
            "mp3",
            Label(None, "unrelated song, same key and tempo" + (", same tags" if tags else "")),
            tags,
        )
    return labels


requires_fpcalc = pytest.mark.skipif(
    DEFAULT_FPCALC.path() is None,
    reason="fpcalc (Chromaprint) not installed: apt install libchromaprint-tools",
)
"""For the tests that fingerprint real files."""


def fpcalc_children() -> list[int]:
    """fpcalc processes this process started that are still there (running or unreaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            name = fields[0].split("(", 1)[1]
            parent = int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and name == "fpcalc":
            found.append(int(stat.parent.name))
    return found
