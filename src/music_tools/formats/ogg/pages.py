"""Ogg pages: the one parser of their headers.

Reading uses it to gather the header packets (codec setup and comments) and the last
granule position (the length); the audio keys use it to find where the audio starts and to
walk page bodies without the page headers (their sequence numbers and CRCs change when a
file is re-tagged).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from ..window import FileWindow

__all__ = [
    "MAX_HEADER",
    "Page",
    "audio_start",
    "codec",
    "first_packet",
    "head_bodies",
    "page_at",
    "parse",
    "stream_bodies",
    "tail_bodies",
]

MAX_HEADER = 27 + 255  # the longest page header: 27 fixed bytes and 255 lacing values
BEGIN_OF_STREAM = 0x02


Page = tuple[int, int, int, int, bytes, int]
"""(serial, flags, granule position, header size, lacing values, body size), unpacked by
name at each use: a plain tuple, cheaper to build than a NamedTuple for the forty pages a
file's keys parse (figures: docs/benchmarks.md)."""

# magic, version, flags, granule position, serial, sequence number, CRC, segment count
_HEADER = struct.Struct("<4sBBqIIIB")


def parse(buffer: bytes, offset: int) -> Page | None:
    """The page whose header starts at `offset` of `buffer`, if all of the header is there."""
    try:
        magic, version, flags, granule, serial, _, _, segments = _HEADER.unpack_from(buffer, offset)
    except struct.error:  # fewer than 27 bytes left
        return None
    end = offset + 27 + segments
    if magic != b"OggS" or version or end > len(buffer):
        return None
    lacing = buffer[offset + 27 : end]
    return serial, flags, granule, 27 + segments, lacing, sum(lacing)


def page_at(window: FileWindow, offset: int) -> Page | None:
    head = window.head
    if offset + MAX_HEADER <= len(head):  # the common case: parsed in the cached head
        return parse(head, offset)
    return parse(window.read(offset, MAX_HEADER), 0)


def first_packet(head: bytes) -> bytes:
    """The start of the first packet of a file whose first bytes are `head`."""
    page = parse(head, 0)
    if page is None:
        return b""
    _, _, _, header_size, _, _ = page
    return head[header_size:]


def codec(packet: bytes) -> tuple[str, int | None] | None:
    """(kind, number of header packets) named by a stream's first packet; the count is None
    when the packet is too short to tell."""
    if packet.startswith(b"\x01vorbis"):
        return "vorbis", 3
    if packet.startswith(b"OpusHead"):
        return "opus", 2
    if packet.startswith(b"Speex   "):
        extra = int.from_bytes(packet[68:72], "little") if len(packet) >= 72 else None
        return "speex", None if extra is None else 2 + extra
    if packet.startswith(b"\x7fFLAC"):
        return "oggflac", 1 + int.from_bytes(packet[7:9], "big") if len(packet) >= 9 else None
    return None


def audio_start(window: FileWindow) -> int | None:
    """Offset of the first page after the header packets, or None when unsure."""
    offset, serial, wanted, finished = 0, None, 0, 0
    while offset < window.size:
        page = page_at(window, offset)
        if page is None:
            return None
        page_serial, _, _, header_size, lacing, body_size = page
        if serial is None:
            serial = page_serial
            found = codec(window.read(offset + header_size, min(body_size, 80)))
            if found is None or found[1] is None:
                return None
            wanted = found[1]
        elif page_serial != serial:
            return None  # several logical streams: audio cannot be told apart safely
        finished += len(lacing) - lacing.count(255)  # a value under 255 ends a packet
        offset += header_size + body_size
        if finished >= wanted:
            return offset if finished == wanted and lacing[-1] < 255 else None
    return None


def head_bodies(window: FileWindow, start: int, end: int, size: int) -> Iterator[memoryview]:
    """The first `size` body bytes of the pages from `start`."""
    head = window.head
    view, in_head = memoryview(head), len(head) - MAX_HEADER
    offset = start
    while size > 0 and offset < end:
        page = parse(head, offset) if offset <= in_head else page_at(window, offset)
        if page is None:
            return
        _, _, _, header_size, _, body_size = page
        body = offset + header_size
        take = min(body_size, size)
        yield view[body : body + take] if body + take <= len(head) else window.view(body, take)
        size -= body_size
        offset = body + body_size


def tail_bodies(window: FileWindow, start: int, end: int, size: int) -> Iterator[memoryview]:
    """The last `size` body bytes of the pages that lie whole in the cached tail."""
    base, buffer = window.tail_start, window.tail
    view = memoryview(buffer)
    first = max(start, end - size - size // 8 - 8192, base) - base
    position = buffer.find(b"OggS", first)
    while position >= 0:
        chain = _bodies_in(buffer, position, end - base)
        if chain is not None:
            bodies, total = chain
            skip = total - size  # body bytes before the last `size`
            for body_start, body_end in bodies:
                if skip >= body_end - body_start:
                    skip -= body_end - body_start
                    continue
                yield view[body_start + max(skip, 0) : body_end]
                skip = 0
            return
        position = buffer.find(b"OggS", position + 1)
    yield view[max(first, end - base - size) : end - base]


def _bodies_in(buffer: bytes, position: int, stop: int) -> tuple[list[tuple[int, int]], int] | None:
    """Body ranges (and their total size) of a chain of whole pages from `position` to
    `stop`, if the bytes there are one."""
    bodies = []
    total = 0
    while position < stop:
        page = parse(buffer, position)
        if page is None:
            return None
        _, _, _, header_size, _, body_size = page
        body_start = position + header_size
        position = body_start + body_size
        if position > stop:
            return None
        bodies.append((body_start, position))
        total += body_size
    return bodies, total


def stream_bodies(fileobj: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """Every page body from `start`, read sequentially (for the full audio hash)."""
    fileobj.seek(start)
    offset = start
    while offset < end:
        header = fileobj.read(27)
        if len(header) < 27:
            return
        header += fileobj.read(header[26])
        page = parse(header, 0)
        if page is None:
            return
        _, _, _, header_size, _, body_size = page
        body = fileobj.read(body_size)
        yield body
        offset += header_size + len(body)
