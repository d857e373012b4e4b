"""Acoustic fingerprints: Chromaprint through `fpcalc`, the index terms, and the comparison.

Why `fpcalc` (Debian `libchromaprint-tools`, Homebrew `chromaprint`) and not libchromaprint
in this process: it was as fast or faster (figures: docs/benchmarks.md), it decodes every
format FFmpeg does (soundfile cannot decode M4A, WMA, APE, WavPack or Musepack), a decoder
that crashes or hangs on a hostile file takes only its own process down, and it needs no
Python package. The value of a fingerprint is Chromaprint's own (algorithm 2, the
first 120 s), so ours are comparable with AcoustID's, Picard's and beets'.

A fingerprint is a sequence of 32-bit values, one every 0.124 s. Two files are the same
recording when, at the best alignment (up to `MAX_OFFSET_S` either way: leading silence,
encoder priming), few of their bits differ (`MATCH_BER`). Candidates come from an inverted
index of *terms*: the values whose mixed hash falls in 1/`TERM_SAMPLING` of the range. The
choice depends on the value alone, not its position, so a shifted copy keeps the same terms,
and a transcode keeps most of them (its values are mostly bit-exact).

Running fpcalc (the pool of processes and their timeouts, what their output means) is
`fpcalc.py`'s and `fpcalc_output.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fpcalc_output import decode

__all__ = ["MATCH_BER", "MAX_OFFSET_S", "Alignment", "align", "confidence", "terms"]

ITEM_S = 0.1238  # one value per 1,365 samples at 11,025 Hz
#: how far two fingerprints are slid against each other looking for the best alignment
MAX_OFFSET_S = 10.0
#: bit error rate at or below which two fingerprints are the same recording: transcodes
#: measure 0.00-0.02, a second of silence added or cut 0.02-0.07; different takes of
#: the same notes 0.20-0.31, unrelated songs in the same key 0.34-0.50 (random: 0.5)
MATCH_BER = 0.12
#: overlap (values) needed to judge: about 10 s
MIN_OVERLAP = 80
#: one value in this many becomes an index term
TERM_SAMPLING = 8


def _mix(value: int) -> int:
    return ((value * 0x9E3779B1) & 0xFFFFFFFF) >> 29  # the top bits of a Fibonacci hash


def terms(data: bytes) -> list[int]:
    """The fingerprint's index terms: distinct values sampled by value (1 in
    `TERM_SAMPLING`), sorted. Stored as signed 32-bit, as pg_acoustid does, so they fit
    any SQL integer column."""
    keep = 8 // TERM_SAMPLING
    chosen = {v for v in decode(data) if _mix(v) < keep}
    return sorted(v - (1 << 32) if v >= 1 << 31 else v for v in chosen)


@dataclass(frozen=True, slots=True)
class Alignment:
    """The best alignment of two fingerprints: `ber`, the share of differing bits where
    they overlap; `offset_s`, how much later the audio starts in the second file than in
    the first (1.5: the second has 1.5 s more at its start; negative: less)."""

    ber: float
    offset_s: float

    @property
    def matches(self) -> bool:
        return self.ber <= MATCH_BER


def align(a: bytes, b: bytes, max_offset_s: float = MAX_OFFSET_S) -> Alignment | None:
    """Slide `b` against `a` by up to `max_offset_s` either way and keep the offset with
    the fewest differing bits. Each offset is one XOR of two big integers and one
    popcount, so a pair costs well under a millisecond. None when they overlap too little."""
    count_a, count_b = len(a) // 4, len(b) // 4
    reach = int(max_offset_s / ITEM_S)
    best: tuple[float, int] | None = None
    for shift in sorted(range(-reach, reach + 1), key=abs):  # ties: the smallest shift
        start_a, start_b = max(0, shift), max(0, -shift)
        overlap = min(count_a - start_a, count_b - start_b)
        if overlap < MIN_OVERLAP:
            continue
        x = int.from_bytes(a[4 * start_a : 4 * (start_a + overlap)], "little")
        y = int.from_bytes(b[4 * start_b : 4 * (start_b + overlap)], "little")
        ber = (x ^ y).bit_count() / (32 * overlap)
        if best is None or ber < best[0]:
            best = (ber, shift)
    if best is None:
        return None
    return Alignment(round(best[0], 4), round(-best[1] * ITEM_S, 2) + 0.0)


def confidence(alignment: Alignment) -> float:
    """0-1 from the score: 0.99 for identical bits, falling to 0.6 at the threshold."""
    return round(max(0.0, min(0.99, 1.0 - 2.0 * alignment.ber)), 3)
