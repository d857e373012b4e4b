"""What an fpcalc run gave: its output read (a fingerprint, or the reason there is none),
whatever it printed and however it ended. Nothing fpcalc prints can raise here: a malformed
or out-of-range output (not JSON, Infinity, NaN, a value beyond 32 bits, a missing key) is
a reason like any other.

A reason says whether it is about the file or only about that run: fpcalc cannot decode
the file, crashed on it or printed nonsense for it (lasting: stored, listed among the
library's errors, tried again once the file or fpcalc changes), or fpcalc was stopped from
outside or ran out of time (`transient`: not stored, tried again next time).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MIN_DISTINCT",
    "NO_FINGERPRINT",
    "FingerprintOutcome",
    "decode",
    "encode",
    "parse_output",
]

#: fewer distinct values than this: silence, a constant tone, or too short to tell
MIN_DISTINCT = 16
MAX_DURATION_S = 1e7
NO_FINGERPRINT = "no fingerprint: silent, constant or too short"
#: signals a process gets from its own fault (a decoder bug: it will crash on that file
#: again); the others come from outside (Ctrl-C, SIGTERM, the out-of-memory killer)
_CRASHES = frozenset(
    {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT, signal.SIGSYS}
)


@dataclass(slots=True)
class FingerprintOutcome:
    """One file's fingerprint (`data`: uint32 little-endian), or why there is none.

    `size` and `mtime_ns` are the file's when it was read: the fingerprint is valid while
    the file still has them. `transient`: the reason says nothing about the file (fpcalc
    was stopped or ran out of time, the file could not be read just now), so it is not
    kept and the file is tried again next time."""

    path: str
    size: int
    mtime_ns: int
    data: bytes | None = None
    duration: float | None = None
    reason: str | None = None
    transient: bool = False

    @property
    def failed(self) -> bool:
        """fpcalc could not fingerprint the file (not: the audio is silent or too short)."""
        return self.data is None and self.reason != NO_FINGERPRINT


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
    """What an fpcalc run that ended by itself gave. fpcalc exits 3 when decoding stopped
    early (a cut-off last frame, a WAV shorter than the length asked for) but still prints
    what it heard: that is kept."""
    if done.returncode < 0:
        _signalled(-done.returncode, outcome)
        return
    found = _read(done.stdout)
    if isinstance(found, tuple) and found[0]:
        values, duration = found
        if len(set(values)) < MIN_DISTINCT:
            outcome.reason = NO_FINGERPRINT
            return
        outcome.data, outcome.duration = encode(values), duration
        return
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    message = lines[-1].removeprefix("ERROR: ").strip() if lines else ""
    if "Empty fingerprint" in message or (isinstance(found, tuple) and not message):
        outcome.reason = NO_FINGERPRINT  # decoded, but too short (or silent) to hear
    elif message:
        outcome.reason = f"cannot decode: {message}"
    elif isinstance(found, str):
        outcome.reason = f"fpcalc gave no fingerprint: {found}"
    else:
        outcome.reason = f"cannot decode: exit {done.returncode}"


def _signalled(number: int, outcome: FingerprintOutcome) -> None:
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if number in _CRASHES:
        outcome.reason = f"fpcalc crashed ({name})"
    else:
        outcome.reason = f"fpcalc was stopped ({name})"
        outcome.transient = True


def _read(stdout: bytes) -> tuple[list[int], float] | str | None:
    """fpcalc's JSON as (values as uint32, duration), what is wrong with it, or None when
    it printed nothing. Values may come signed (`-signed`); anything else is refused."""
    if not stdout.strip():
        return None
    try:
        result = json.loads(stdout)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(result, dict):
        return f"not fpcalc's JSON (a {type(result).__name__})"
    values, duration = result.get("fingerprint"), result.get("duration")
    if not isinstance(values, list):
        return "no list of values"
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        return f"a duration out of range ({_shown(duration)})"
    if not 0 <= duration < MAX_DURATION_S:
        return f"a duration out of range ({_shown(duration)})"
    for value in values:
        if type(value) is not int or not -(1 << 31) <= value < 1 << 32:
            return f"a value out of range ({_shown(value)})"
    return [value & 0xFFFFFFFF for value in values], float(duration)


def _shown(value: object) -> str:
    text = "missing" if value is None else repr(value)
    return text if len(text) <= 24 else f"{text[:21]}..."
