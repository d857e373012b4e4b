"""Ogg pages: the one parser of their headers.

Reading uses it to gather the header packets (codec setup and comments) and the last
granule position (the length); the audio keys use it to find where the audio starts and to
walk page bodies without the page headers (their sequence numbers and CRCs change when a
file is re-tagged).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from .window import FileWindow

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


class Page(NamedTuple):
    serial: int
    flags: int
    granule: int
    header_size: int
    lacing: bytes
    body_size: int


def parse(buffer: bytes, offset: int) -> Page | None:
    """The page whose header starts at `offset` of `buffer`, if all of the header is there."""
    if not buffer.startswith(b"OggS", offset) or offset + 27 > len(buffer) or buffer[offset + 4]:
        return None
    end = offset + 27 + buffer[offset + 26]
    if end > len(buffer):
        return None
    lacing = buffer[offset + 27 : end]
    return Page(
        int.from_bytes(buffer[offset + 14 : offset + 18], "little"),
        buffer[offset + 5],
        int.from_bytes(buffer[offset + 6 : offset + 14], "little", signed=True),
        end - offset,
        lacing,
        sum(lacing),
    )


def page_at(window: FileWindow, offset: int) -> Page | None:
    head = window.head
    if offset + MAX_HEADER <= len(head):  # the common case: parsed in the cached head
        return parse(head, offset)
    return parse(window.read(offset, MAX_HEADER), 0)


def first_packet(head: bytes) -> bytes:
    """The start of the first packet of a file whose first bytes are `head`."""
    page = parse(head, 0)
    return head[page.header_size :] if page else b""


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
        if serial is None:
            serial = page.serial
            found = codec(window.read(offset + page.header_size, min(page.body_size, 80)))
            if found is None or found[1] is None:
                return None
            wanted = found[1]
        elif page.serial != serial:
            return None  # several logical streams: audio cannot be told apart safely
        lacing = page.lacing
        finished += len(lacing) - lacing.count(255)  # a value under 255 ends a packet
        offset += page.header_size + page.body_size
        if finished >= wanted:
            return offset if finished == wanted and lacing[-1] < 255 else None
    return None


def head_bodies(window: FileWindow, start: int, end: int, size: int) -> Iterator[memoryview]:
    """The first `size` body bytes of the pages from `start`."""
    offset = start
    while size > 0 and offset < end:
        page = page_at(window, offset)
        if page is None:
            return
        body = offset + page.header_size
        yield window.view(body, min(page.body_size, size))
        size -= page.body_size
        offset = body + page.body_size


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
        body_start = position + page.header_size
        position = body_start + page.body_size
        if position > stop:
            return None
        bodies.append((body_start, position))
        total += page.body_size
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
        body = fileobj.read(page.body_size)
        yield body
        offset += page.header_size + len(body)
