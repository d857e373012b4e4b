"""The lean WAV and AIFF readers.

They read the format chunk, the audio chunk's size and the ID3 chunk as mutagen reads them:
it walks the top-level chunks of the RIFF or FORM container (sizes as declared, even past
the end of a cut file) and takes the first chunk of each id; so do they. WAV's length is
the `data` size over the block alignment, AIFF's the COMM frame count over its 80-bit rate;
the bitrate is channels x bits x rate for both. Tags come from the ID3 chunk (`id3 ` or
`ID3 ` in WAV, `ID3 ` in AIFF); an ID3v1 tag at the end counts only when that chunk exists,
as in mutagen.
"""

from __future__ import annotations

import struct
from functools import partial

from ..apev2 import may_have_ape
from ..id3 import read_id3
from ..info import FastInfo, read_bytes
from ..window import FileWindow
from .chunks import WAVE_FORMAT, read_riff_info, streamed_length

__all__ = ["read_aiff", "read_wav"]

_AIFF_COMMON = struct.Struct(">hLhHQ")
_Chunks = dict[str, tuple[int, int]]  # id (trailing spaces stripped) -> (data offset, data size)


def read_wav(window: FileWindow, layout: object) -> FastInfo | None:
    chunks = _chunks(window, "<I", (b"RIFF", b"LIST"))
    fmt = _fields(window, chunks, "fmt", WAVE_FORMAT)
    if chunks is None or fmt is None:
        return None
    _, channels, rate, _, align, bits = fmt
    samples = chunks["data"][1] / align if align > 0 and "data" in chunks else 0
    length = samples / rate if rate > 0 else 0.0
    if "data" in chunks and chunks["data"][1] in (0, 0xFFFF_FFFF):  # streamed, perhaps
        length = streamed_length(window.read, window.size) or length
    id3_chunk = min((chunks[k] for k in ("id3", "ID3") if k in chunks), default=None)
    info = _with_tags(window, "wav", length, rate, channels, bits, id3_chunk)
    if info is not None:  # WAV files tagged only with RIFF INFO, read as the mutagen path does
        info.fallback = partial(read_riff_info, window.fileobj)
    return info


def read_aiff(window: FileWindow, layout: object) -> FastInfo | None:
    chunks = _chunks(window, ">I", (b"FORM",))
    comm = _fields(window, chunks, "COMM", _AIFF_COMMON)
    if chunks is None or comm is None:
        return None
    channels, frames, bits, exponent, mantissa = comm
    rate = _extended_rate(exponent, mantissa)
    if rate is None:
        return None
    length = frames / float(rate) if rate else 0
    return _with_tags(window, "aiff", length, rate, channels, bits, chunks.get("ID3"))


def _fields(
    window: FileWindow, chunks: _Chunks | None, name: str, layout: struct.Struct
) -> tuple[int, ...] | None:
    """The fields at the start of the first chunk `name`; None if absent or too short."""
    if chunks is None or name not in chunks:
        return None
    offset, size = chunks[name]
    data = read_bytes(window, offset, layout.size)
    return layout.unpack(data) if size >= layout.size and len(data) == layout.size else None


def _with_tags(
    window: FileWindow,
    file_format: str,
    length: float,
    rate: int,
    channels: int,
    bits: int,
    id3_chunk: tuple[int, int] | None,
) -> FastInfo | None:
    info = FastInfo(file_format, "pcm", True, length, rate, channels, bits, channels * bits * rate)
    if id3_chunk is not None:
        tags = read_id3(window, id3_chunk[0])
        if tags is None:
            return None
        if tags.present:
            info.id3, info.id3_ufid = tags.frames, tags.ufid
    return None if may_have_ape(window) else info


def _chunks(window: FileWindow, size_format: str, containers: tuple[bytes, ...]) -> _Chunks | None:
    """The first chunk of each id, walked as mutagen's IffFile walks; None if unsure."""
    header = read_bytes(window, 0, 12)
    unpack = struct.Struct(size_format).unpack
    (root_size,) = unpack(header[4:8]) if len(header) == 12 else (0,)
    if root_size < 4:
        return None
    end = 8 + root_size + (root_size & 1)
    chunks: _Chunks = {}
    position = 12
    while position < end:
        header = read_bytes(window, position, 8)
        if len(header) < 8 or not header[:4].isascii():
            break
        name = header[:4].decode("ascii").rstrip()
        if not name or min(name) < " " or max(name) > "~":
            break
        (size,) = unpack(header[4:8])
        if header[:4] in containers:
            if size < 4:
                break
            if not read_bytes(window, position + 8, 4).isascii():
                return None  # mutagen fails on a container name that is not ASCII
        chunks.setdefault(name, (position + 8, size))
        position += 8 + size + (size & 1)
    return chunks


def _extended_rate(exponent: int, mantissa: int) -> int | None:
    """int() of an AIFF 80-bit float sample rate as mutagen reads it; None where it refuses."""
    sign = 1
    if exponent & 0x8000:
        sign, exponent = -1, exponent & 0x7FFF
    if exponent == 0x7FFF:
        return None
    if exponent == 0 and mantissa == 0:
        return 0
    try:
        rate = int(sign * (mantissa * pow(2.0, exponent - 16383 - 63)))
    except OverflowError:
        return None
    return rate if rate >= 0 else None


# -- the damage check and the payload ---------------------------------------------------------
