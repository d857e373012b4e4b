"""Where each format keeps its audio: the payload's byte ranges, tags left out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .mp4.atoms import top_atoms
from .ogg import pages as ogg_pages
from .riff import top_chunks
from .sniff import ASF_DATA_GUID, ASF_HEADER_GUID
from .window import FileWindow

__all__ = [
    "OGG_FORMATS",
    "Payload",
    "declared_data",
    "id3v2_size",
    "locate_in",
    "skip_id3v2",
    "strip_trailing_tags",
]

OGG_FORMATS = ("ogg", "opus")


@dataclass(frozen=True, slots=True)
class Payload:
    """Where a file's audio is: byte ranges, and whether they are Ogg pages."""

    ranges: tuple[tuple[int, int], ...]
    ogg_pages: bool = False

    @property
    def length(self) -> int:
        return sum(end - start for start, end in self.ranges)


def locate_in(window: FileWindow, file_format: str) -> Payload:
    """The payload of a file whose format the reader named `file_format`; a file whose
    container cannot be walked is treated as a raw stream (tags at either end cut off)."""
    size = window.size
    found: tuple[tuple[int, int], ...] | None = None
    if file_format in ("wav", "aiff"):
        wanted = b"data" if file_format == "wav" else b"SSND"
        chunk = next((c for c in top_chunks(window) if c[0] == wanted), None)
        found = ((chunk[1], chunk[1] + chunk[2]),) if chunk else None
    elif file_format == "flac":
        frames = _flac_frames(window, skip_id3v2(window, 0))
        found = ((frames, strip_trailing_tags(window, frames, size)),) if frames else None
    elif file_format in OGG_FORMATS:
        audio_start = ogg_pages.audio_start(window)
        if audio_start is None:
            return Payload(((0, size),))
        return Payload(((audio_start, size),), ogg_pages=True)
    elif file_format == "m4a":
        found = _mp4_data(window) or None
    elif file_format in _SIMPLE_CONTAINERS:
        data = declared_data(window, file_format)
        found = ((data[0], min(data[1], size)),) if data else None
    if found is not None:
        return Payload(found)
    start = skip_id3v2(window, 0)
    return Payload(((start, max(start, strip_trailing_tags(window, start, size))),))


# -- tags around raw streams ------------------------------------------------------------------


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


# -- containers -------------------------------------------------------------------------------


def _flac_frames(window: FileWindow, start: int) -> int | None:
    """Offset of the first FLAC frame (after the last metadata block)."""
    if window.read(start, 4) != b"fLaC":
        return None
    offset = start + 4
    while offset + 4 <= window.size:
        header = window.read(offset, 4)
        offset += 4 + int.from_bytes(header[1:4], "big")
        if header[0] & 0x80:
            return min(offset, window.size)
    return None


def _mp4_data(window: FileWindow) -> tuple[tuple[int, int], ...]:
    """Data ranges of the top-level `mdat` atoms, from the walk the file's other readers
    share: it stops at an invalid size, as this does, and also at a 64-bit size below 16."""
    walked = top_atoms(window)
    if walked.cut:  # a walk of countless atoms: this one goes on
        return tuple(_mp4_atoms(window, b"mdat"))
    ranges = []
    for kind, offset, header_size, end in walked.atoms:
        if end - offset < header_size:
            break
        if kind == b"mdat":
            ranges.append((offset + header_size, min(end, window.size)))
    return tuple(ranges)


def _mp4_atoms(window: FileWindow, wanted: bytes) -> Iterator[tuple[int, int]]:
    """Data ranges of the top-level atoms named `wanted`."""
    offset, file_size = 0, window.size
    while offset + 8 <= file_size:
        header = window.read(offset, 16)
        size, kind, header_size = int.from_bytes(header[:4], "big"), header[4:8], 8
        if size == 1 and len(header) == 16:
            size, header_size = int.from_bytes(header[8:16], "big"), 16
        elif size == 0:
            size = file_size - offset
        if size < header_size:
            return
        if kind == wanted:
            yield offset + header_size, min(offset + size, file_size)
        offset += size


def declared_data(window: FileWindow, file_format: str) -> tuple[int, int] | None:
    """Where a WMA file's data object, or a DSF or DSDIFF file's sound data, starts and
    where its size says it ends (past the end of a file cut short)."""
    reader = _SIMPLE_CONTAINERS.get(file_format)
    return reader(window) if reader is not None else None


def _asf_data(window: FileWindow) -> tuple[int, int] | None:
    header = window.read(0, 24)
    if len(header) < 24 or header[:16] != ASF_HEADER_GUID:
        return None
    offset = int.from_bytes(header[16:24], "little")
    while offset + 24 <= window.size:
        obj = window.read(offset, 24)
        size = int.from_bytes(obj[16:24], "little")
        if obj[:16] == ASF_DATA_GUID and size >= 50:
            return offset + 50, offset + size
        if size < 24:
            return None
        offset += size
    return None


def _dsf_data(window: FileWindow) -> tuple[int, int] | None:
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


_SIMPLE_CONTAINERS = {"wma": _asf_data, "dsf": _dsf_data, "dff": _dsdiff_data}
