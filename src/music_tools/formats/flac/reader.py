"""FLAC: STREAMINFO, the first Vorbis comment block, and the end of the metadata blocks.

Follows mutagen.flac: an ID3v2 tag before "fLaC" is skipped, the first STREAMINFO and the first
Vorbis comment block count, and the bitrate is the bytes after the metadata blocks over the
length. Vorbis comment and picture blocks are sized by their contents (some writers get the
block size wrong); a block whose contents disagree with its size goes to mutagen.
"""

from __future__ import annotations

import re
import struct

from ..info import MAX_PARTS, TAG_TEXT_CAP, FastInfo, HeldBytes
from ..raw import id3v2_size
from ..window import FileWindow
from .blocks import FlacBlocks

__all__ = ["parse_vorbis_comment", "read_flac"]

_STREAMINFO, _SEEKTABLE, _VORBIS_COMMENT, _CUESHEET, _PICTURE = 0, 3, 4, 5, 6
_PEEK_BYTES = 4 * 1024
_U32 = struct.Struct("<I")
_VALID_KEY = re.compile(r"[ -}]+\Z")  # mutagen's is_valid_key: printable ASCII but "~", not "="
_ONCE = frozenset({_STREAMINFO, _SEEKTABLE, _VORBIS_COMMENT, _CUESHEET})


def read_flac(window: FileWindow, walked: FlacBlocks | None) -> FastInfo | None:
    """The file as mutagen reads it, from the block headers `walked` (the FLAC walk)."""
    # The metadata blocks but pictures usually lie in the first few KiB, and a FLAC file's key
    # is its STREAMINFO MD5: reading just those bytes spares the cached head's 68 KiB.
    blocks = HeldBytes(window, 0, window.peek(_PEEK_BYTES))
    start = _flac_start(blocks)
    if start is None:
        return None
    if walked is None or walked.start != start:
        return None
    size = window.size
    if walked.frames is None or len(walked.blocks) > MAX_PARTS:
        return None  # a short file, or countless metadata blocks: left to mutagen
    streaminfo: bytes | None = None
    comments: dict[str, list[str]] | None = None
    seen: set[int] = set()
    for flags, body, length in walked.blocks:
        code = flags & 0x7F
        if body + length > size or (code in seen and code in _ONCE):
            return None  # a short file, or a second block that mutagen rejects or ignores
        seen.add(code)
        if code == _STREAMINFO:
            streaminfo = blocks.get(body, length) if length == 34 else None
        elif code == _VORBIS_COMMENT:
            comments = _comments(blocks, body, length)
            if comments is None:
                return None
        elif not _understood(blocks, code, body, length):
            return None
    if streaminfo is None:
        return None
    return _info(streaminfo, size - walked.frames, comments)


def _flac_start(blocks: HeldBytes) -> int | None:
    """Where "fLaC" is: at 0, or after one ID3v2 tag (sized as mutagen sizes it)."""
    head = blocks.get(0, 10)
    if head[:4] == b"fLaC":
        return 0
    if head[:3] != b"ID3" or len(head) < 10:
        return None
    start = id3v2_size(head)
    return start if blocks.get(start, 4) == b"fLaC" else None


def _info(
    streaminfo: bytes, audio_bytes: int, comments: dict[str, list[str]] | None
) -> FastInfo | None:
    packed = int.from_bytes(streaminfo[10:18], "big")
    sample_rate = packed >> 44
    if not sample_rate:
        return None
    channels = ((packed >> 41) & 7) + 1
    bits = ((packed >> 36) & 31) + 1
    length = (packed & 0xFFFFFFFFF) / float(sample_rate)
    bitrate = int(float(audio_bytes) * 8 / length) if length else 0
    md5 = int.from_bytes(streaminfo[18:34], "big")
    return FastInfo(
        "flac",
        "flac",
        True,
        length,
        sample_rate,
        channels,
        bits,
        bitrate,
        md5=md5 or None,
        vorbis=comments,
    )


def _comments(blocks: HeldBytes, body: int, length: int) -> dict[str, list[str]] | None:
    if length > TAG_TEXT_CAP:
        return None
    return parse_vorbis_comment(blocks.get(body, length), 0)


def _understood(blocks: HeldBytes, code: int, body: int, length: int) -> bool:
    """Whether mutagen reads this block as we do: a picture sized by its fields, a seek
    table of whole points; a cue sheet (rare, parsed strictly by mutagen) goes to mutagen."""
    if code == _PICTURE:
        return _picture_fits(blocks, body, length)
    if code == _SEEKTABLE:
        return length % 18 == 0
    return code != _CUESHEET


def _picture_fits(blocks: HeldBytes, body: int, length: int) -> bool:
    """Whether a picture block's own fields end exactly where its size says."""
    position, end = body + 4, body + length
    for _ in range(2):  # the MIME type, then the description: a length and the text
        field = blocks.get(position, 4)
        if len(field) < 4:
            return False
        position += 4 + int.from_bytes(field, "big")
        if position > end:
            return False
    data = blocks.get(position + 16, 4)
    return len(data) == 4 and position + 20 + int.from_bytes(data, "big") == end


def parse_vorbis_comment(data: bytes, start: int) -> dict[str, list[str]] | None:
    """The comments as mutagen's VComment keeps them, by lower-cased key, each key's values
    in file order; None unless `data` holds exactly one well-formed comment block from
    `start` to its end."""
    end = len(data)
    unpack, kept = _U32.unpack_from, _KEPT_KEYS  # bound once: a loop per comment
    try:
        (vendor,) = unpack(data, start)
        position = start + 4 + vendor
        (count,) = unpack(data, position)
        position += 4
        comments: dict[str, list[str]] = {}
        for index in range(count):
            (length,) = unpack(data, position)
            position += 4 + length
            if position > end:
                return None
            text = data[position - length : position].decode("utf-8", "replace")
            key, sep, value = text.partition("=")
            if not sep:
                key, value = f"unknown{index}", text
            found = kept.get(key, _UNSEEN)
            if found is _UNSEEN:
                found = _kept_key(key)
            if found is not None:
                values = comments.get(found)
                if values is None:
                    comments[found] = [value]
                else:
                    values.append(value)
    except struct.error:
        return None
    return comments if position == end else None


_UNSEEN = ""  # never a kept key: an empty key is not valid


def _kept_key(key: str) -> str | None:
    """The key mutagen keeps for a comment named `key`, lower-cased (None: it drops the
    comment), remembered: a library repeats a few dozen keys on every file."""
    found: str | None = None
    if _VALID_KEY.match(key):
        found = key.lower()
    elif not key.isascii() and _VALID_KEY.match(key.encode("ascii", "replace").decode()):
        found = key.encode("ascii", "replace").decode().lower()
    if len(_KEPT_KEYS) >= _KEYS_REMEMBERED:
        _KEPT_KEYS.clear()
    _KEPT_KEYS[key] = found
    return found


_KEPT_KEYS: dict[str, str | None] = {}
_KEYS_REMEMBERED = 4096
