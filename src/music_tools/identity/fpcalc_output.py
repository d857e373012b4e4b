"""What an fpcalc run gave: its output read, a fingerprint or the reason there is none."""

from __future__ import annotations

import json
import subprocess
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MIN_DISTINCT", "FingerprintOutcome", "decode", "encode", "parse_output"]

#: fewer distinct values than this: silence, a constant tone, or too short to tell
MIN_DISTINCT = 16


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


def parse_output(done: subprocess.CompletedProcess[bytes], outcome: FingerprintOutcome) -> None:
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
