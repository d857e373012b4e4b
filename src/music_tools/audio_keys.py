"""Tag-insensitive identity keys: where each format keeps its audio, and hashes of it.

The *payload* of a file is its audio bytes without tags: MP3 and other raw streams without
ID3v2 at the start and ID3v1, ID3v1-extended, APEv2 and Lyrics3 at the end; FLAC frames
after the metadata blocks; MP4 `mdat`; WAV `data`; AIFF `SSND`; ASF's data object; DSF and
DSDIFF sound data; for Ogg, the bodies of the pages after the header packets (page headers
carry sequence numbers and CRCs that a re-tag rewrites, so they are left out). An Ogg file
whose header packets cannot be told apart from audio (several multiplexed streams, an
unknown codec) uses the whole file: sound, but then any re-tag changes its keys.

- `audio_key`: xxh3-128 of (format, payload length, first 64 KiB, last 64 KiB of payload),
  prefixed `xxh3:`; a FLAC file whose STREAMINFO carries a non-zero MD5 of its decoded audio
  uses that, prefixed `md5:`. Reads about 130 KiB whatever the file's size.
- `audio_hash`: xxh3-128 of the whole payload; `file_content_hash`: of the whole file.
  Both stream, reading everything, so they are computed only on request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import xxhash

from .riff import find_chunk

__all__ = [
    "KEY_BYTES",
    "Payload",
    "audio_hash",
    "audio_key",
    "file_content_hash",
    "locate",
    "read_keys",
]

KEY_BYTES = 64 * 1024
_WINDOW = KEY_BYTES + 4 * 1024  # the key bytes and the tags or chunk headers beside them
_OGG_WINDOW = KEY_BYTES + 16 * 1024  # the key's page bodies and their page headers
_STREAM_BYTES = 1024 * 1024
_OGG = ("ogg", "opus")
_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")


@dataclass(frozen=True, slots=True)
class Payload:
    """Where a file's audio is: byte ranges, and whether they are Ogg pages."""

    ranges: tuple[tuple[int, int], ...]
    ogg_pages: bool = False

    @property
    def length(self) -> int:
        return sum(end - start for start, end in self.ranges)


class _Window:
    """A file read through two cached windows of `span` bytes, its first and its last.

    Nearly every read the keys need (tag headers, chunk tables, the key bytes themselves)
    falls in one of them, so a file costs two system calls and no copies of the key bytes.
    """

    __slots__ = ("_head", "_tail", "fileobj", "size", "span", "tail_start")

    def __init__(self, fileobj: BinaryIO, size: int, span: int = _WINDOW) -> None:
        self.fileobj = fileobj
        self.size = size
        self.span = span
        self.tail_start = max(0, size - span)
        self._head: bytes | None = None
        self._tail: bytes | None = None

    @property
    def head(self) -> bytes:
        """The cached first `span` bytes of the file."""
        if self._head is None:
            self._head = _read_at(self.fileobj, 0, min(self.span, self.size))
        return self._head

    @property
    def tail(self) -> bytes:
        """The cached bytes from `tail_start` to the end (the head, for a small file)."""
        if self.tail_start == 0:
            return self.head
        if self._tail is None:
            self._tail = _read_at(self.fileobj, self.tail_start, self.span)
        return self._tail

    def view(self, offset: int, length: int) -> memoryview:
        end = min(offset + max(length, 0), self.size)
        if offset < 0 or end <= offset:
            return memoryview(b"")
        if end <= self.span:
            return memoryview(self.head)[offset:end]
        if offset >= self.tail_start:
            return memoryview(self.tail)[offset - self.tail_start : end - self.tail_start]
        return memoryview(_read_at(self.fileobj, offset, end - offset))

    def read(self, offset: int, length: int) -> bytes:
        return self.view(offset, length).tobytes()


def read_keys(
    fileobj: BinaryIO,
    file_format: str,
    file_size: int,
    flac_md5: int | None = None,
    with_payload: bool = False,
) -> tuple[Payload | None, str]:
    """The audio_key of a file whose format tags.py named `file_format`, and its payload.

    A FLAC file with a STREAMINFO MD5 needs no reading at all for its key; its payload is
    located only when `with_payload` asks for it (to compute the full audio hash).
    """
    if flac_md5 and not with_payload:
        return None, _md5_key(flac_md5)
    window = _Window(fileobj, file_size, _OGG_WINDOW if file_format in _OGG else _WINDOW)
    payload = _locate(window, file_format)
    return payload, _audio_key(window, file_format, payload, flac_md5)


def _md5_key(flac_md5: int) -> str:
    return f"md5:{flac_md5:032x}"


def locate(fileobj: BinaryIO, file_format: str, file_size: int) -> Payload:
    return _locate(_Window(fileobj, file_size, _OGG_WINDOW), file_format)


def audio_key(
    fileobj: BinaryIO, file_format: str, payload: Payload, flac_md5: int | None = None
) -> str:
    fileobj.seek(0, 2)
    window = _Window(fileobj, fileobj.tell(), _OGG_WINDOW)
    return _audio_key(window, file_format, payload, flac_md5)


def _locate(window: _Window, file_format: str) -> Payload:
    size = window.size
    found: tuple[tuple[int, int], ...] | None = None
    if file_format in ("wav", "aiff"):
        chunk = find_chunk(window.fileobj, size, b"data" if file_format == "wav" else b"SSND")
        found = ((chunk[1], chunk[1] + chunk[2]),) if chunk else None
    elif file_format == "flac":
        frames = _flac_frames(window, _skip_id3v2(window, 0))
        found = ((frames, _strip_trailing_tags(window, frames, size)),) if frames else None
    elif file_format in _OGG:
        audio_start = _ogg_audio_start(window)
        if audio_start is None:
            return Payload(((0, size),))
        return Payload(((audio_start, size),), ogg_pages=True)
    elif file_format == "m4a":
        found = tuple(_mp4_atoms(window, b"mdat")) or None
    elif file_format in _SIMPLE_CONTAINERS:
        data = _SIMPLE_CONTAINERS[file_format](window)
        found = (data,) if data else None
    if found is not None:
        return Payload(found)
    start = _skip_id3v2(window, 0)
    return Payload(((start, max(start, _strip_trailing_tags(window, start, size))),))


def _audio_key(window: _Window, file_format: str, payload: Payload, flac_md5: int | None) -> str:
    if flac_md5:
        return _md5_key(flac_md5)
    length = payload.length
    digest = xxhash.xxh3_128()
    digest.update(f"{file_format}\x00{length}\x00".encode())
    if payload.ogg_pages:
        start, end = payload.ranges[0]
        _ogg_bodies_head(window, start, end, KEY_BYTES, digest)
        _ogg_bodies_tail(window, start, end, KEY_BYTES, digest)
    else:
        take = min(KEY_BYTES, length)
        for part in _payload_views(window, payload, 0, take):
            digest.update(part)
        for part in _payload_views(window, payload, length - take, take):
            digest.update(part)
    return f"xxh3:{digest.hexdigest()}"


def audio_hash(fileobj: BinaryIO, payload: Payload) -> str:
    digest = xxhash.xxh3_128()
    if payload.ogg_pages:
        start, end = payload.ranges[0]
        for body in _ogg_stream_bodies(fileobj, start, end):
            digest.update(body)
    else:
        for start, end in payload.ranges:
            for block in _stream(fileobj, start, end):
                digest.update(block)
    return digest.hexdigest()


def file_content_hash(fileobj: BinaryIO, file_size: int) -> str:
    digest = xxhash.xxh3_128()
    for block in _stream(fileobj, 0, file_size):
        digest.update(block)
    return digest.hexdigest()


# -- reading -------------------------------------------------------------------------------


def _stream(fileobj: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    fileobj.seek(start)
    remaining = end - start
    while remaining > 0:
        block = fileobj.read(min(_STREAM_BYTES, remaining))
        if not block:
            return
        remaining -= len(block)
        yield block


def _read_at(fileobj: BinaryIO, offset: int, size: int) -> bytes:
    """`size` bytes at `offset` in one system call (the file's own position is unused)."""
    return os.pread(fileobj.fileno(), size, offset)


def _payload_views(
    window: _Window, payload: Payload, offset: int, size: int
) -> Iterator[memoryview]:
    """`size` bytes of the payload from payload offset `offset`, across its ranges."""
    for start, end in payload.ranges:
        length = end - start
        if offset >= length:
            offset -= length
            continue
        take = min(size, length - offset)
        yield window.view(start + offset, take)
        size -= take
        offset = 0
        if size <= 0:
            return


# -- tags around raw streams ------------------------------------------------------------------


def _skip_id3v2(window: _Window, offset: int) -> int:
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


def _strip_trailing_tags(window: _Window, start: int, end: int) -> int:
    """The end of the audio once ID3v1(+extended), APEv2 and Lyrics3 are cut off."""
    while end > start:
        new_end = _trailing_tag_start(window, start, end)
        if new_end == end:
            return end
        end = new_end
    return start


def _trailing_tag_start(window: _Window, start: int, end: int) -> int:
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


def _flac_frames(window: _Window, start: int) -> int | None:
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


def _mp4_atoms(window: _Window, wanted: bytes) -> Iterator[tuple[int, int]]:
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


def _asf_data(window: _Window) -> tuple[int, int] | None:
    header = window.read(0, 24)
    if len(header) < 24 or header[:16] != _ASF_HEADER:
        return None
    offset = int.from_bytes(header[16:24], "little")
    while offset + 24 <= window.size:
        obj = window.read(offset, 24)
        size = int.from_bytes(obj[16:24], "little")
        if obj[:16] == _ASF_DATA and size >= 50:
            return offset + 50, min(offset + size, window.size)
        if size < 24:
            return None
        offset += size
    return None


def _dsf_data(window: _Window) -> tuple[int, int] | None:
    offset = 0
    while offset + 12 <= window.size:
        chunk = window.read(offset, 12)
        size = int.from_bytes(chunk[4:12], "little")
        if chunk[:4] == b"data" and size >= 12:
            return offset + 12, min(offset + size, window.size)
        if size < 12:
            return None
        offset += size
    return None


def _dsdiff_data(window: _Window) -> tuple[int, int] | None:
    head = window.read(0, 16)
    if head[:4] != b"FRM8" or head[12:16] != b"DSD ":
        return None
    offset = 16
    while offset + 12 <= window.size:
        chunk = window.read(offset, 12)
        size = int.from_bytes(chunk[4:12], "big")
        if chunk[:4] in (b"DSD ", b"DST "):
            return offset + 12, min(offset + 12 + size, window.size)
        offset += 12 + size + (size & 1)
    return None


_SIMPLE_CONTAINERS = {"wma": _asf_data, "dsf": _dsf_data, "dff": _dsdiff_data}


# -- Ogg ----------------------------------------------------------------------------------------


def _ogg_page(window: _Window, offset: int) -> tuple[int, int, bytes, int] | None:
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


def _ogg_bodies(window: _Window, start: int, end: int) -> Iterator[memoryview]:
    offset = start
    while offset < end:
        page = _ogg_page(window, offset)
        if page is None:
            return
        _, header_size, _, body_size = page
        yield window.view(offset + header_size, body_size)
        offset += header_size + body_size


def _header_packets(first_packet: bytes) -> int | None:
    if first_packet.startswith(b"\x01vorbis"):
        return 3
    if first_packet.startswith(b"OpusHead"):
        return 2
    if first_packet.startswith(b"Speex   ") and len(first_packet) >= 72:
        return 2 + int.from_bytes(first_packet[68:72], "little")
    if first_packet.startswith(b"\x7fFLAC") and len(first_packet) >= 9:
        return 1 + int.from_bytes(first_packet[7:9], "big")
    return None


def _ogg_audio_start(window: _Window) -> int | None:
    """Offset of the first page after the header packets, or None when unsure."""
    offset, serial, wanted, finished = 0, None, 0, 0
    while offset < window.size:
        page = _ogg_page(window, offset)
        if page is None:
            return None
        page_serial, header_size, lacing, body_size = page
        if serial is None:
            serial = page_serial
            found = _header_packets(window.read(offset + header_size, min(body_size, 80)))
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


def _ogg_bodies_head(
    window: _Window, start: int, end: int, size: int, digest: xxhash.xxh3_128
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


def _ogg_bodies_tail(
    window: _Window, start: int, end: int, size: int, digest: xxhash.xxh3_128
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


def _ogg_stream_bodies(fileobj: BinaryIO, start: int, end: int) -> Iterator[bytes]:
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
