"""Musepack: the SV7 header or the SV8 stream header packets, APEv2 tags at the end.

Follows mutagen.musepack for files that start with their Musepack header (SV7 "MP+", SV8
"MPCK"); the older stream versions (which give mutagen a bitrate in kbps) go to mutagen.
The bitrate is mutagen's: the whole file's size over the length.
"""

from __future__ import annotations

import decimal

from .apev2 import read_apev2
from .info import FastInfo, HeldBytes, read_bytes
from .sv8 import RATES, replay_gain_fits, stream_header, sv8_int
from .window import FileWindow

__all__ = ["read_musepack"]

_HEADER_BYTES = 4096  # the SV8 packets before the audio ("SH", "RG", "EI") are a few dozen
_MAX_PACKETS = 64


class _Unsure(Exception):
    """Raised inside this module where mutagen's answer is not modelled; never leaves it."""


def read_musepack(window: FileWindow) -> FastInfo | None:
    head = HeldBytes(window, 0, read_bytes(window, 0, _HEADER_BYTES))
    try:
        if head.get(0, 4) == b"MPCK":
            rate, channels, length = _sv8(head, 4)
        elif head.get(0, 3) == b"MP+":
            rate, channels, length = _sv7(head.get(0, 32))
        else:
            return None
    except _Unsure:
        return None
    tags = read_apev2(window)
    if tags is None:
        return None
    bitrate = _intround(window.size * 8 / length) if length else 0
    return FastInfo("mpc", "musepack", False, length, rate, channels, 0, bitrate, ape=tags or None)


def _sv7(header: bytes) -> tuple[int, int, float]:
    if len(header) != 32 or header[3] & 0xF < 7:
        raise _Unsure
    frames = int.from_bytes(header[4:8], "little")
    rate = RATES[(int.from_bytes(header[8:12], "little") >> 16) & 3]
    return rate, 2, float(frames * 1152 - 576) / rate


def _sv8(head: HeldBytes, offset: int) -> tuple[int, int, float]:
    found: tuple[int, int, int] | None = None
    replaygain = False
    for _ in range(_MAX_PACKETS):
        key = head.get(offset, 2)
        if len(key) != 2 or not b"AA" <= key <= b"ZZ":
            raise _Unsure
        if key in (b"AP", b"SE") or (found is not None and replaygain):
            break
        size = sv8_int(head.get(offset + 2, 9))
        if size is None:
            raise _Unsure
        body, data_size = offset + 2 + size[1], size[0] - 2 - size[1]
        if key == b"SH":
            if found is not None:
                raise _Unsure
            found = stream_header(head.get, body, data_size)
            if found is None:
                raise _Unsure
        elif key == b"RG":
            if replaygain or not replay_gain_fits(head.get, body, data_size):
                raise _Unsure
            replaygain = True
        if data_size < 0:
            raise _Unsure
        offset = body + data_size
    else:
        raise _Unsure
    if found is None or not replaygain:
        raise _Unsure
    samples, rate, channels = found
    return rate, channels, float(samples) / rate


def _intround(value: float) -> int:
    """mutagen's intround: half to even, from the float's exact value."""
    return int(decimal.Decimal(value).to_integral_value(decimal.ROUND_HALF_EVEN))
