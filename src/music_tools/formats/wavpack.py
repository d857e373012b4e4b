"""WavPack: a block header at the start of the file, APEv2 tags at its end, the audio between
them read as a raw stream; the lean reader follows mutagen.wavpack. It gives no bitrate; the
extract stage computes it from the audio payload, as for the mutagen path. A file whose first
block does not carry the total sample count (mutagen then walks every block) goes to mutagen.
"""

from __future__ import annotations

import struct
from dataclasses import replace

from .apev2 import read_apev2
from .info import FastInfo, read_bytes
from .raw import RAW
from .window import FileWindow

__all__ = ["WAVPACK", "read_wavpack"]

_WV_HEADER = struct.Struct("<4sIHBBIIIII")
_WV_RATES = (
    6000,
    8000,
    9600,
    11025,
    12000,
    16000,
    22050,
    24000,
    32000,
    44100,
    48000,
    64000,
    88200,
    96000,
    192000,
)  # mutagen.wavpack.RATES


def read_wavpack(window: FileWindow, layout: object) -> FastInfo | None:
    header = read_bytes(window, 0, 32)
    if len(header) != 32 or header[:4] != b"wvpk":
        return None
    _, _, _, _, _, samples, block_index, _, flags, _ = _WV_HEADER.unpack(header)
    rate_index = (flags >> 23) & 0xF
    if samples == 0xFFFFFFFF or block_index != 0 or rate_index >= len(_WV_RATES):
        return None  # mutagen walks the blocks, or fails on a custom sample rate
    rate, bits = _WV_RATES[rate_index], ((flags & 3) + 1) * 8
    if (flags >> 31) & 1:
        rate, bits = rate * 4, 1
    channels = 1 if flags & 4 else 2
    tags = read_apev2(window)
    if tags is None:
        return None
    length = float(samples) / rate
    return FastInfo("wv", "wavpack", True, length, rate, channels, bits, 0, ape=tags or None)


WAVPACK = replace(RAW, read=read_wavpack)
