"""A few decoded seconds, their average spectrum, and the three measures taken on it.

Why these measures: a lossy encoder's low-pass is a brick wall (tens of dB within a few
hundred Hz, then nothing but the decoder's and the quantizer's noise), while a dark master,
vinyl or tape rolls off gradually, often into hiss. So the wall is found by comparing the
level just below each frequency with the loudest level anywhere above it: only a cut-off
with nothing above it scores high. An upsampler's filter is gentler (a few kHz wide), so
upsampling is judged at the band edges of the usual lower rates instead.

numpy is imported by this module and `judge`, which `analyse` imports only when it runs, so
importing the package (for `QualityReport`) stays light.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

__all__ = ["Spectrum", "SpectrumSum", "Wall", "band_edge_drop", "content_top", "find_wall", "spans"]

#: where the decoded spans are centred, as fractions of the file: not the start (often
#: quiet), nor the end (fades)
PLACES = (0.25, 0.5, 0.75)
#: the smoothing of the spectrum (Hz): the fluctuations of a noise floor average out
_SMOOTH_HZ = 100.0
#: the wall test: below, the level of `_BELOW_HZ` ending `_GUARD_HZ` under the frequency;
#: above, the loudest level from `_GUARD_HZ` over it to the top. Narrow, as an encoder's
#: wall is narrow at any frequency while a filter's fall is so many dB an octave: measured
#: on the corpus, lossy sources score 15-60 dB, 6-48 dB/octave roll-offs at most 7
_BELOW_HZ = 300.0
_GUARD_HZ = 60.0
#: the band under a wall that must be full (its median as high as the wall's top)
_DENSE_HZ = 1_000.0
#: no encoder at a music bitrate cuts lower (LAME at 32 kbps: 5.5 kHz); a 78's transfer
#: or a telephone band, filtered steeply, could look like one
_LOWEST_WALL_HZ = 5_000.0
_TOP = 0.99  # of the Nyquist frequency: the last bins hold the converters' own filters
_TINY = 1e-30
#: samples windowed and transformed at a time, in buffers kept between files
_BATCH_SAMPLES = 65_536
_buffers = threading.local()


def fft_size(rate: int) -> int:
    """Window length for about 10.8 Hz a bin at any rate."""
    return 4096 if rate <= 48_000 else 8192 if rate <= 96_000 else 16384


def spans(frames: int, rate: int, seconds: float) -> list[tuple[int, int]]:
    """(start, count) of the stretches to decode: `seconds` in all, in whole FFT windows,
    centred at `PLACES`; the whole file when it is shorter."""
    n = fft_size(rate)
    each = int(seconds * rate / len(PLACES)) // n * n
    if each == 0 or frames <= each * len(PLACES):
        return [(0, frames)]
    return [(min(frames - each, max(0, int(frames * p) - each // 2)), each) for p in PLACES]


@dataclass(frozen=True, slots=True)
class Spectrum:
    """Levels (dB, smoothed over ~100 Hz) of the average power spectrum of the mono mix."""

    levels: Any  # ndarray of float64, one per bin from 0 Hz to the Nyquist frequency
    hz: float  # per bin
    nyquist: float

    def bin(self, frequency: float) -> int:
        return min(int(self.levels.size) - 1, max(0, round(frequency / self.hz)))


@dataclass(frozen=True, slots=True)
class Wall:
    """The steepest fall with nothing above it: where, and by how much."""

    cutoff_hz: float
    drop_db: float


@cache
def _hann(n: int) -> Any:
    return np.hanning(n)


class SpectrumSum:
    """The averaged Hann-windowed power spectrum of the mono mix of decoded blocks
    ((frames, channels) arrays), times `scale`, summed block by block as they are decoded:
    a block is dropped before the next is read, so its memory is reused, not faulted in
    anew. Each block is cut into windows on its own: joining blocks would add a click."""

    def __init__(self, rate: int, scale: float) -> None:
        self.rate, self.scale = rate, scale
        self.n = fft_size(rate)
        self.total = np.zeros(self.n + 2)  # re, im, re, im, ... of each bin, squared
        self.windows = 0
        self.channels = 1

    def add(self, block: Any) -> None:
        n, window = self.n, _hann(self.n)
        frames, spectra = _workspace(n)
        self.channels = block.shape[1]
        for first in range(0, block.shape[0] // n * n, frames.size):
            rows = min(frames.shape[0], (block.shape[0] - first) // n)
            flat = frames[:rows].reshape(-1)
            part = block[first : first + flat.size]
            np.copyto(flat, part[:, 0])
            for channel in range(1, block.shape[1]):
                np.add(flat, part[:, channel], out=flat)
            frames[:rows] *= window
            parts = np.fft.rfft(frames[:rows], axis=1, out=spectra[:rows]).view(np.float64)
            np.square(parts, out=parts)
            self.total += parts.sum(axis=0)
            self.windows += rows

    def result(self) -> Spectrum | None:
        """The spectrum so far; None when no block filled a window."""
        if self.windows == 0:
            return None
        gain = (self.scale / self.channels) ** 2 / self.windows
        power = (self.total[0::2] + self.total[1::2]) * gain
        hz = self.rate / self.n
        width = max(1, round(_SMOOTH_HZ / hz))
        smoothed = np.convolve(power, np.full(width, 1.0 / width), mode="same")
        return Spectrum(10 * np.log10(smoothed + _TINY), hz, self.rate / 2)


def _workspace(n: int) -> tuple[Any, Any]:
    """This thread's buffers for a batch of windows and their spectra, kept between files:
    arrays this large come fresh from the system each time, and their page faults cost as
    much as the FFT itself."""
    buffers: tuple[Any, Any] | None = getattr(_buffers, "of", None)
    if buffers is None or buffers[0].shape[1] != n:
        rows = max(1, _BATCH_SAMPLES // n)
        buffers = (np.empty((rows, n)), np.empty((rows, n // 2 + 1), np.complex128))
        _buffers.of = buffers
    return buffers


def quantization_floor_db(bits: int, rate: int, channels: int) -> float:
    """The level of `bits`-bit rounding noise in one bin of `spectrum_of`'s mono mix."""
    window_power = float(np.sum(_hann(fft_size(rate)) ** 2))
    step = 2.0 ** (1 - bits)
    return float(10 * np.log10(window_power * step**2 / 12 / channels))


def find_wall(spectrum: Spectrum) -> Wall | None:
    """The frequency where the level falls furthest, comparing the mean level just below
    with the loudest level anywhere above; None when the band is too narrow to look."""
    levels, hz = spectrum.levels, spectrum.hz
    top = spectrum.bin(_TOP * spectrum.nyquist)
    guard, below = max(1, round(_GUARD_HZ / hz)), max(1, round(_BELOW_HZ / hz))
    first = max(below + guard, spectrum.bin(_LOWEST_WALL_HZ))
    last = top - 2 * guard - max(1, round(_BELOW_HZ / hz))
    if last <= first:
        return None
    head = levels[:top]
    loudest_above = np.maximum.accumulate(head[::-1])[::-1]
    sums = np.concatenate(([0.0], np.cumsum(head)))
    at = np.arange(first, last)
    under = (sums[at - guard] - sums[at - guard - below]) / below
    drops = under - loudest_above[at + guard]
    best = int(np.argmax(drops))
    centre = int(at[best])
    above = float(loudest_above[centre + guard])
    dense = max(0, centre - guard - round(_DENSE_HZ / hz))
    under_median = float(np.median(head[dense : centre - guard]))
    # and the median of a wider band: a few loud tones below (a synthesizer's, no noise
    # between them) are not the dense band a lossy encoder leaves under its cut-off
    drop = min(float(drops[best]), under_median - above)
    half = (under[best] + above) / 2
    near = levels[centre - guard - below : centre + guard + 1]
    standing = np.nonzero(near >= half)[0]
    edge = centre - guard - below + (int(standing[-1]) if standing.size else below + guard)
    return Wall(edge * hz, drop)


def band_edge_drop(spectrum: Spectrum, edge_hz: float) -> float | None:
    """How far the level falls from just below a lower rate's band edge (`edge_hz`, its
    Nyquist frequency) to the loudest level well above it; None unless the fall has begun
    right past the edge (an upsampler's filter ends within a few kHz)."""
    levels = spectrum.levels
    near = levels[spectrum.bin(0.86 * edge_hz) : spectrum.bin(0.93 * edge_hz)]
    past = levels[spectrum.bin(1.03 * edge_hz) : spectrum.bin(1.08 * edge_hz)]
    above = levels[spectrum.bin(1.25 * edge_hz) : spectrum.bin(0.95 * spectrum.nyquist)]
    if near.size == 0 or past.size == 0 or above.size < 100:
        return None
    if near.mean() - past.mean() < 10.0:
        return None
    return float(near.mean() - above.max())


def content_top(spectrum: Spectrum, floor_db: float, margin_db: float = 10.0) -> float:
    """The highest frequency whose level stands `margin_db` above `floor_db` (0 if none)."""
    top = spectrum.bin(_TOP * spectrum.nyquist)
    standing = np.nonzero(spectrum.levels[:top] > floor_db + margin_db)[0]
    return float(standing[-1] * spectrum.hz) if standing.size else 0.0
