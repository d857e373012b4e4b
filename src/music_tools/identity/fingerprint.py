"""Acoustic fingerprints: Chromaprint through `fpcalc`, the index terms, and the comparison.

Why `fpcalc` (Debian `libchromaprint-tools`, Homebrew `chromaprint`) and not libchromaprint
in this process: measured on 4-minute MP3 and FLAC files it was as fast or faster (0.14-0.17 s
a file against 0.17-0.24 s for libchromaprint through ctypes fed by soundfile), it decodes
every format FFmpeg does (soundfile cannot decode M4A, WMA, APE, WavPack or Musepack), a
decoder that crashes or hangs on a hostile file takes only its own process down, and it
needs no Python package. The value of a fingerprint is Chromaprint's own (algorithm 2, the
first 120 s), so ours are comparable with AcoustID's, Picard's and beets'.

A fingerprint is a sequence of 32-bit values, one every 0.124 s. Two files are the same
recording when, at the best alignment (up to `MAX_OFFSET_S` either way: leading silence,
encoder priming), few of their bits differ (`MATCH_BER`). Candidates come from an inverted
index of *terms*: the values whose mixed hash falls in 1/`TERM_SAMPLING` of the range. The
choice depends on the value alone, not its position, so a shifted copy keeps the same terms,
and a transcode keeps most of them (its values are mostly bit-exact).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "ALGORITHM",
    "INSTALL_HINT",
    "MATCH_BER",
    "MAX_OFFSET_S",
    "Alignment",
    "FingerprintOutcome",
    "align",
    "confidence",
    "decode",
    "encode",
    "fingerprint_file",
    "fingerprint_many",
    "fingerprinter",
    "fpcalc_path",
    "terms",
]

#: Chromaprint's default algorithm (the one AcoustID uses), over its default 120 s
CHROMAPRINT_ALGORITHM = 2
LENGTH_S = 120
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
#: fewer distinct values than this: silence, a constant tone, or too short to tell
MIN_DISTINCT = 16
TIMEOUT_S = 120.0
INSTALL_HINT = (
    "install Chromaprint's fpcalc (Debian/Ubuntu: apt install libchromaprint-tools; "
    "macOS: brew install chromaprint)"
)
_PR_SET_PDEATHSIG = 1


def fpcalc_path() -> str | None:
    """The fpcalc program, or None. `MUSIC_TOOLS_FPCALC` names another one (empty: none)."""
    chosen = os.environ.get("MUSIC_TOOLS_FPCALC")
    if chosen is not None:
        return shutil.which(chosen) if chosen else None
    return shutil.which("fpcalc")


@lru_cache(maxsize=4)
def _version(program: str) -> str:
    try:
        out = subprocess.run(
            [program, "-version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "fpcalc ?"
    return " ".join(out.split()[:3]) or "fpcalc ?"


def fingerprinter() -> str | None:
    """What a stored fingerprint was made with (algorithm and decoder version): a row
    made otherwise is recomputed. None when fpcalc is not installed."""
    program = fpcalc_path()
    if program is None:
        return None
    return f"chromaprint{CHROMAPRINT_ALGORITHM}/{_version(program)}"


ALGORITHM = f"chromaprint{CHROMAPRINT_ALGORITHM}"


@dataclass(slots=True)
class FingerprintOutcome:
    """One file's fingerprint (`data`: uint32 little-endian), or why there is none.

    `size` and `mtime_ns` are the file's when it was read: the fingerprint is valid while
    the file still has them."""

    path: str
    size: int
    mtime_ns: int
    data: bytes | None = None
    duration: float | None = None
    reason: str | None = None


def encode(values: Iterable[int]) -> bytes:
    packed = array("I", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def decode(data: bytes) -> array[int]:
    values = array("I")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


@lru_cache(maxsize=1)
def _prctl() -> Any:
    try:
        return ctypes.CDLL(None).prctl  # looked up here, never between fork and exec
    except (OSError, AttributeError):
        return None


def _die_with_parent() -> None:
    """In the fpcalc child: killed when the process that started it dies."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def fingerprint_file(path: str, program: str | None = None) -> FingerprintOutcome:
    """The fingerprint of the first `LENGTH_S` seconds of `path`, or the reason there is
    none (unreadable, undecodable, silent, too short). Never raises for a bad file."""
    return next(fingerprint_many([path], 1, program))


def fingerprint_many(
    paths: Iterable[str], workers: int, program: str | None = None
) -> Iterator[FingerprintOutcome]:
    """One outcome per path, in order, `workers` fpcalc processes at a time.

    This is the worker pool for fingerprints: the decoding is fpcalc's, in its own process,
    so Python workers in between would only wait on it (and cost their start-up). No fpcalc
    outlives the caller: those running when the caller stops (Ctrl-C, an error, the
    iterator closed) are killed and reaped, and on Linux each dies with this process."""
    program = program or fpcalc_path()
    running: deque[_Running] = deque()
    try:
        for path in paths:
            running.append(_start(path, program))
            if len(running) >= max(1, workers):
                yield _finish(running.popleft())
        while running:
            yield _finish(running.popleft())
    finally:
        for _, process in running:
            if process is not None:
                process.kill()
                process.wait()


_Running = tuple[FingerprintOutcome, "subprocess.Popen[bytes] | None"]


def _start(path: str, program: str | None) -> _Running:
    try:
        stat = os.stat(path)
    except OSError as exc:
        return FingerprintOutcome(path, 0, 0, reason=f"cannot read: {exc.strerror or exc}"), None
    outcome = FingerprintOutcome(path, stat.st_size, stat.st_mtime_ns)
    if program is None:
        outcome.reason = f"fpcalc not found: {INSTALL_HINT}"
        return outcome, None
    linux = sys.platform == "linux" and _prctl() is not None
    try:
        process = subprocess.Popen(
            [program, "-raw", "-json", "-length", str(LENGTH_S), "--", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,  # at most ~11 KB: never fills the pipe while it waits
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if linux else None,  # one C call, no lock taken
        )
    except OSError as exc:
        outcome.reason = f"cannot run fpcalc: {exc.strerror or exc}"
        return outcome, None
    return outcome, process


def _finish(running: _Running) -> FingerprintOutcome:
    outcome, process = running
    if process is None:
        return outcome
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        outcome.reason = f"fpcalc took longer than {TIMEOUT_S:.0f} s"
        return outcome
    except BaseException:
        process.kill()
        process.wait()
        raise
    _parse(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), outcome)
    return outcome


def _parse(done: subprocess.CompletedProcess[bytes], outcome: FingerprintOutcome) -> None:
    """fpcalc exits 3 when decoding stopped early (a cut-off last frame, a WAV shorter than
    the length asked for) but still prints what it heard: that is kept."""
    try:
        result = json.loads(done.stdout or b"{}")
        values = [int(v) & 0xFFFFFFFF for v in result.get("fingerprint") or ()]
        duration = float(result.get("duration") or 0.0) or None
    except (ValueError, TypeError, AttributeError):
        values, duration = [], None
    if not values:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1].removeprefix("ERROR: ") if message else f"exit {done.returncode}"
        if "Empty fingerprint" in reason:  # decoded, but too short (or silent) to hear
            outcome.reason = "no fingerprint: silent, constant or too short"
        else:
            outcome.reason = f"cannot decode: {reason}"
        return
    outcome.duration = duration
    if len(set(values)) < MIN_DISTINCT:
        outcome.reason = "no fingerprint: silent, constant or too short"
        return
    outcome.data = encode(values)


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
