"""DSF: the DSD and fmt chunks, and the ID3v2 tag at the metadata offset.

Follows mutagen.dsf: the fmt chunk gives the properties (the bitrate is rate x bits x
channels); the tag is the ID3v2 tag where the DSD chunk points, none when it points at 0. A
file whose pointer finds no ID3v2 tag, or that may carry an APEv2 tag (which the mutagen path
reads when ID3 gives no fields), goes to mutagen.
"""

from __future__ import annotations

import struct

from .id3 import read_id3
from .info import FastInfo, read_bytes
from .mpeg import may_have_ape
from .window import FileWindow

__all__ = ["read_dsf"]

_CHUNKS = struct.Struct("<4sQQQ4sQIIIIIIQ")  # DSD chunk, then the fmt chunk's first fields
_DATA = struct.Struct("<4sQ")


def read_dsf(window: FileWindow) -> FastInfo | None:
    head = read_bytes(window, 0, 92)
    if len(head) != 92:
        return None
    (
        dsd,
        dsd_size,
        _,
        metadata,
        fmt,
        fmt_size,
        version,
        format_id,
        _,
        channels,
        rate,
        bits,
        samples,
    ) = _CHUNKS.unpack_from(head)
    data, data_size = _DATA.unpack_from(head, 80)
    if (dsd, dsd_size, fmt, fmt_size, version, format_id) != (b"DSD ", 28, b"fmt ", 52, 1, 0):
        return None
    if data != b"data" or data_size < 12 or not rate or may_have_ape(window):
        return None
    id3: dict[str, list[str]] | None = None
    ufid: bytes | None = None
    if metadata:
        if read_bytes(window, metadata, 3) != b"ID3":
            return None
        tags = read_id3(window, metadata)
        if tags is None:
            return None
        id3, ufid = tags.frames, tags.ufid
    length = float(samples) / rate
    return FastInfo(
        "dsf",
        "dsd",
        True,
        length,
        rate,
        channels,
        bits,
        rate * bits * channels,
        id3=id3,
        id3_ufid=ufid,
    )
