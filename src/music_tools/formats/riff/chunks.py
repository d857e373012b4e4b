"""WAV and AIFF chunks: the walk of the top-level chunks of a RIFF/WAVE (little-endian) or
FORM/AIFF (big-endian) container, a streamed WAV's length, and the RIFF INFO list some WAV
files carry instead of ID3."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator

from ..window import FileWindow, HasFileno

__all__ = [
    "STREAMED",
    "WAVE_FORMAT",
    "Chunk",
    "ReadAt",
    "SizedChunk",
    "container_chunks",
    "is_streamed_data",
    "iter_chunks",
    "read_riff_info",
    "streamed_length",
    "streamed_wav_length",
    "top_chunks",
]

#: a WAV's format chunk: tag, channels, rate, byte rate, block align, bits
WAVE_FORMAT = struct.Struct("<HHLLHH")

Chunk = tuple[bytes, int, int]
"""(four-character id, offset of the chunk's data, size of the data)"""

SizedChunk = tuple[bytes, int, int, bytes]
"""A Chunk and its size field as stored (four bytes, in the container's byte order)"""

ReadAt = Callable[[int, int], bytes]
"""read(offset, size) -> bytes: a file, or a cached window over one."""

_INFO_FIELDS = {
    b"IART": "artist",
    b"INAM": "title",
    b"IPRD": "album",
    b"ICRD": "date",
    b"IGNR": "genre",
    b"ITRK": "track",
    b"IPRT": "track",
}


def iter_chunks(read: ReadAt, start: int, end: int, big_endian: bool) -> Iterator[Chunk]:
    """The chunks between `start` and `end`; stops at the first one that runs past the end."""
    for chunk_id, data, present, _ in _sized_chunks(read, start, end, big_endian):
        yield chunk_id, data, present


def container_chunks(read: ReadAt, file_size: int) -> Iterator[Chunk]:
    """The top-level chunks of a RIFF/WAVE or FORM/AIFF file (none for anything else)."""
    for chunk_id, data, present, _ in _top_level(read, file_size):
        yield chunk_id, data, present


def top_chunks(window: FileWindow) -> list[SizedChunk]:
    """`container_chunks` of the file in `window`, each with its size field as stored: the
    walk, for the damage check and the payload."""
    return list(_top_level(window.read, window.size))


def _top_level(read: ReadAt, file_size: int) -> Iterator[SizedChunk]:
    head = read(0, 12)
    if len(head) < 12:
        return iter(())
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        streamed = head[4:8] == STREAMED
        return _sized_chunks(read, 12, file_size, big_endian=False, streamed=streamed)
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _sized_chunks(read, 12, file_size, big_endian=True)
    return iter(())


#: the size a writer that cannot seek back (ffmpeg into a pipe) leaves in a WAV's RIFF and
#: data headers: the data runs to the end of the file
STREAMED = b"\xff\xff\xff\xff"


def is_streamed_data(chunk: SizedChunk, streamed: bool) -> bool:
    """Whether `chunk` is a WAV's `data` chunk whose size was never filled in: 0xFFFFFFFF,
    or 0 under a RIFF size of 0xFFFFFFFF (`streamed`)."""
    return chunk[0] == b"data" and (chunk[3] == STREAMED or (streamed and chunk[3] == b"\0\0\0\0"))


def _sized_chunks(
    read: ReadAt, start: int, end: int, big_endian: bool, streamed: bool = False
) -> Iterator[SizedChunk]:
    unpack = (_BIG if big_endian else _LITTLE).unpack
    offset = start
    while offset + 8 <= end:
        header = read(offset, 8)
        if len(header) < 8:
            return
        chunk_id, size = unpack(header)
        data = offset + 8
        chunk = (chunk_id, data, min(size, max(0, end - data)), header[4:8])
        if not big_endian and is_streamed_data(chunk, streamed):
            yield chunk_id, data, max(0, end - data), header[4:8]
            return
        yield chunk
        if data + size > end:
            return
        offset = data + size + (size & 1)  # chunks are padded to an even length


_BIG, _LITTLE = struct.Struct(">4sI"), struct.Struct("<4sI")


def read_riff_info(fileobj: HasFileno) -> dict[str, str]:
    """Tag values from a WAV file's LIST/INFO chunk (empty when there is none)."""
    fd = fileobj.fileno()

    def read(offset: int, size: int) -> bytes:
        return os.pread(fd, size, offset)

    values: dict[str, str] = {}
    for chunk_id, data, length in container_chunks(read, os.fstat(fd).st_size):
        if chunk_id != b"LIST" or length < 4 or read(data, 4) != b"INFO":
            continue
        for sub_id, sub_data, sub_len in iter_chunks(read, data + 4, data + length, False):
            field = _INFO_FIELDS.get(sub_id)
            if field is None or field in values:
                continue
            text = _decode(read(sub_data, min(sub_len, 4096)))
            if text:
                values[field] = text
    return values


def streamed_wav_length(fileobj: HasFileno) -> float | None:
    """`streamed_length` of an open file (for the mutagen path, which reads such a WAV's
    placeholder as its data size: 24,347 s for 2 s of audio)."""
    fd = fileobj.fileno()

    def read(offset: int, size: int) -> bytes:
        return os.pread(fd, size, offset)

    return streamed_length(read, os.fstat(fd).st_size)


def streamed_length(read: ReadAt, file_size: int) -> float | None:
    """The length of a WAV whose data size was never filled in (see STREAMED): the data to
    the end of the file over the format chunk's block align and rate; None for any other
    file (the first chunk of each id counts, as mutagen takes it)."""
    streamed = read(4, 4) == STREAMED
    fmt: SizedChunk | None = None
    for chunk in _top_level(read, file_size):
        if chunk[0] == b"fmt " and fmt is None:
            fmt = chunk
        elif chunk[0] == b"data":
            if fmt is None or not is_streamed_data(chunk, streamed):
                return None
            fields = read(fmt[1], WAVE_FORMAT.size)
            if fmt[2] < WAVE_FORMAT.size or len(fields) < WAVE_FORMAT.size:
                return None
            _, _, rate, _, align, _ = WAVE_FORMAT.unpack(fields)
            return chunk[2] / align / rate if align > 0 and rate > 0 else None
    return None


def _decode(raw: bytes) -> str:
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()
