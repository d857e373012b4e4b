"""Music-like test audio that an acoustic fingerprint can tell apart.

Pure tones and noise give near-constant Chromaprint fingerprints (it hears pitch classes
changing over time), so these are songs: a chord progression in a key, a melody over it
and a drum hit on each beat, at a tempo, in notes of varying length. The `seed` is the
composition (key, tempo, progression, melody, rhythm); `take` is the performance: another
take plays the same notes with another timbre, a tempo a little off and its own timing,
so it is a different recording of the same song. `key` and `tempo` can be forced, for
unrelated songs in the same key and tempo. Used by the fingerprint tests and benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile

__all__ = ["song", "write_song"]

_SCALE = np.array([0, 2, 4, 5, 7, 9, 11])
_RATE = 44_100


def song(
    seed: int,
    seconds: float,
    *,
    take: int = 0,
    key: int | None = None,
    tempo: float | None = None,
    rate: int = _RATE,
) -> Any:
    """(frames, 2) float32 samples of `seconds` of the song `seed`, performance `take`."""
    rng = np.random.default_rng(seed)
    key = int(rng.integers(0, 12)) if key is None else key
    tempo = float(rng.uniform(88, 140)) if tempo is None else tempo
    progression = rng.integers(0, 7, 8)
    notes = _notes(rng, seconds * tempo / 60 + 8)
    player = np.random.default_rng(10_000 + 7 * seed + take)
    harmonics = player.uniform(0.15, 1.0, 5) if take else np.array([1.0, 0.5, 0.3, 0.2, 0.1])
    if take:
        tempo *= 1 + player.choice([-1, 1]) * player.uniform(0.03, 0.06)
    beat = 60.0 / tempo
    frames = int(seconds * rate)
    out = np.zeros(frames)
    position = 0.0
    for index, (length, degree) in enumerate(notes):
        start = position + (player.normal(0, 0.01) if take else 0.0)
        duration = length * beat
        position += duration
        first = max(0, int(start * rate))
        if first >= frames:
            break
        last = min(frames, int((start + duration) * rate))
        t = np.arange(last - first) / rate
        chord_root = int(progression[(index // 8) % 8])
        pitches = [_pitch(key, chord_root + k) for k in (0, 2, 4)]
        pitches.append(_pitch(key, int(degree) + 7))
        envelope = np.exp(-3.0 * t / duration)
        for number, pitch in enumerate(pitches):
            amplitude = 0.4 if number == 3 else 0.22
            frequency = 220.0 * 2 ** (pitch / 12)
            for harmonic, weight in enumerate(harmonics, start=1):
                wave = np.sin(2 * np.pi * frequency * harmonic * t)
                out[first:last] += amplitude * weight / harmonic * wave * envelope
        hit = min(last, first + 2_000) - first
        out[first : first + hit] += rng.normal(0, 0.3, hit) * np.exp(-np.arange(hit) / 300)
    out /= np.abs(out).max() * 1.12
    return np.stack([out, np.roll(out, 40)], axis=1).astype(np.float32)


def _notes(rng: np.random.Generator, beats: float) -> list[tuple[float, int]]:
    notes: list[tuple[float, int]] = []
    total = 0.0
    while total < beats:
        length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        notes.append((length, int(rng.integers(0, 7))))
        total += length
    return notes


def _pitch(key: int, degree: int) -> int:
    return key + int(_SCALE[degree % 7]) + 12 * (degree // 7)


def write_song(path: Path, samples: Any, fmt: str, rate: int = _RATE) -> Path:
    """Write samples as MP3 (VBR), FLAC, Ogg Vorbis or WAV through soundfile."""
    container, subtype = {
        "mp3": ("MP3", "MPEG_LAYER_III"),
        "flac": ("FLAC", "PCM_16"),
        "ogg": ("OGG", "VORBIS"),
        "wav": ("WAV", "PCM_16"),
    }[fmt]
    # a second at a time: libsndfile's Vorbis encoder crashes on long single writes
    with soundfile.SoundFile(path, "w", rate, 2, subtype=subtype, format=container) as out:
        for start in range(0, len(samples), rate):
            out.write(samples[start : start + rate])
    return path
