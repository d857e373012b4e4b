"""The lean reader of Ogg Vorbis and Opus: headers and comments.

mutagen parses these through page objects and then scans the end of the file again for the
stream length; this reads the header packets and the last page's granule position from the
cached head and tail windows that the audio keys then reuse, so an Ogg file's head is read
once. Anything it does not fully understand (chained or multiplexed streams, odd lacing, a
page it cannot find) returns None, and the caller falls back to mutagen, so it can be fast
without being the last word.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from ..info import FastInfo
from ..window import FileWindow
from . import pages as ogg_pages

__all__ = ["read_ogg"]

_GROW_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 16 * 1024 * 1024  # comment packets with large pictures, at most this


def read_ogg(window: FileWindow, layout: object) -> FastInfo | None:
    """Headers, comments and length of an Ogg Vorbis or Opus file, or None if unsure.

    Reads through `window`, the same cached head and tail the audio keys use next.
    """
    size = window.size
    packets = _header_packets(window)
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
    granule = _last_granule(window, serial)
    if granule is None or rate <= 0:
        return None
    length = max(0.0, (granule - pre_skip) / rate)
    bitrate = nominal if nominal > 0 else (round(size * 8 / length) if length else 0)
    file_format = "ogg" if codec == "vorbis" else codec
    return FastInfo(file_format, codec, False, length, rate, channels, 0, bitrate, vorbis=comments)


def _header_packets(window: FileWindow) -> tuple[bytes, bytes, int] | None:
    """The first two packets of the first logical stream, and its serial number."""
    buffer, size = window.head, window.size
    packets: list[bytes] = []
    partial = bytearray()
    offset, serial = 0, None
    while len(packets) < 2:
        page = ogg_pages.parse(buffer, offset)
        if page is None:
            if offset + ogg_pages.MAX_HEADER <= len(buffer):
                return None  # not a page where one should start
            missing = _GROW_BYTES
        else:
            page_serial, flags, _, header_size, lacing, body_size = page
            missing = offset + header_size + body_size - len(buffer)
        if missing > 0:
            grown = _extend(window, buffer, missing)
            if len(grown) == len(buffer) or len(grown) > min(size, _MAX_HEADER_BYTES):
                return None
            buffer = grown
            continue
        if serial is None:
            serial = page_serial
        elif page_serial != serial or flags & ogg_pages.BEGIN_OF_STREAM:
            return None  # another stream's page among the headers: leave it to mutagen
        position = offset + header_size
        for value in lacing:
            partial += buffer[position : position + value]
            position += value
            if value < 255:
                packets.append(bytes(partial))
                partial.clear()
        offset = position
    assert serial is not None
    return packets[0], packets[1], serial


def _extend(window: FileWindow, buffer: bytes, wanted: int) -> bytes:
    wanted = max(0, min(max(wanted, _GROW_BYTES), window.size - len(buffer)))
    return buffer + os.pread(window.fileobj.fileno(), wanted, len(buffer))


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
        return _read_comments(packet, start, _whole_u32)
    except struct.error:  # the packet ends inside a length: read as ever, short bytes and all
        return _read_comments(packet, start, _cut_u32)


def _read_comments(
    packet: bytes, start: int, u32: Callable[[bytes, int], int]
) -> dict[str, list[str]] | None:
    """The comments, each length read by `u32`: whole (`_whole_u32`, which raises where the
    packet ends inside one), or from the bytes there are (`_cut_u32`, the reader's rule before
    lengths were unpacked whole, kept for such packets)."""
    end, keys = len(packet), _KEYS  # bound once: a loop per comment
    vendor = u32(packet, start)
    position = start + 4 + vendor
    count = u32(packet, position)
    position += 4
    comments: dict[str, list[str]] = {}
    for _ in range(count):
        length = u32(packet, position)
        position += 4
        if length > end - position:
            return None
        raw = packet[position : position + length]
        position += length
        key, sep, value = raw.partition(b"=")
        if not sep:
            continue
        text_key = keys.get(key)
        if text_key is None:
            text_key = _text_key(key)
        found = comments.get(text_key)
        if found is None:
            comments[text_key] = [value.decode("utf-8", "replace")]
        else:
            found.append(value.decode("utf-8", "replace"))
    return comments


def _whole_u32(data: bytes, at: int) -> int:
    return int(_U32.unpack_from(data, at)[0])


def _cut_u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _text_key(key: bytes) -> str:
    """A comment key as read here, remembered: a library repeats a few dozen on every file."""
    if len(_KEYS) >= _KEYS_REMEMBERED:
        _KEYS.clear()
    text = _KEYS[key] = key.decode("ascii", "replace").lower()
    return text


_U32 = struct.Struct("<I")
_KEYS: dict[bytes, str] = {}
_KEYS_REMEMBERED = 4096


def _last_granule(window: FileWindow, serial: int) -> int | None:
    """The granule position of the last page of `serial`: the stream's length in samples."""
    tail = window.tail
    position = tail.rfind(b"OggS")
    while position >= 0:
        page = ogg_pages.parse(tail, position)
        if page is not None:
            page_serial, _, granule, _, _, _ = page
            if page_serial == serial and granule >= 0:
                return granule
        position = tail.rfind(b"OggS", 0, position)
    return None
