"""A fast reader for Ogg Vorbis and Opus headers and comments.

mutagen parses these through page objects and then scans the end of the file again for the
stream length; this reads the header packets from one buffer and the last page's granule
position from one small read of the tail. Anything it does not fully understand (chained or
multiplexed streams, odd lacing, a page it cannot find) returns None, and the caller falls
back to mutagen, so it can be fast without being the last word.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO

__all__ = ["OggInfo", "read_ogg"]

_HEAD_BYTES = 64 * 1024
_TAIL_BYTES = 16 * 1024
_MAX_HEADER_BYTES = 16 * 1024 * 1024  # comment packets with large pictures, at most this


@dataclass(slots=True)
class OggInfo:
    codec: str  # "vorbis" or "opus"
    channels: int
    sample_rate: int
    length: float
    bitrate: int  # bit/s
    comments: dict[str, list[str]] = field(default_factory=dict)


def read_ogg(fileobj: BinaryIO, size: int) -> OggInfo | None:
    """Headers, comments and length of an Ogg Vorbis or Opus file, or None if unsure."""
    fd = fileobj.fileno()
    buffer = os.pread(fd, min(size, _HEAD_BYTES), 0)
    packets = _header_packets(fd, buffer, size)
    if packets is None:
        return None
    ident, comment, serial = packets
    if ident.startswith(b"\x01vorbis") and comment.startswith(b"\x03vorbis"):
        info = _vorbis(ident)
        comments = _comments(comment, 7)
    elif ident.startswith(b"OpusHead") and comment.startswith(b"OpusTags"):
        info = _opus(ident)
        comments = _comments(comment, 8)
    else:
        return None
    if info is None or comments is None:
        return None
    codec, channels, rate, nominal, pre_skip = info
    granule = _last_granule(fd, size, serial)
    if granule is None or rate <= 0:
        return None
    length = max(0.0, (granule - pre_skip) / rate)
    bitrate = nominal if nominal > 0 else (round(size * 8 / length) if length else 0)
    return OggInfo(codec, channels, rate, length, bitrate, comments)


def _header_packets(fd: int, buffer: bytes, size: int) -> tuple[bytes, bytes, int] | None:
    """The first two packets of the first logical stream, and its serial number."""
    packets: list[bytes] = []
    partial = bytearray()
    offset, serial = 0, None
    while len(packets) < 2:
        if offset + 27 > len(buffer) and len(buffer) < min(size, _MAX_HEADER_BYTES):
            buffer = _extend(fd, buffer, _HEAD_BYTES, size)
        if not buffer.startswith(b"OggS", offset) or offset + 27 > len(buffer):
            return None
        segments = buffer[offset + 26]
        body = offset + 27 + segments
        lacing = buffer[offset + 27 : body]
        page_serial = int.from_bytes(buffer[offset + 14 : offset + 18], "little")
        if serial is None:
            serial = page_serial
        elif page_serial != serial or buffer[offset + 5] & 0x02:
            return None  # another stream's page among the headers: leave it to mutagen
        end = body + sum(lacing)
        if len(lacing) < segments or end > len(buffer):
            grown = _extend(fd, buffer, max(end - len(buffer), _HEAD_BYTES), size)
            if len(grown) == len(buffer) or len(grown) >= _MAX_HEADER_BYTES:
                return None
            buffer = grown
            continue
        position = body
        for value in lacing:
            partial += buffer[position : position + value]
            position += value
            if value < 255:
                packets.append(bytes(partial))
                partial.clear()
        offset = end
    assert serial is not None
    return packets[0], packets[1], serial


def _extend(fd: int, buffer: bytes, wanted: int, size: int) -> bytes:
    return buffer + os.pread(fd, max(0, min(wanted, size - len(buffer))), len(buffer))


def _vorbis(ident: bytes) -> tuple[str, int, int, int, int] | None:
    if len(ident) < 30:
        return None
    channels = ident[11]
    rate = int.from_bytes(ident[12:16], "little")
    maximum, nominal, minimum = (
        int.from_bytes(ident[i : i + 4], "little", signed=True) for i in (16, 20, 24)
    )
    if nominal <= 0:
        nominal = (maximum + minimum) // 2 if maximum > 0 and minimum > 0 else max(maximum, 0)
    return "vorbis", channels, rate, nominal, 0


def _opus(ident: bytes) -> tuple[str, int, int, int, int] | None:
    if len(ident) < 19:
        return None
    channels = ident[9]
    pre_skip = int.from_bytes(ident[10:12], "little")
    return "opus", channels, 48_000, 0, pre_skip


def _comments(packet: bytes, start: int) -> dict[str, list[str]] | None:
    """Vorbis-comment key/value pairs (keys lower-cased) from a comment packet."""
    try:
        vendor = int.from_bytes(packet[start : start + 4], "little")
        position = start + 4 + vendor
        count = int.from_bytes(packet[position : position + 4], "little")
        position += 4
        comments: dict[str, list[str]] = {}
        for _ in range(count):
            length = int.from_bytes(packet[position : position + 4], "little")
            position += 4
            if length > len(packet) - position:
                return None
            raw = packet[position : position + length]
            position += length
            key, sep, value = raw.partition(b"=")
            if not sep:
                continue
            text_key = key.decode("ascii", "replace").lower()
            comments.setdefault(text_key, []).append(value.decode("utf-8", "replace"))
    except (IndexError, ValueError):
        return None
    return comments


def _last_granule(fd: int, size: int, serial: int) -> int | None:
    """The granule position of the last page of `serial`: the stream's length in samples."""
    tail_start = max(0, size - _TAIL_BYTES)
    tail = os.pread(fd, size - tail_start, tail_start)
    position = tail.rfind(b"OggS")
    while position >= 0:
        if position + 27 <= len(tail) and tail[position + 4] == 0:
            page_serial = int.from_bytes(tail[position + 14 : position + 18], "little")
            granule = int.from_bytes(tail[position + 6 : position + 14], "little", signed=True)
            if page_serial == serial and granule >= 0:
                return granule
        position = tail.rfind(b"OggS", 0, position)
    return None
