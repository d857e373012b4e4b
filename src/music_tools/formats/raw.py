"""Audio as a run of bytes between tags: ID3v2 at the start; ID3v1 (and its extended tag),
APEv2 and Lyrics3 at the end. The payload of MP3 and of every format without a container
to walk, and the fallback for a container that cannot be walked; also the payload and the
damage check of a container that declares one data range (ASF, DSF, DSDIFF).
"""

from __future__ import annotations

from ..util import human_size
from .container import Container, Payload
from .window import FileWindow

__all__ = [
    "RAW",
    "declared_payload",
    "id3v2_end",
    "id3v2_size",
    "missing_data",
    "no_damage",
    "nothing",
    "raw_payload",
    "skip_id3v2",
    "strip_trailing_tags",
]


def nothing(window: FileWindow) -> None:
    """The walk of a format with nothing to walk."""
    return None


def no_damage(window: FileWindow, layout: object) -> None:
    """The damage check of a format whose headers declare nothing to check."""
    return None


def id3v2_end(window: FileWindow, layout: object) -> int:
    """The bytes of tags mutagen reads into memory: the ID3v2 tags at the start."""
    return skip_id3v2(window, 0)


def raw_payload(window: FileWindow, layout: object) -> Payload:
    """The file without the tags at its start and end."""
    start = skip_id3v2(window, 0)
    return Payload(((start, max(start, strip_trailing_tags(window, start, window.size))),))


RAW = Container(nothing, no_damage, raw_payload, id3v2_end)


def id3v2_size(header: bytes) -> int:
    """The bytes an ID3v2 tag takes, its 10-byte header included, from that header, sized
    as mutagen's lenient readers size it (the low seven bits of each size byte)."""
    return 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(header[6:10]))


def skip_id3v2(window: FileWindow, offset: int) -> int:
    """The offset after any ID3v2 tags that start at `offset`."""
    while True:
        header = window.read(offset, 10)
        if len(header) < 10 or header[:3] != b"ID3" or header[3] == 0xFF:
            return offset
        size_bytes = header[6:10]
        if any(b & 0x80 for b in size_bytes):
            return offset
        size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
        offset += 10 + size + (10 if header[5] & 0x10 else 0)


def strip_trailing_tags(window: FileWindow, start: int, end: int) -> int:
    """The end of the audio once ID3v1(+extended), APEv2 and Lyrics3 are cut off."""
    while end > start:
        new_end = _trailing_tag_start(window, start, end)
        if new_end == end:
            return end
        end = new_end
    return start


def _trailing_tag_start(window: FileWindow, start: int, end: int) -> int:
    if end - start >= 128 and window.read(end - 128, 3) == b"TAG":
        end -= 128
        if end - start >= 227 and window.read(end - 227, 4) == b"TAG+":
            end -= 227
        return end
    if end - start >= 32:
        footer = window.read(end - 32, 32)
        if footer[:8] == b"APETAGEX":
            size = int.from_bytes(footer[12:16], "little")
            flags = int.from_bytes(footer[20:24], "little")
            total = size + (32 if flags & 0x80000000 else 0)
            if 32 <= total <= end - start:
                return end - total
        if footer[-9:] == b"LYRICS200" and footer[-15:-9].isdigit():
            total = int(footer[-15:-9]) + 15
            if total <= end - start and window.read(end - total, 11) == b"LYRICSBEGIN":
                return end - total
        if footer[-9:] == b"LYRICSEND":
            span = min(5100 + 20, end - start)
            found = window.read(end - span, span).rfind(b"LYRICSBEGIN")
            if found >= 0:
                return end - span + found
    return end


# -- a container that declares one data range ------------------------------------------------


def declared_payload(window: FileWindow, data: tuple[int, int] | None) -> Payload:
    """The data range a container declares (`data`: where it starts, where its size says it
    ends), cut at the end of the file; the raw stream when the container declares none."""
    if data is None:
        return raw_payload(window, None)
    return Payload(((data[0], min(data[1], window.size)),))


def missing_data(window: FileWindow, data: tuple[int, int] | None, name: str) -> str | None:
    """Why a file whose data range `data` runs past its end is damaged (None: it does not)."""
    if data is None or data[1] <= window.size:
        return None
    return f"damaged {name}: {human_size(data[1] - window.size)} of audio missing (truncated?)"
