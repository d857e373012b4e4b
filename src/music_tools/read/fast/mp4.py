"""MP4/M4A: the atom tree mutagen walks, the first sound track's length and sample entry,
and the `ilst` items, read as mutagen.mp4 reads them.

mutagen parses every atom inside moov, udta, trak, mdia, meta, ilst, stbl and minf; so does
this, by their headers only (pictures and sample tables are never read), then reads the few
atoms a LibraryFile needs. Where mutagen would fail or take a path not modelled here (a
fragmented file, chapters, 64-bit or to-the-end atoms inside moov, a malformed item in
`ilst`, another codec than AAC or ALAC) this steps aside.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from ...formats.window import FileWindow, read_at
from ..tag_fields import ID3_GENRES
from .info import MAX_PARTS, TAG_TEXT_CAP, FastInfo, HeldBytes, read_bytes
from .mp4_audio import Unsure, parse_sample_entry

__all__ = ["read_mp4"]

_CONTAINERS = frozenset({b"moov", b"udta", b"trak", b"mdia", b"meta", b"ilst", b"stbl", b"minf"})
_TEXT_ITEMS = frozenset({b"\xa9ART", b"\xa9nam", b"\xa9alb", b"aART", b"\xa9day", b"\xa9gen"})
_HEADER = struct.Struct(">I4s")
#: the moov, up to this many of its first bytes, is read in one piece and walked in memory
#: (a 4-minute AAC with a 150 KB cover: a 180 KB moov). Measured on the realistic M4A files
#: of benchmark_extract.py: 1.45x bare mutagen walking it a 16 KiB spot at a time, 1.60x
#: holding its first 64 KiB, 1.69x holding it whole.
MOOV_HELD = 4 * 1024 * 1024


class _Atom:
    __slots__ = ("children", "end", "name", "offset", "start")

    def __init__(self, name: bytes, offset: int, start: int, end: int) -> None:
        self.name, self.offset, self.start, self.end = name, offset, start, end
        self.children: list[_Atom] | None = None

    def find(self, *path: bytes) -> _Atom | None:
        """The first child named path[0], then its first child named path[1], ..."""
        atom: _Atom | None = self
        for name in path:
            assert atom is not None
            atom = next((c for c in atom.children or () if c.name == name), None)
            if atom is None:
                return None
        return atom


def read_mp4(window: FileWindow) -> FastInfo | None:
    try:
        root = _Atom(b"", 0, 0, window.size)
        held = HeldBytes(window, 0, b"")
        root.children = list(_top_level(held))
        moov = root.find(b"moov")
        if moov is None or moov.find(b"udta", b"chpl") is not None:
            return None
        entry, length = _sound_track(held, moov)
        tags = _tags(held, moov)
    except Unsure:
        return None
    channels, bits, rate, bitrate = entry[1]
    lossless = entry[0] == b"alac"
    info = FastInfo(
        "m4a", "alac" if lossless else "aac", lossless, length, rate, channels, bits, bitrate
    )
    info.mp4 = tags
    return info


def _top_level(held: HeldBytes) -> Iterator[_Atom]:
    """The top-level atoms; the moov read in one piece into `held`, and its tree walked."""
    position, count, size = 0, 0, held.window.size
    while position + 8 <= size:
        atom = _atom(held, position, top=True)
        if atom.name in (b"moof", b"traf"):
            raise Unsure  # fragmented MP4
        if atom.name in _CONTAINERS:
            if atom.name == b"moov":
                # one read, not through the window (its copy of a spot doubles the cost)
                held.start = atom.offset
                held.data = read_at(
                    held.window.fileobj, atom.offset, min(atom.end - atom.offset, MOOV_HELD)
                )
            atom.children = _children(held, atom)
        yield atom
        position = atom.end
        count += 1
        if count > MAX_PARTS:
            raise Unsure


def _children(held: HeldBytes, parent: _Atom) -> list[_Atom]:
    children: list[_Atom] = []
    append = children.append
    data, base = held.data, held.start
    limit = base + len(data)
    unpack = _HEADER.unpack_from
    position = parent.start + (4 if parent.name == b"meta" else 0)
    end = parent.end
    while position < end:
        if base <= position and position + 8 <= limit:  # in the moov held: in place
            length, name = unpack(data, position - base)
            if length < 8:
                raise Unsure  # 64-bit sizes inside moov, invalid sizes: not modelled
            atom = _Atom(name, position, position + 8, position + length)
        else:
            atom = _atom(held, position, top=False)
            name = atom.name
        if name in _CONTAINERS:
            atom.children = _children(held, atom)
        elif name == b"moof" or name == b"traf":
            raise Unsure
        append(atom)
        position = atom.end
        if len(children) > MAX_PARTS:
            raise Unsure
    return children


def _atom(held: HeldBytes, offset: int, top: bool) -> _Atom:
    window = held.window
    data, relative = held.data, offset - held.start
    first = window.first_bytes
    if relative >= 0 and relative + 8 <= len(data):  # inside the moov: unpacked in place
        length, name = _HEADER.unpack_from(data, relative)
    elif offset + 8 <= len(first):  # most top-level headers lie here
        length, name = _HEADER.unpack_from(first, offset)
    else:
        header = read_bytes(window, offset, 8)
        if len(header) < 8:
            raise Unsure  # mutagen: truncated data, the file fails
        length, name = _HEADER.unpack(header)
    start = offset + 8
    if length < 8:
        if length == 1 and top and name not in _CONTAINERS:  # a large mdat: a 64-bit size
            length, start = int.from_bytes(read_bytes(window, start, 8), "big"), offset + 16
            if length < 16:
                raise Unsure
        elif length == 0 and top:
            length = window.size - offset
        else:
            raise Unsure  # 64-bit sizes inside moov, invalid sizes: not modelled
    return _Atom(name, offset, start, offset + length)


def _payload(held: HeldBytes, atom: _Atom, cap: int = TAG_TEXT_CAP) -> bytes:
    """An atom's whole payload; mutagen fails on one cut short by the end of the file."""
    if atom.end - atom.start > cap or atom.end > held.window.size:
        raise Unsure
    return held.get(atom.start, atom.end - atom.start)


def _sound_track(window: HeldBytes, moov: _Atom) -> tuple[tuple[bytes, Any], float]:
    """(sample entry name and fields, length) of the first sound track, as MP4Info reads."""
    for trak in moov.children or ():
        if trak.name != b"trak":
            continue
        hdlr = trak.find(b"mdia", b"hdlr")
        if hdlr is None:
            raise Unsure
        if _payload(window, hdlr)[8:12] == b"soun":
            break
    else:
        raise Unsure  # no sound track: mutagen reads mvhd instead
    mdhd, stsd = trak.find(b"mdia", b"mdhd"), trak.find(b"mdia", b"minf", b"stbl", b"stsd")
    if mdhd is None or stsd is None:
        raise Unsure
    data = _payload(window, mdhd)
    if data[:1] == b"\x00" and len(data) >= 20:
        unit, duration = int.from_bytes(data[12:16], "big"), int.from_bytes(data[16:20], "big")
    elif data[:1] == b"\x01" and len(data) >= 32:
        unit, duration = int.from_bytes(data[20:24], "big"), int.from_bytes(data[24:32], "big")
    else:
        raise Unsure
    length = float(duration) / unit if unit else 0.0
    return _sample_entry(_payload(window, stsd)), length


def _sample_entry(data: bytes) -> tuple[bytes, Any]:
    if len(data) < 8 or data[0] != 0 or int.from_bytes(data[4:8], "big") == 0:
        raise Unsure
    if len(data) < 16:
        raise Unsure
    length, name = int.from_bytes(data[8:12], "big"), data[12:16]
    if length < 8 or len(data) < 8 + length:
        raise Unsure  # 64-bit, to-the-end, invalid or truncated entries: not modelled
    return name, parse_sample_entry(name, data[16 : 8 + length])


def _tags(window: HeldBytes, moov: _Atom) -> dict[str, list[Any]] | None:
    """mutagen's MP4Tags items for the keys a LibraryFile uses (None: no ilst)."""
    ilst = moov.find(b"udta", b"meta", b"ilst")
    if ilst is None:
        return None
    items: dict[str, list[Any]] = {}
    for atom in ilst.children or ():
        name = atom.name
        if atom.end > window.window.size:
            raise Unsure
        if name == b"covr":
            _check_cover(window, atom)
        elif name in _TEXT_ITEMS or name in (b"trkn", b"disk", b"gnre", b"----"):
            try:
                key, found = _item(name, _payload(window, atom))
            except _Dropped:
                continue  # mutagen keeps it aside as a failed atom
            except (struct.error, TypeError, IndexError):
                raise Unsure from None  # mutagen fails on the whole file
            items.setdefault(key, []).extend(found)
        # every other item mutagen parses can only fail into its failed atoms: not read
    return items


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
    """mutagen's key and values of one ilst item; raises as mutagen's parser raises."""
    if name in (b"trkn", b"disk"):
        return name.decode("latin-1"), [
            struct.unpack(">2H", d[2:6]) for _, _, d in _data_atoms(data)
        ]
    if name == b"gnre":
        return "\xa9gen", [_genre(d) for _, _, d in _data_atoms(data)]
    if name == b"----":
        return _freeform(data)
    values = []
    for _, flags, chunk in _data_atoms(data):
        if flags not in (0, 1):
            raise _Dropped
        try:
            values.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise _Dropped from None
    return name.decode("latin-1"), values


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


def _check_cover(held: HeldBytes, atom: _Atom) -> None:
    """Walk a `covr` item by its atom headers (the pictures unread), as mutagen parses it."""
    position, count = atom.start, 0
    while position < atom.end:
        head = held.get(position, 12)
        if len(head) != 12 or position + 12 > atom.end:
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
