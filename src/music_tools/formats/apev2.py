"""APEv2 tags at the end of a file, as mutagen.apev2 reads them for APE, WavPack and Musepack.

Only the common placement is read: a footer in the last 32 bytes. A file whose tag mutagen
would look for elsewhere (before an ID3v1 tag or Lyrics3, or at the start of the file) goes to
mutagen, as does any item mutagen would reject. Items are kept as mutagen's mapping keeps them:
under the lower-cased key, the last of a repeated key winning, text as the mutagen path reads
it (values joined with "; "; binary items as ""). `may_have_ape` tells the MP3, WAV, AIFF and
DSF readers to step aside where mutagen might find such a tag (it reads one when ID3 gives no
fields).
"""

from __future__ import annotations

import struct

from .info import TAG_TEXT_CAP, read_bytes
from .window import FileWindow

__all__ = ["may_have_ape", "read_apev2"]

_FOOTER = struct.Struct("<8s4sIII")
_ITEM = struct.Struct("<II")
_HAS_HEADER = 1 << 31
_NOT_KEYS = frozenset({"OggS", "TAG", "ID3", "MP+"})


def read_apev2(window: FileWindow) -> dict[str, str] | None:
    """The tag's items ({} when the file has none), or None if mutagen must read it."""
    size = window.size
    footer = read_bytes(window, size - 32, 32) if size >= 32 else b""
    if footer[:8] != b"APETAGEX":
        return _untagged(window)
    _, _, tag_size, count, flags = _FOOTER.unpack_from(footer)
    data_start = size - tag_size
    if tag_size < 32 or data_start < 0 or tag_size - 32 > TAG_TEXT_CAP:
        return None
    if flags & _HAS_HEADER and data_start < 32:
        return None
    tag = read_bytes(window, data_start, tag_size - 32)
    if not tag:
        return {}  # an empty tag: mutagen finds "no APE tag"
    return _items(tag, count)


def _untagged(window: FileWindow) -> dict[str, str] | None:
    """{} when mutagen would find no APEv2 tag either; None when it might find one."""
    size = window.size
    if size >= 128 and read_bytes(window, size - 128, 3) == b"TAG":
        return None
    if read_bytes(window, 0, 8) == b"APETAGEX":
        return None
    return {}


def _items(tag: bytes, count: int) -> dict[str, str] | None:
    items: dict[str, str] = {}
    position, end = 0, len(tag)
    for _ in range(count):  # each item takes 11 bytes or more: the loop ends with the tag
        if position >= end:
            break
        if position + 8 > end:
            return None
        length, flags = _ITEM.unpack_from(tag, position)
        kind = (flags & 6) >> 1
        key_end = tag.find(b"\x00", position + 8)
        if kind == 3 or key_end < 0 or key_end == position + 8:
            return None
        value_end = key_end + 1 + length
        if value_end > end:
            return None
        try:
            key = tag[position + 8 : key_end].decode("ascii")
            value = tag[key_end + 1 : value_end].decode("utf-8") if kind != 1 else ""
        except UnicodeDecodeError:
            return None
        if not _valid_key(key):
            return None
        items[key.lower()] = "; ".join(value.split("\x00")) if kind == 0 else ""
        position = value_end
    return items


def _valid_key(key: str) -> bool:
    """mutagen's is_valid_apev2_key."""
    return 2 <= len(key) <= 255 and min(key) >= " " and max(key) <= "~" and key not in _NOT_KEYS


def may_have_ape(window: FileWindow) -> bool:
    """Whether mutagen could find an APEv2 tag (read when ID3 gives no fields)."""
    size = window.size
    last = window.read(max(0, size - 4096), 4096)
    return b"APETAGEX" in last or b"LYRICS200" in last[-160:] or window.read(0, 8) == b"APETAGEX"
