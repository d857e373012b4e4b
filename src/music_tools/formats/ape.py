"""Monkey's Audio (APE): a header at the start of the file, APEv2 tags at its end, the audio
between them read as a raw stream; the lean reader follows mutagen.monkeysaudio. It gives no
bitrate; the extract stage computes it from the audio payload, as for the mutagen path.
"""

from __future__ import annotations

import struct
from dataclasses import replace

from .apev2 import read_apev2
from .info import FastInfo, read_bytes
from .raw import RAW
from .window import FileWindow

__all__ = ["APE", "read_ape"]

_APE_NEW = struct.Struct("<IIIHHI")  # header[56:76], version 3.98 and later


def read_ape(window: FileWindow, layout: object) -> FastInfo | None:
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


APE = replace(RAW, read=read_ape)
