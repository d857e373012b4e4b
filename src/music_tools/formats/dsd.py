"""DSD audio: DSF and DSDIFF. The sound data (the payload, and the damage check of data that
runs past the end of the file), and the lean reader of DSF: the DSD and fmt chunks, and the
ID3v2 tag at the metadata offset.

The lean reader follows mutagen.dsf: the fmt chunk gives the properties (the bitrate is rate
x bits x channels); the tag is the ID3v2 tag where the DSD chunk points, none when it points
at 0. A file whose pointer finds no ID3v2 tag, or that may carry an APEv2 tag (which the
mutagen path reads when ID3 gives no fields), goes to mutagen.
"""

from __future__ import annotations

import struct

from .apev2 import may_have_ape
from .container import Container, Payload
from .id3 import read_id3
from .info import FastInfo, read_bytes
from .raw import declared_payload, id3v2_end, missing_data, nothing
from .window import FileWindow

__all__ = ["DSDIFF", "DSF", "read_dsf"]

_CHUNKS = struct.Struct("<4sQQQ4sQIIIIIIQ")  # DSD chunk, then the fmt chunk's first fields
_DATA = struct.Struct("<4sQ")


def read_dsf(window: FileWindow, layout: object) -> FastInfo | None:
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


# -- the sound data ---------------------------------------------------------------------------


def _dsf_data(window: FileWindow) -> tuple[int, int] | None:
    """Where a DSF file's data chunk's samples start, and where its size says it ends."""
    offset = 0
    while offset + 12 <= window.size:
        chunk = window.read(offset, 12)
        size = int.from_bytes(chunk[4:12], "little")
        if chunk[:4] == b"data" and size >= 12:
            return offset + 12, offset + size
        if size < 12:
            return None
        offset += size
    return None


def _dsdiff_data(window: FileWindow) -> tuple[int, int] | None:
    """Where a DSDIFF file's sound data (DSD or DST) starts, and where its size says it ends."""
    head = window.read(0, 16)
    if head[:4] != b"FRM8" or head[12:16] != b"DSD ":
        return None
    offset = 16
    while offset + 12 <= window.size:
        chunk = window.read(offset, 12)
        size = int.from_bytes(chunk[4:12], "big")
        if chunk[:4] in (b"DSD ", b"DST "):
            return offset + 12, offset + 12 + size
        offset += 12 + size + (size & 1)
    return None


def _dsf_damage(window: FileWindow, layout: object) -> str | None:
    return missing_data(window, _dsf_data(window), "DSF")


def _dsf_payload(window: FileWindow, layout: object) -> Payload:
    return declared_payload(window, _dsf_data(window))


def _dsdiff_damage(window: FileWindow, layout: object) -> str | None:
    return missing_data(window, _dsdiff_data(window), "DFF")


def _dsdiff_payload(window: FileWindow, layout: object) -> Payload:
    return declared_payload(window, _dsdiff_data(window))


DSF = Container(nothing, _dsf_damage, _dsf_payload, id3v2_end, read_dsf)
DSDIFF = Container(nothing, _dsdiff_damage, _dsdiff_payload, id3v2_end)
