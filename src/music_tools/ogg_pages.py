"""Ogg pages for the audio keys: where the header packets end, and page bodies hashed
without the page headers (their sequence numbers and CRCs change when a file is re-tagged)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import xxhash

from .filewindow import FileWindow

__all__ = ["audio_start", "hash_head_bodies", "hash_tail_bodies", "stream_bodies"]


def _ogg_page(window: FileWindow, offset: int) -> tuple[int, int, bytes, int] | None:
    """(serial, header size, lacing values, body size) of the page at `offset`."""
    head = window.head
    if offset + 282 <= len(head):  # the longest page header lies in the cached head
        if head[offset : offset + 4] != b"OggS" or head[offset + 4] != 0:
            return None
        end = offset + 27 + head[offset + 26]
        lacing = head[offset + 27 : end]
        return (
            int.from_bytes(head[offset + 14 : offset + 18], "little"),
            end - offset,
            lacing,
            sum(lacing),
        )
    header = window.read(offset, 27)
    if len(header) < 27 or header[:4] != b"OggS" or header[4] != 0:
        return None
    lacing = window.read(offset + 27, header[26])
    if len(lacing) < header[26]:
        return None
    return int.from_bytes(header[14:18], "little"), 27 + len(lacing), lacing, sum(lacing)


def _header_packet_count(first_packet: bytes) -> int | None:
    if first_packet.startswith(b"\x01vorbis"):
        return 3
    if first_packet.startswith(b"OpusHead"):
        return 2
    if first_packet.startswith(b"Speex   ") and len(first_packet) >= 72:
        return 2 + int.from_bytes(first_packet[68:72], "little")
    if first_packet.startswith(b"\x7fFLAC") and len(first_packet) >= 9:
        return 1 + int.from_bytes(first_packet[7:9], "big")
    return None


def audio_start(window: FileWindow) -> int | None:
    """Offset of the first page after the header packets, or None when unsure."""
    offset, serial, wanted, finished = 0, None, 0, 0
    while offset < window.size:
        page = _ogg_page(window, offset)
        if page is None:
            return None
        page_serial, header_size, lacing, body_size = page
        if serial is None:
            serial = page_serial
            found = _header_packet_count(window.read(offset + header_size, min(body_size, 80)))
            if found is None:
                return None
            wanted = found
        elif page_serial != serial:
            return None  # several logical streams: audio cannot be told apart safely
        finished += len(lacing) - lacing.count(255)  # a value under 255 ends a packet
        offset += header_size + body_size
        if finished >= wanted:
            return offset if finished == wanted and lacing[-1] < 255 else None
    return None


def hash_head_bodies(
    window: FileWindow, start: int, end: int, size: int, digest: xxhash.xxh3_128
) -> None:
    """Hash the first `size` body bytes of the pages from `start`."""
    head, update = window.head, digest.update
    view = memoryview(head)
    in_place = len(head) - 282  # a page header starting here fits whole in the buffer
    offset = start
    while size > 0 and offset < end:
        if offset <= in_place and head.startswith(b"OggS", offset):
            body = offset + 27 + head[offset + 26]
            length = sum(head[offset + 27 : body])
            if body + length <= len(head):  # parsed in place, the common case
                update(view[body : body + length if length <= size else body + size])
                size -= length
                offset = body + length
                continue
        page = _ogg_page(window, offset)
        if page is None:
            return
        _, header_size, _, length = page
        update(window.view(offset + header_size, min(length, size)))
        size -= length
        offset += header_size + length


def hash_tail_bodies(
    window: FileWindow, start: int, end: int, size: int, digest: xxhash.xxh3_128
) -> None:
    """Hash the last `size` body bytes of the pages that lie whole in the cached tail."""
    base, buffer = window.tail_start, window.tail
    first = max(start, end - size - size // 8 - 8192, base) - base
    position = buffer.find(b"OggS", first)
    while position >= 0:
        chain = _bodies_in(buffer, position, end - base)
        if chain is not None:
            bodies, total = chain
            view, update = memoryview(buffer), digest.update
            skip = total - size  # body bytes before the last `size`
            for body_start, body_end in bodies:
                if skip >= body_end - body_start:
                    skip -= body_end - body_start
                    continue
                update(
                    view[body_start + skip : body_end] if skip > 0 else view[body_start:body_end]
                )
                skip = 0
            return
        position = buffer.find(b"OggS", position + 1)
    digest.update(memoryview(buffer)[max(first, end - base - size) : end - base])


def _bodies_in(buffer: bytes, position: int, stop: int) -> tuple[list[tuple[int, int]], int] | None:
    """Body ranges (and their total size) of a chain of whole pages from `position` to
    `stop`, if the bytes there are one."""
    bodies = []
    total = 0
    while position < stop:
        if not buffer.startswith(b"OggS", position) or position + 27 > stop:
            return None
        body_start = position + 27 + buffer[position + 26]
        length = sum(buffer[position + 27 : body_start])
        position = body_start + length
        if position > stop:
            return None
        bodies.append((body_start, position))
        total += length
    return bodies, total


def stream_bodies(fileobj: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """Every page body from `start`, read sequentially (for the full audio hash)."""
    fileobj.seek(start)
    offset = start
    while offset < end:
        header = fileobj.read(27)
        if len(header) < 27 or header[:4] != b"OggS":
            return
        lacing = fileobj.read(header[26])
        body = fileobj.read(sum(lacing))
        yield body
        offset += 27 + len(lacing) + len(body)
