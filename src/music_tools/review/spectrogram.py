"""A spectrogram image of a few seconds of a file, decoded in-process by soundfile, drawn
with numpy, cached on disk by the file's path, size and mtime.

It shows what the tags cannot: where the sound stops going up. An MP3 at 128 kbps is cut
at about 16 kHz, and a FLAC made from it shows the same shelf; a genuine CD rip goes up
to 20-22 kHz. The image is 256 rows from 0 Hz (bottom) to half the sample rate (top),
one column per hop of the window over SECONDS seconds taken a third of the way in (past
an intro's silence), colours on a 100 dB scale below the loudest point.
"""

from __future__ import annotations

import math
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xxhash

from ..errors import os_reason
from ..models import LibraryFile
from .png import encode_png
from .session import ReviewError

__all__ = ["SpectrogramCache", "draw_spectrogram", "read_seconds"]

SECONDS = 10.0
HEIGHT = 256
MAX_WIDTH = 1000
N_FFT = 2048
MIN_HOP = 512
RANGE_DB = 100.0
#: bump when the drawing changes, so cached images are drawn again
VERSION = 1
#: magma-like: black, purple, magenta, orange, pale yellow
_STOPS = np.array(
    [[0, 0, 4], [59, 15, 112], [181, 54, 122], [251, 136, 97], [252, 253, 191]], dtype=float
)
_LUT = np.stack(
    [
        np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_STOPS)), _STOPS[:, c])
        for c in range(3)
    ],
    axis=1,
).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Spectrogram:
    png: bytes
    sample_rate: int
    start: float  # seconds into the file
    seconds: float


def read_seconds(path: str, duration: float | None) -> tuple[npt.NDArray[np.float32], int, float]:
    """Mono samples of SECONDS seconds of the file, its sample rate, and where they start."""
    import soundfile

    try:
        with soundfile.SoundFile(path) as audio:
            rate = int(audio.samplerate)
            length = duration or (audio.frames / rate if audio.frames > 0 else 0.0)
            start = 0.0 if length < 3 * SECONDS else min(length / 3, 60.0)
            if start and audio.seekable():
                audio.seek(int(start * rate))
            else:
                start = 0.0
            data = audio.read(int(SECONDS * rate), dtype="float32", always_2d=True)
    except FileNotFoundError:
        raise ReviewError("not at its indexed place any more", 404) from None
    except OSError as exc:
        raise ReviewError(os_reason(exc), 404) from None
    except (RuntimeError, ValueError, TypeError) as exc:  # soundfile.LibsndfileError and kin
        reason = str(exc).split(":")[-1].strip() or type(exc).__name__
        raise ReviewError(f"soundfile cannot decode it ({reason})", 415) from None
    return data.mean(axis=1), rate, start


def draw_spectrogram(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """RGB pixels (HEIGHT, width, 3): frequency up, time right."""
    if len(samples) < N_FFT:
        samples = np.pad(samples, (0, N_FFT - len(samples)))
    hop = max(MIN_HOP, math.ceil((len(samples) - N_FFT) / (MAX_WIDTH - 1)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, N_FFT)[::hop]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(N_FFT).astype(np.float32), axis=1))
    bins = spectrum[:, : N_FFT // 2].reshape(len(frames), HEIGHT, -1).max(axis=2)
    decibels = 20 * np.log10(bins + 1e-9)
    scaled = np.clip((decibels - (decibels.max() - RANGE_DB)) / RANGE_DB, 0.0, 1.0)
    levels = (scaled.T[::-1] * 255).astype(np.uint8)
    pixels: npt.NDArray[np.uint8] = _LUT[levels]
    return pixels


class SpectrogramCache:
    """Images on disk under `folder` (None: not cached), named by a hash of the file's
    path, size and mtime: a changed file gets a new image. Each holds one line (sample
    rate, start, seconds) before the PNG. At most `keep` are kept: the oldest go when the
    cache is opened."""

    def __init__(self, folder: str | None, keep: int = 2000) -> None:
        self.folder = folder
        if folder is not None:
            try:
                os.makedirs(folder, exist_ok=True)
                _prune(folder, keep)
            except OSError:
                self.folder = None  # a cache is an optimisation, never a reason to fail

    def get(self, file: LibraryFile) -> Spectrogram:
        try:
            stat = os.stat(file.file_path)
        except OSError as exc:
            raise ReviewError(
                f"not at its indexed place any more ({os_reason(exc)})", 404
            ) from None
        key = f"{VERSION}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode() + os.fsencode(
            file.file_path
        )
        name = xxhash.xxh3_128_hexdigest(key) + ".spectrogram"
        cached = self._read(name)
        if cached is not None:
            return cached
        samples, rate, start = read_seconds(file.file_path, file.duration)
        image = Spectrogram(encode_png(draw_spectrogram(samples)), rate, start, len(samples) / rate)
        self._write(name, image)
        return image

    def _read(self, name: str) -> Spectrogram | None:
        if self.folder is None:
            return None
        try:
            with open(os.path.join(self.folder, name), "rb") as cached:
                head, png = cached.read().split(b"\n", 1)
            rate, start, seconds = head.decode().split()
            return Spectrogram(png, int(rate), float(start), float(seconds))
        except (OSError, ValueError):
            return None

    def _write(self, name: str, image: Spectrogram) -> None:
        if self.folder is None:
            return
        head = f"{image.sample_rate} {image.start} {image.seconds}\n".encode()
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with open(handle, "wb") as out:
                out.write(head + image.png)
            os.replace(temporary, os.path.join(self.folder, name))
        except OSError:
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)


def _prune(folder: str, keep: int) -> None:
    entries = sorted(
        (e for e in os.scandir(folder) if e.is_file()), key=lambda e: e.stat().st_mtime_ns
    )
    for entry in entries[: max(0, len(entries) - keep)]:
        with suppress(OSError):
            os.unlink(entry.path)
