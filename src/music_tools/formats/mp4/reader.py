"""MP4/M4A: the atom tree mutagen walks, the first sound track's length and sample entry,
and the `ilst` items, read as mutagen.mp4 reads them.

mutagen parses every atom inside moov, udta, trak, mdia, meta, ilst, stbl and minf; so does
this, by their headers only, in one pass that keeps only the atoms a LibraryFile needs.
Sample tables and pictures are stepped over, never read: the walk reads the bytes after
them where it finds its next header. Where mutagen would fail or take a path not modelled
here (a fragmented file, chapters, 64-bit or to-the-end atoms inside moov, a child that runs
past its container, a malformed item in `ilst`, another codec than AAC or ALAC) this steps
aside.
"""

from __future__ import annotations

import struct
from typing import Any

from ..info import MAX_PARTS, TAG_TEXT_CAP, FastInfo
from ..window import FileWindow, read_at
from .atoms import Mp4Layout
from .items import Item, read_items
from .sample_entry import Unsure, parse_sample_entry

__all__ = ["read_mp4"]

_CONTAINERS = frozenset({b"moov", b"udta", b"trak", b"mdia", b"meta", b"ilst", b"stbl", b"minf"})
#: the atoms mutagen walks into: True for those modelled here, False for fragments
_KINDS = {**dict.fromkeys(_CONTAINERS, True), b"moof": False, b"traf": False}
_HEADER = struct.Struct(">I4s").unpack_from
#: bytes read where the walk's next header lies past those held: the headers after a sample
#: table or a cover are few and small
STEP = 4 * 1024
_MAX_DEPTH = 64  # containers inside containers walked at most

# The containers on the paths the reader needs, by their role; every other one is _OTHER.
_OTHER, _MOOV, _TRAK, _MDIA, _MINF, _STBL, _UDTA, _META, _ILST = range(9)
#: (role of a container, name of a child) -> the child's role: mutagen looks up the first
#: child of that name, but every `trak`
_ROLES = {
    (_MOOV, b"trak"): _TRAK,
    (_TRAK, b"mdia"): _MDIA,
    (_MDIA, b"minf"): _MINF,
    (_MINF, b"stbl"): _STBL,
    (_MOOV, b"udta"): _UDTA,
    (_UDTA, b"meta"): _META,
    (_META, b"ilst"): _ILST,
}
#: (role, name) -> which of a track's atoms the first leaf of that name is
_LEAVES = {(_MDIA, b"hdlr"): 0, (_MDIA, b"mdhd"): 1, (_STBL, b"stsd"): 2}
_NEEDS = [
    frozenset(name for (parent, name) in {*_ROLES, *_LEAVES, (_UDTA, b"chpl")} if parent == role)
    for role in range(_ILST + 1)
]

Span = tuple[int, int]  # an atom's payload: from its start to its end in the file


class _Moov:
    """What the walk kept of the first moov: per track (in order) the payloads of its first
    mdia's hdlr and mdhd and of its stsd; whether its first udta holds chapters; whether it
    has a udta/meta/ilst, and that ilst's children (with the bytes that held their headers)."""

    __slots__ = ("chapters", "items", "tagged", "tracks")

    def __init__(self) -> None:
        self.tracks: list[list[Span | None]] = []
        self.chapters = self.tagged = False
        self.items: list[Item] = []


def read_mp4(window: FileWindow, walked: Mp4Layout) -> FastInfo | None:
    """The file as mutagen reads it, from its top-level atoms `walked` (the MP4 walk)."""
    try:
        source = _Source(window)
        moov = _walk_file(source, walked)
        if moov.chapters:
            return None
        entry, length = _sound_track(source, moov)
        tags = read_items(source.get, moov.items, window.size) if moov.tagged else None
    except Unsure:
        return None
    channels, bits, rate, bitrate = entry[1]
    lossless = entry[0] == b"alac"
    info = FastInfo(
        "m4a", "alac" if lossless else "aac", lossless, length, rate, channels, bits, bitrate
    )
    info.mp4 = tags
    return info


class _Source:
    """The file's bytes as the walk holds them: the window's prefix or tail, or spots read
    where the walk goes past them (`STEP` bytes, never past the container)."""

    __slots__ = ("held", "last", "window")

    def __init__(self, window: FileWindow) -> None:
        self.window = window
        self.held: list[tuple[int, bytes]] = []
        self.last: tuple[int, bytes] = (0, b"")  # where `get` last found its bytes

    def load(self, position: int, limit: int) -> tuple[bytes, int]:
        """Bytes holding the 8-byte header at `position` of a container ending at `limit`,
        and where they start; raises Unsure when the file ends first (mutagen fails)."""
        window = self.window
        data = window.first_bytes
        if position + 8 <= len(data):
            base = 0
        elif position >= window.tail_start:
            data, base = window.tail, window.tail_start
        else:
            length = max(min(STEP, limit - position), 8)
            data, base = read_at(window.fileobj, position, length), position
        if position + 8 > base + len(data):
            raise Unsure  # mutagen: truncated data
        self.held.append((base, data))
        return data, base

    def get(self, start: int, end: int) -> bytes:
        """The bytes from `start` to `end` (fewer at the end of the file)."""
        base, data = self.last
        if base <= start and end <= base + len(data):
            return data[start - base : end - base]
        for base, data in self.held:
            if base <= start and end <= base + len(data):
                self.last = base, data
                return data[start - base : end - base]
        return read_at(self.window.fileobj, start, end - start)


def _walk_file(source: _Source, walked: Mp4Layout) -> _Moov:
    """Walk every top-level container as mutagen does; what the first moov holds."""
    if walked.invalid or walked.cut:
        raise Unsure
    moov: _Moov | None = None
    for name, offset, header_size, end in walked.atoms:
        if name == b"moof" or name == b"traf":
            raise Unsure  # fragmented MP4
        if header_size == 16 and end - offset < 16:
            raise Unsure  # mutagen: "64 bit atom length can only be 16 and higher"
        if name not in _CONTAINERS:
            continue
        if header_size != 8:
            raise Unsure  # a 64-bit container: not modelled
        start = offset + (12 if name == b"meta" else 8)
        if name == b"moov" and moov is None:
            moov = _Moov()
            _walk(source, start, end, _MOOV, moov)
        else:
            _walk(source, start, end, _OTHER, _Moov())
    if moov is None:
        raise Unsure
    return moov


def _walk(source: _Source, position: int, end: int, role: int, moov: _Moov) -> None:
    """Walk one top-level container's tree from `position`, by the headers only, failing
    where mutagen's Atom fails; keep in `moov` what the reader needs."""
    limit, data, base, top = end, b"", 0, -1  # bytes held from `base`; headers up to `top`
    stack: list[tuple[int, int, frozenset[bytes], set[bytes], int]] = []
    items = moov.items
    needs = _NEEDS[role]  # the names of the children the reader needs here
    seen: set[bytes] = set()  # those met so far: mutagen looks up the first of each name
    count = 0
    while True:
        while position >= end:
            if position > end:
                raise Unsure  # a child ran past its container: not modelled
            if not stack:
                return
            end, role, needs, seen, count = stack.pop()
        if not base <= position <= top:
            data, base = source.load(position, limit)
            top = base + len(data) - 8
        length, name = _HEADER(data, position - base)
        count += 1
        if length < 8 or count > MAX_PARTS:
            raise Unsure  # 64-bit sizes inside moov, invalid sizes, countless atoms
        child = _OTHER
        if role:
            if role == _ILST:
                items.append((name, position + 8, position + length, data, base))
            elif name in needs:
                child = _note(moov, role, name, seen, position + 8, position + length)
        kind = _KINDS.get(name)
        if kind is None:
            position += length
        elif kind:
            if len(stack) > _MAX_DEPTH:
                raise Unsure  # mutagen recurses: it may fail, so read it there
            stack.append((end, role, needs, seen, count))
            end, role, needs, seen, count = position + length, child, _NEEDS[child], set(), 0
            position += 12 if name == b"meta" else 8
        else:
            raise Unsure  # fragmented MP4


def _note(moov: _Moov, role: int, name: bytes, seen: set[bytes], start: int, end: int) -> int:
    """Keep what the reader needs of this child (`seen`: the names met before it in its
    container); the child's own role."""
    first = name not in seen
    seen.add(name)
    child = _ROLES.get((role, name))
    if child is not None:
        if child == _TRAK:
            moov.tracks.append([None, None, None])
            return child
        if not first:
            return _OTHER
        if child == _ILST:
            moov.tagged = True
        return child
    if first:
        slot = _LEAVES.get((role, name))
        if slot is not None:
            moov.tracks[-1][slot] = (start, end)
        elif role == _UDTA and name == b"chpl":
            moov.chapters = True
    return _OTHER


def _payload(source: _Source, span: Span | None, cap: int = TAG_TEXT_CAP) -> bytes:
    """An atom's whole payload; mutagen fails on one cut short by the end of the file."""
    if span is None:
        raise Unsure  # mutagen: KeyError, the file fails
    start, end = span
    if end - start > cap or end > source.window.size:
        raise Unsure
    return source.get(start, end)


def _sound_track(source: _Source, moov: _Moov) -> tuple[tuple[bytes, Any], float]:
    """(sample entry name and fields, length) of the first sound track, as MP4Info reads."""
    for track in moov.tracks:
        if _payload(source, track[0])[8:12] == b"soun":
            break
    else:
        raise Unsure  # no sound track: mutagen reads mvhd instead
    data = _payload(source, track[1])
    if data[:1] == b"\x00" and len(data) >= 20:
        unit, duration = int.from_bytes(data[12:16], "big"), int.from_bytes(data[16:20], "big")
    elif data[:1] == b"\x01" and len(data) >= 32:
        unit, duration = int.from_bytes(data[20:24], "big"), int.from_bytes(data[24:32], "big")
    else:
        raise Unsure
    length = float(duration) / unit if unit else 0.0
    return _sample_entry(_payload(source, track[2])), length


def _sample_entry(data: bytes) -> tuple[bytes, Any]:
    if len(data) < 8 or data[0] != 0 or int.from_bytes(data[4:8], "big") == 0:
        raise Unsure
    if len(data) < 16:
        raise Unsure
    length, name = int.from_bytes(data[8:12], "big"), data[12:16]
    if length < 8 or len(data) < 8 + length:
        raise Unsure  # 64-bit, to-the-end, invalid or truncated entries: not modelled
    return name, parse_sample_entry(name, data[16 : 8 + length])
