"""A labelled corpus for duplicate checking, made of real audio (soundfile + mutagen).

`build_corpus(root)` writes a library folder and a folder of new files, and returns for
each new file the kind of duplicate it is of which library file (or None: not a duplicate).
Every case the checker must get right is here: byte copies; re-tagged copies (case,
whitespace, Unicode forms, feat./ft./Feat., remaster and edition suffixes, ID3v1 added or
removed, a picture added); transcodes of the same PCM to other formats and bitrates with
the same tags; the same title by another artist; live, remix, extended and radio-edit
versions with the same tags and other lengths; typo'd tags (fuzzy); unrelated files.
Used by tests/dupes and by benchmarks/benchmark_check.py (which adds tests/ to sys.path).
"""

from __future__ import annotations

import filecmp
import shutil
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import soundfile

from .audio_factory import SOUNDFILE_FORMATS, Tags, signal, write_tags

__all__ = ["KINDS", "Label", "Score", "Song", "build_corpus", "score"]

KINDS = ("exact", "same_audio", "same_song", "fuzzy")
SECONDS = 4.0


@dataclass(frozen=True)
class Song:
    artist: str
    title: str
    fmt: str
    seed: int


SONGS = (
    Song("Portishead", "Glory Box", "flac", 11),
    Song("Björk", "Jóga", "mp3", 12),
    Song("The Beatles", "Hey Jude", "ogg", 13),
    Song("Massive Attack", "Teardrop", "wav", 14),
    Song("Beach House", "Space Song", "aiff", 15),
    Song("Sigur Rós", "Hoppípolla", "opus", 16),
    Song("Radiohead", "Paranoid Android", "flac", 17),
    Song("Daft Punk", "Digital Love", "mp3", 18),
)


@dataclass(frozen=True)
class Label:
    """What a new file is: `kind` of duplicate of `of` (a library path), or None."""

    kind: str | None
    of: str | None
    case: str


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def encode(path: Path, fmt: str, seed: int, seconds: float, level: float | None = None) -> Path:
    """The same signal (same seed) as audio_factory.make_audio, at a chosen MP3/Vorbis level."""
    container, subtype, rate = SOUNDFILE_FORMATS[fmt]
    data = signal(seed, seconds, rate, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with soundfile.SoundFile(
        path, "w", rate, 2, subtype=subtype, format=container, compression_level=level
    ) as out:
        for start in range(0, len(data), rate):
            out.write(data[start : start + rate])
    return path


def _ext(fmt: str) -> str:
    return fmt


def _tags(song: Song, **changes: str) -> Tags:
    values = {"artist": song.artist, "title": song.title, "album": f"{song.artist} album"}
    values.update(changes)
    return Tags(mbid=None, **values)  # type: ignore[arg-type]


def _retags(song: Song) -> dict[str, Tags]:
    """Tag variants that keep the audio: every one must still be the same audio."""
    return {
        "retag-case": _tags(song, title=song.title.upper()),
        "retag-space": _tags(
            song, artist=f"  {song.artist}  ", title=song.title.replace(" ", "  ")
        ),
        "retag-nfd": _tags(song, title=unicodedata.normalize("NFD", song.title)),
        "retag-feat": _tags(song, artist=f"{song.artist} feat. Guest"),
        "retag-ft": _tags(song, title=f"{song.title} (ft. Guest)"),
        "retag-remaster": _tags(song, title=f"{song.title} (Remastered 2011)"),
        "retag-edition": _tags(song, title=f"{song.title} - Deluxe Edition"),
    }


def build_corpus(root: Path, songs: tuple[Song, ...] = SONGS) -> dict[str, Label]:
    """Write `root/library` and `root/new`; return {new file path: Label}."""
    library, new = root / "library", root / "new"
    labels: dict[str, Label] = {}
    for n, song in enumerate(songs):
        base = encode(library / f"{n:02d}.{_ext(song.fmt)}", song.fmt, song.seed, SECONDS)
        write_tags(base, song.fmt, _tags(song), id3v1=song.fmt == "mp3")
        of = str(base)

        def add(path: Path, kind: str | None, case: str, of: str | None = of) -> None:
            labels[str(path)] = Label(kind, of if kind else None, case)

        copy = new / f"{n:02d}-copy.{song.fmt}"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base, copy)
        add(copy, "exact", "byte copy")
        for case, tags in _retags(song).items():
            path = new / f"{n:02d}-{case}.{song.fmt}"
            shutil.copyfile(base, path)
            write_tags(path, song.fmt, tags, picture=case == "retag-case")
            # a variant that changes nothing (NFD of a title without accents) is a copy
            add(path, "exact" if filecmp.cmp(path, base, shallow=False) else "same_audio", case)
        path = new / f"{n:02d}-retag-picture.{song.fmt}"
        shutil.copyfile(base, path)
        write_tags(path, song.fmt, _tags(song), picture=True, id3v1=song.fmt != "mp3")
        add(path, "same_audio", "picture added, ID3v1 added or removed")
        _transcodes(song, n, new, add)
        _not_duplicates(song, n, new, add)
    return labels


def _transcodes(song: Song, n: int, new: Path, add: Callable[..., None]) -> None:
    """The same PCM in two other formats (an MP3 at two bitrates when MP3 is one)."""
    others = [f for f in ("flac", "mp3", "ogg", "opus", "wav") if f != song.fmt]
    picks = [others[n % len(others)], others[(n + 2) % len(others)]]
    for fmt in picks:
        levels = (0.1, 0.9) if fmt == "mp3" else (None,)
        for level in levels:
            path = encode(
                new / f"{n:02d}-transcode-{fmt}-{level}.{fmt}", fmt, song.seed, SECONDS, level
            )
            tags = _tags(song, artist=song.artist.upper()) if level == 0.9 else _tags(song)
            write_tags(path, fmt, tags)
            add(path, "same_song", f"transcode to {fmt}")
    path = encode(new / f"{n:02d}-typo.{picks[0]}", picks[0], song.seed, SECONDS)
    typo = song.title[:-2] + song.title[-1] + song.title[-2]  # the last two letters swapped
    write_tags(path, picks[0], _tags(song, title=typo))
    add(path, "fuzzy", "typo in the title, other format")


def _not_duplicates(song: Song, n: int, new: Path, add: Callable[..., None]) -> None:
    """Same tags, other lengths (versions); same title, other artist; unrelated."""
    fmt = "flac" if song.fmt != "flac" else "mp3"
    versions = {"live": 5.5, "remix": 6.0, "extended": 7.5, "radio-edit": 2.5}
    for offset, (case, seconds) in enumerate(versions.items()):
        path = encode(new / f"{n:02d}-{case}.{fmt}", fmt, song.seed + 100 * (offset + 1), seconds)
        write_tags(path, fmt, _tags(song))
        add(path, None, f"{case} version, same tags, {seconds} s")
    path = encode(new / f"{n:02d}-live-titled.{fmt}", fmt, song.seed + 700, SECONDS)
    write_tags(path, fmt, _tags(song, title=f"{song.title} (Live)"))
    add(path, None, "live version titled so, same length")
    path = encode(new / f"{n:02d}-other-artist.{fmt}", fmt, song.seed + 500, SECONDS)
    write_tags(path, fmt, _tags(song, artist=f"Kid {n} Quartet"))
    add(path, None, "same title, other artist")
    path = encode(new / f"{n:02d}-unrelated.{fmt}", fmt, song.seed + 900, SECONDS)
    write_tags(path, fmt, Tags(artist=f"Nobody {n}", title=f"Nothing {n}", mbid=None))
    add(path, None, "unrelated")


def score(
    labels: Mapping[str, Label], found: Mapping[str, tuple[str | None, str | None]]
) -> dict[str, Score]:
    """Precision and recall per kind: `found` maps a new path to (kind, matched path)."""
    scores = {kind: Score() for kind in KINDS}
    for path, label in labels.items():
        kind, matched = found.get(path, (None, None))
        right = kind == label.kind and matched == label.of
        if kind is not None:
            if right:
                scores[kind].true_positives += 1
            else:
                scores[kind].false_positives += 1
                scores[kind].wrong.append(f"{label.case}: {path} reported {kind} of {matched}")
        if label.kind is not None and not right:
            scores[label.kind].false_negatives += 1
            scores[label.kind].wrong.append(f"{label.case}: {path} missed ({kind} of {matched})")
    return scores
