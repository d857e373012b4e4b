"""Tag-insensitive identity keys: hashes of a file's audio payload (located by its format's
module in `formats`, the reader handing it here).

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

from collections.abc import Iterator
from typing import BinaryIO

import xxhash

from ..formats.container import Payload
from ..formats.ogg import pages as ogg_pages
from ..formats.window import KEY_BYTES, FileWindow

__all__ = [
    "KEY_BYTES",
    "Payload",
    "audio_hash",
    "audio_key",
    "file_content_hash",
    "md5_key",
]

_STREAM_BYTES = 1024 * 1024


def md5_key(flac_md5: int) -> str:
    """The audio_key of a FLAC file whose STREAMINFO carries the MD5 of its decoded audio."""
    return f"md5:{flac_md5:032x}"


def audio_key(window: FileWindow, file_format: str, payload: Payload) -> str:
    """The audio_key of the file in `window`, whose format the reader named `file_format`:
    the payload's first and last `KEY_BYTES`, read through the window."""
    length = payload.length
    digest = xxhash.xxh3_128()
    digest.update(f"{file_format}\x00{length}\x00".encode())
    if payload.ogg_pages:
        start, end = payload.ranges[0]
        for part in ogg_pages.head_bodies(window, start, end, KEY_BYTES):
            digest.update(part)
        for part in ogg_pages.tail_bodies(window, start, end, KEY_BYTES):
            digest.update(part)
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
        for body in ogg_pages.stream_bodies(fileobj, start, end):
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


def _payload_views(
    window: FileWindow, payload: Payload, offset: int, size: int
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
