"""MP4 `ilst` items read as mutagen's MP4Tags reads them: the text, number, genre and
freeform items a LibraryFile uses, and the cover's atom headers (its pictures unread)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from ..info import MAX_PARTS, TAG_TEXT_CAP
from ..tag_fields import ID3_GENRES
from .sample_entry import Unsure

__all__ = ["Getter", "Item", "read_items"]

Getter = Callable[[int, int], bytes]
"""The file's bytes from one offset to another (fewer at the end of the file)."""
Item = tuple[bytes, int, int, bytes, int]
"""An ilst child: name, payload start and end, and bytes of the file from an offset that
hold its header (and nearly always its payload)."""

#: the text items, by mutagen's key
_TEXT_ITEMS = {
    name: name.decode("latin-1")
    for name in (b"\xa9ART", b"\xa9nam", b"\xa9alb", b"aART", b"\xa9day", b"\xa9gen")
}
_OTHER_ITEMS = frozenset({b"trkn", b"disk", b"gnre", b"----"})
_NUMBER_KEYS = {b"trkn": "trkn", b"disk": "disk"}
_PAIR = struct.Struct(">2H")  # (number, total)


def read_items(get: Getter, items: list[Item], file_size: int) -> dict[str, list[Any]]:
    """mutagen's MP4Tags items, for the keys a LibraryFile uses, of the `ilst` children."""
    found: dict[str, list[Any]] = {}
    for name, start, end, held, base in items:
        if end > file_size:
            raise Unsure
        key = _TEXT_ITEMS.get(name)
        if key is not None:
            if end - start > TAG_TEXT_CAP:
                raise Unsure
            in_held = end - base <= len(held)
            texts = _texts(held[start - base : end - base] if in_held else get(start, end))
            if texts is not None:  # else mutagen keeps it aside as a failed atom
                found.setdefault(key, []).extend(texts)
        elif name == b"covr":
            _check_cover(get, start, end)
        elif name in _OTHER_ITEMS:
            if end - start > TAG_TEXT_CAP:
                raise Unsure
            try:
                key, values = _item(name, get(start, end))
            except _Dropped:
                continue  # mutagen keeps it aside as a failed atom
            except (struct.error, TypeError, IndexError):
                raise Unsure from None  # mutagen fails on the whole file
            found.setdefault(key, []).extend(values)
        # every other item mutagen parses can only fail into its failed atoms: not read
    return found


def _texts(data: bytes) -> list[str] | None:
    """A text item's values (None: mutagen leaves the item out); nearly always one `data`
    atom, read in place."""
    if (
        len(data) >= 16
        and int.from_bytes(data[:4], "big") == len(data)
        and data[4:8] == b"data"
        and data[9:12] in _TEXT_FLAGS
    ):
        try:
            return [data[16:].decode("utf-8")]
        except UnicodeDecodeError:
            return None
    values = []
    try:
        for _, flags, chunk in _data_atoms(data):
            if flags not in (0, 1):
                return None
            values.append(chunk.decode("utf-8"))
    except (_Dropped, UnicodeDecodeError):
        return None
    return values


_TEXT_FLAGS = (b"\x00\x00\x00", b"\x00\x00\x01")  # UTF-8 text, or implicit


def _one_data_atom(data: bytes) -> bool:
    """Whether the item holds one `data` atom, nothing after it (its payload from byte 16)."""
    return int.from_bytes(data[:4], "big") == len(data) and data[4:8] == b"data"


class _Dropped(Exception):
    """mutagen's MP4MetadataError for one item: the item is left out, the file still reads."""


def _data_atoms(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(version, flags, payload) of each `data` atom of an item (mutagen's __parse_data)."""
    position = 0
    while position < len(data):
        head = data[position : position + 12]
        if len(head) != 12:
            raise _Dropped
        length = int.from_bytes(head[:4], "big")
        if length < 1 or head[4:8] != b"data":
            raise _Dropped
        chunk = data[position + 16 : position + length]
        if len(chunk) != length - 16:
            raise _Dropped
        yield head[8], int.from_bytes(head[9:12], "big"), chunk
        position += length


def _item(name: bytes, data: bytes) -> tuple[str, list[Any]]:
    """mutagen's key and values of a number, genre or freeform item; raises as mutagen's
    parser raises."""
    if name in (b"trkn", b"disk"):
        if len(data) >= 22 and _one_data_atom(data):
            return _NUMBER_KEYS[name], [_PAIR.unpack_from(data, 18)]
        return _NUMBER_KEYS[name], [struct.unpack(">2H", d[2:6]) for _, _, d in _data_atoms(data)]
    if name == b"gnre":
        return "\xa9gen", [_genre(d) for _, _, d in _data_atoms(data)]
    return _freeform(data)


def _genre(data: bytes) -> str:
    if len(data) != 2:
        raise _Dropped
    try:
        return ID3_GENRES[int.from_bytes(data, "big", signed=True) - 1]
    except IndexError:
        raise _Dropped from None


def _freeform(data: bytes) -> tuple[str, list[Any]]:
    """A `----` item: mean, name and data atoms, read with mutagen's own steps."""
    (length,) = struct.unpack(">I", data[:4])
    mean = data[12:length]
    position = length
    (length,) = struct.unpack(">I", data[position : position + 4])
    name = data[position + 12 : position + length]
    position += length
    values = []
    while position < len(data):
        length, atom_name = struct.unpack(">I4s", data[position : position + 8])
        if atom_name != b"data" or length < 1:
            raise _Dropped
        ord(data[position + 8 : position + 9])
        struct.unpack(">I", b"\x00" + data[position + 9 : position + 12])
        values.append(data[position + 16 : position + length])
        position += length
    return (b"----:" + mean + b":" + name).decode("latin-1"), values


def _check_cover(get: Getter, position: int, end: int) -> None:
    """Walk a `covr` item by its atom headers (the pictures unread), as mutagen parses it."""
    count = 0
    while position < end:
        head = get(position, position + 12)
        if len(head) != 12 or position + 12 > end:
            raise Unsure  # mutagen: struct.error, the file fails
        length, name = int.from_bytes(head[:4], "big"), head[4:8]
        if name == b"name" and length < 1:
            raise Unsure  # mutagen would loop here for ever
        if name not in (b"data", b"name") or length < 1:
            return  # mutagen: the item is left out
        position += length
        count += 1
        if count > MAX_PARTS:
            raise Unsure
