"""A labelled corpus for the quality verdict, made of real audio (numpy, soundfile, ffmpeg).

Each class is written as a file whose truth is known by construction:

- `genuine`: full-band lossless: music-like signals (notes of harmonic-rich, naively
  generated waves with percussive envelopes, noise bursts for drums, a spectral tilt of
  0 to -9 dB an octave, peaks from -20 to -1 dBFS) with content up to the Nyquist
  frequency; a third of them made at 88.2 kHz and brought to 44.1 kHz by ffmpeg's
  resampler, so they end in a steep filter at about 21 kHz as a CD master does.
- `dark`: genuine but rolled off: the same signals through low-pass filters (6 to 48 dB an
  octave from 1.5 to 14 kHz), some with tape hiss above, some with vinyl clicks.
  The verdict must call them `genuine` or `unsure`, never `lossy_source`.
- `mp3_128`, `mp3_192`, `mp3_v2`, `aac_128`: the genuine signals encoded by ffmpeg
  (libmp3lame `-b:a 128k`, `-b:a 192k`, `-q:a 2`; its own `aac` at `-b:a 128k`) and decoded
  back into a 16-bit FLAC: lossless files made from a lossy source.
- `upsampled`: genuine 44.1 kHz signals brought to 96 kHz (ffmpeg's `aresample`), 24-bit FLAC.
- `padded`: genuine 16-bit signals written as 24-bit FLAC (the low 8 bits always zero).

Used by tests/quality and by benchmarks/benchmark_quality.py (which adds tests/ to
sys.path). The classes that need ffmpeg are made only where `ffmpeg_missing()` is None.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

__all__ = [
    "CLASSES",
    "LOSSY_CLASSES",
    "Labelled",
    "build",
    "ffmpeg_missing",
    "music",
]

RATE = 44_100
LOSSY_CLASSES = ("mp3_128", "mp3_192", "mp3_v2", "aac_128")
CLASSES = ("genuine", "dark", *LOSSY_CLASSES, "upsampled", "padded")
#: ffmpeg encoder arguments of each lossy class, and the container it writes
_LOSSY = {
    "mp3_128": (["-c:a", "libmp3lame", "-b:a", "128k"], "mp3"),
    "mp3_192": (["-c:a", "libmp3lame", "-b:a", "192k"], "mp3"),
    "mp3_v2": (["-c:a", "libmp3lame", "-q:a", "2"], "mp3"),
    "aac_128": (["-c:a", "aac", "-b:a", "128k"], "m4a"),
}


@dataclass(frozen=True)
class Labelled:
    path: Path
    label: str  # one of CLASSES
    seed: int


@cache
def ffmpeg_missing() -> str | None:
    """Why the ffmpeg-made classes cannot be built here, or None."""
    program = shutil.which("ffmpeg")
    if program is None:
        return "ffmpeg is not installed (apt install ffmpeg)"
    encoders = subprocess.run(
        [program, "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
    ).stdout
    if "libmp3lame" not in encoders:
        return "this ffmpeg has no libmp3lame encoder"
    return None


def music(seed: int, seconds: float, rate: int = RATE) -> Any:
    """(frames, 2) float32 of a music-like signal with content up to rate / 2: a tilt of 0
    to -9 dB an octave above 500 Hz, peaks from -20 to -1 dBFS."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * rate)
    out = np.zeros(frames)
    tempo = rng.uniform(0.18, 0.5)  # seconds a note
    position = 0
    while position < frames:
        length = int(rate * tempo * rng.choice([0.5, 1.0, 1.0, 2.0]))
        _add_note(out[position : position + length], rng, rate)
        position += length
    for start in rng.integers(0, frames, int(seconds * rng.uniform(2, 8))):
        hit = min(frames - start, int(rate * rng.uniform(0.03, 0.2)))
        decay = np.exp(-np.arange(hit) / (rate * rng.uniform(0.01, 0.05)))
        out[start : start + hit] += rng.uniform(0.1, 0.5) * rng.standard_normal(hit) * decay
    out = _tilt(out, rate, rng.uniform(-9.0, 0.0))
    stereo = np.stack([out, np.roll(out, int(rng.integers(1, 200)))], axis=1)
    stereo += rng.uniform(0.0, 0.002) * rng.standard_normal(stereo.shape)
    peak = 10 ** (rng.uniform(-20.0, -1.0) / 20)
    return (stereo * peak / np.abs(stereo).max()).astype(np.float32)


def _add_note(out: Any, rng: np.random.Generator, rate: int) -> None:
    """A chord of naive (aliased, so full-band) saw and square waves, struck and decaying."""
    t = np.arange(out.size) / rate
    envelope = np.exp(-t / rng.uniform(0.05, 0.6)) * (1 - np.exp(-t / 0.003))
    for _ in range(int(rng.integers(1, 4))):
        frequency = 55.0 * 2 ** (rng.integers(0, 48) / 12)
        phase = (frequency * t + rng.uniform()) % 1.0
        wave = 2 * phase - 1 if rng.uniform() < 0.5 else np.sign(phase - 0.5)
        out += rng.uniform(0.1, 0.4) * wave * envelope


def _tilt(samples: Any, rate: int, db_per_octave: float) -> Any:
    """`samples` with a spectral slope of `db_per_octave` above 500 Hz."""
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    octaves = np.log2(np.maximum(freqs, 500.0) / 500.0)
    return np.fft.irfft(spectrum * 10 ** (db_per_octave * octaves / 20), samples.size)


def _rolled_off(samples: Any, rng: np.random.Generator, rate: int) -> Any:
    """`samples` as a dark master, tape, vinyl or a 78's transfer gives them: a low-pass
    filter of 6 to 48 dB an octave, then maybe hiss or clicks."""
    order = int(rng.choice([1, 2, 3, 4, 8]))
    corner = rng.uniform(1_500.0, 6_000.0) if order <= 2 else rng.uniform(2_500.0, 14_000.0)
    spectrum = np.fft.rfft(samples, axis=0)
    freqs = np.fft.rfftfreq(samples.shape[0], 1 / rate)
    gain = 1 / np.sqrt(1 + (freqs / corner) ** (2 * order))
    out = np.fft.irfft(spectrum * gain[:, None], samples.shape[0], axis=0)
    kind = rng.integers(0, 3)
    if kind == 1:  # tape hiss
        out += 10 ** (rng.uniform(-80, -60) / 20) * rng.standard_normal(out.shape)
    elif kind == 2:  # vinyl: clicks
        for at in rng.integers(0, out.shape[0] - 50, int(rng.integers(5, 40))):
            out[at : at + 3] += rng.uniform(-0.05, 0.05)
    return (out * 0.9 / max(1e-9, np.abs(out).max())).astype(np.float32)


def _write(path: Path, samples: Any, rate: int, subtype: str = "PCM_16") -> Path:
    soundfile.write(path, samples, rate, subtype=subtype, format="FLAC")
    return path


def _ffmpeg_each(pairs: list[tuple[Path, Path]], *arguments: str) -> None:
    """ffmpeg run once over many files: each (input, output) pair with `arguments` (one
    process a class, not a file: the corpus is built in seconds)."""
    command: list[str | Path] = ["ffmpeg", "-v", "error", "-y"]
    for source, _ in pairs:
        command += ["-i", source]
    for number, (_, target) in enumerate(pairs):
        command += ["-map", f"{number}:a", *arguments, target]
    subprocess.run(command, check=True)


def _genuine(folder: Path, seeds: list[int], seconds: float) -> list[Path]:
    """Full-band files; every third made at 88.2 kHz and resampled to 44.1 kHz, so that it
    ends in a steep filter near 21 kHz as a CD master does."""
    paths = [folder / f"genuine-{seed}.flac" for seed in seeds]
    wide = [(seed, path) for seed, path in zip(seeds, paths, strict=True) if seed % 3 == 2]
    if ffmpeg_missing() is not None:
        wide = []
    for seed, path in zip(seeds, paths, strict=True):
        if (seed, path) not in wide:
            _write(path, music(seed, seconds), RATE)
    sources = [
        _write(folder / f"wide-{s}.flac", music(s, seconds, 2 * RATE), 2 * RATE) for s, _ in wide
    ]
    if wide:
        _ffmpeg_each(
            list(zip(sources, [p for _, p in wide], strict=True)),
            "-ar",
            str(RATE),
            "-sample_fmt",
            "s16",
        )
    for source in sources:
        source.unlink()
    return paths


def _dark(folder: Path, seeds: list[int], seconds: float) -> list[Path]:
    paths = []
    for seed in seeds:
        rng = np.random.default_rng(seed + 1_000_000)
        dark = _rolled_off(music(seed, seconds), rng, RATE)
        paths.append(_write(folder / f"dark-{seed}.flac", dark, RATE))
    return paths


def _sources(folder: Path, label: str, seeds: list[int], seconds: float) -> list[Path]:
    return [_write(folder / f"source-{label}-{s}.flac", music(s, seconds), RATE) for s in seeds]


def _lossy(label: str) -> Callable[[Path, list[int], float], list[Path]]:
    arguments, container = _LOSSY[label]

    def make(folder: Path, seeds: list[int], seconds: float) -> list[Path]:
        sources = _sources(folder, label, seeds, seconds)
        encoded = [folder / f"{label}-{seed}.{container}" for seed in seeds]
        paths = [folder / f"{label}-{seed}.flac" for seed in seeds]
        _ffmpeg_each(list(zip(sources, encoded, strict=True)), *arguments)
        _ffmpeg_each(list(zip(encoded, paths, strict=True)), "-sample_fmt", "s16")
        for path in (*sources, *encoded):
            path.unlink()
        return paths

    return make


def _upsampled(folder: Path, seeds: list[int], seconds: float) -> list[Path]:
    sources = _sources(folder, "up", seeds, seconds)
    paths = [folder / f"upsampled-{seed}.flac" for seed in seeds]
    _ffmpeg_each(
        list(zip(sources, paths, strict=True)), "-af", "aresample=96000", "-sample_fmt", "s32"
    )
    for source in sources:
        source.unlink()
    return paths


def _padded(folder: Path, seeds: list[int], seconds: float) -> list[Path]:
    paths = []
    for seed in seeds:
        as_16 = np.round(music(seed, seconds) * 32767).astype(np.int32) << 16
        paths.append(_write(folder / f"padded-{seed}.flac", as_16, RATE, "PCM_24"))
    return paths


_MAKERS: dict[str, Callable[[Path, list[int], float], list[Path]]] = {
    "genuine": _genuine,
    "dark": _dark,
    **{label: _lossy(label) for label in LOSSY_CLASSES},
    "upsampled": _upsampled,
    "padded": _padded,
}
_NEEDS_FFMPEG = {*LOSSY_CLASSES, "upsampled"}
#: files given to one ffmpeg process (its open files and memory stay small)
_BATCH = 50


def build(
    folder: Path,
    per_class: int,
    *,
    seconds: float = 4.0,
    first_seed: int = 0,
    classes: tuple[str, ...] = CLASSES,
) -> list[Labelled]:
    """`per_class` files of each of `classes` under `folder` (each from its own seed),
    skipping the classes that need ffmpeg when it is missing."""
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Labelled] = []
    for number, label in enumerate(CLASSES):
        if label not in classes or (label in _NEEDS_FFMPEG and ffmpeg_missing() is not None):
            continue
        seeds = [first_seed + 100_000 * number + n for n in range(per_class)]
        for start in range(0, per_class, _BATCH):
            batch = seeds[start : start + _BATCH]
            paths = _MAKERS[label](folder, batch, seconds)
            made += [Labelled(p, label, s) for p, s in zip(paths, batch, strict=True)]
    return made
