"""Monkey's Audio (APE) and WavPack: one header at the start of the file, APEv2 tags at its end.

Follows mutagen.monkeysaudio and mutagen.wavpack. Neither gives a bitrate; the extract stage
computes it from the audio payload, as for the mutagen path. A WavPack file whose first block
does not carry the total sample count (mutagen then walks every block) goes to mutagen.
"""

from __future__ import annotations

import struct

from .apev2 import read_apev2
from .info import FastInfo, read_bytes
from .window import FileWindow

__all__ = ["read_ape", "read_wavpack"]

_APE_NEW = struct.Struct("<IIIHHI")  # header[56:76], version 3.98 and later
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


def read_ape(window: FileWindow) -> FastInfo | None:
    header = read_bytes(window, 0, 76)
    if len(header) != 76 or header[:4] != b"MAC ":
        return None
    version = int.from_bytes(header[4:6], "little")
    if version >= 3980:
        per_frame, final, frames, bits, channels, rate = _APE_NEW.unpack_from(header, 56)
    else:
        level = int.from_bytes(header[6:8], "little")
        channels, rate = struct.unpack_from("<HI", header, 10)
        frames, final = struct.unpack_from("<II", header, 24)
        if version >= 3950:
            per_frame = 73728 * 4
        elif version >= 3900 or (version >= 3800 and level == 4):
            per_frame = 73728
        else:
            per_frame = 9216
        bits = int.from_bytes(header[74:76], "little") if header[48:55] == b"WAVEfmt" else 0
    length = 0.0
    if rate and frames > 0:
        length = float((frames - 1) * per_frame + final) / rate
    tags = read_apev2(window)
    if tags is None:
        return None
    return FastInfo("ape", "ape", True, length, rate, channels, bits, 0, ape=tags or None)


def read_wavpack(window: FileWindow) -> FastInfo | None:
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
