"""ID3v2.3/2.4 and ID3v1 tags, read as mutagen reads them, for the frames a LibraryFile uses.

Only the wanted frames' bodies are read (pictures and everything else are stepped over by their
headers), then mutagen's merging is redone: ID3v1 fills the frames ID3v2 lacks, TYER/TDAT/TIME
become TDRC, dates are normalized as mutagen's ID3TimeStamp does. What this does not model
exactly steps aside (returns None): ID3v2.2, unsynchronisation, extended headers, compressed or
encrypted wanted frames, text that does not decode, TORY without TDOR, an APEv2 tag anywhere
mutagen looks for one.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from itertools import zip_longest

from .info import MAX_PARTS, TAG_TEXT_CAP, HeldBytes, read_bytes
from .tag_fields import ID3_FRAMES, ID3_GENRES, ID3_KNOWN_FRAMES, MB_TXXX
from .window import FileWindow

__all__ = ["Id3Tags", "read_id3", "timestamp_text"]

_DATES = ("TDRC", "TYER", "TDAT", "TIME", "TDOR", "TORY")
_WANTED_TEXT = frozenset((*ID3_FRAMES.values(), *_DATES))
_WANTED_TXXX = frozenset(key.partition(":")[2] for key in MB_TXXX)
#: the frames read, by their id's bytes: the rest are stepped over undecoded
_WANTED_IDS = {name.encode(): name for name in (*_WANTED_TEXT, "TXXX", "UFID")}
_KNOWN_IDS = frozenset(name.encode("latin-1") for name in ID3_KNOWN_FRAMES)
_ENCODINGS = {0: ("latin-1", b"\x00"), 1: ("utf-16", b"\x00\x00"), 2: ("utf-16-be", b"\x00\x00")}
_ENCODINGS[3] = ("utf-8", b"\x00")
_NOT_SYNCSAFE = 0x80808080
_HELD_BYTES = 4 * 1024  # text frames come first in nearly every tag; pictures last
_FRAME_HEADER = struct.Struct(">4sLH")
_NO_NAME = b"\x00\x00\x00\x00"  # padding


@dataclass(slots=True)
class Id3Tags:
    """The wanted frames' text by mutagen's key, the MusicBrainz UFID, and where ID3v2 ends."""

    frames: dict[str, list[str]]
    ufid: bytes | None
    end: int  # mutagen's tag size (header + body), 0 without ID3v2
    present: bool  # False when the file has neither ID3v2 nor ID3v1 (mutagen: no tags)


class _TagBytes(HeldBytes):
    """An ID3v2 tag's bytes: the cached prefix or head when the tag starts in it, else its
    first part after one read; frames past a large picture are read where needed."""

    __slots__ = ()

    def __init__(self, window: FileWindow, start: int, end: int) -> None:
        if start < window.span:
            super().__init__(window, 0, window.first_bytes)
        else:
            super().__init__(
                window, start, read_bytes(window, start, min(end - start, _HELD_BYTES))
            )

    def header(self, offset: int) -> tuple[bytes, int, int] | None:
        """(id, size field, flags) of the frame header at `offset`; None past the file."""
        relative = offset - self.start
        if 0 <= relative <= len(self.data) - 10:
            return _FRAME_HEADER.unpack_from(self.data, relative)
        raw = read_bytes(self.window, offset, 10)
        return _FRAME_HEADER.unpack(raw) if len(raw) == 10 else None


class _Unsure(Exception):
    """Raised inside this module where mutagen's answer is not modelled; never leaves it."""


def read_id3(window: FileWindow, start: int = 0) -> Id3Tags | None:
    """The ID3 tags of a file whose ID3v2 tag (if any) starts at `start`, or None if unsure."""
    try:
        frames, ufid, end, version = _read_v2(window, start)
        v1 = _read_v1(window, 4 if version in (0, 4) else 3)
        present = version != 0 or v1 is not None
        for key, text in (v1 or {}).items():
            frames.setdefault(key, text)
        _upgrade(frames)
    except _Unsure:
        return None
    return Id3Tags(frames, ufid, end, present)


def _read_v2(window: FileWindow, start: int) -> tuple[dict[str, list[str]], bytes | None, int, int]:
    header = read_bytes(window, start, 10)
    if header[:3] != b"ID3":
        return {}, None, 0, 0
    if len(header) < 10:
        raise _Unsure
    version, flags = header[3], header[5]
    size_field = int.from_bytes(header[6:10], "big")
    if version not in (3, 4) or flags or size_field & _NOT_SYNCSAFE:
        raise _Unsure  # v2.2, unsynchronised, extended headers, footers, invalid flags
    end = start + 10 + _syncsafe(size_field)
    if end > window.size:
        raise _Unsure  # mutagen fails on a tag longer than the file
    frames: dict[str, list[str]] = {}
    ufid: bytes | None = None
    tag = _TagBytes(window, start, end)
    text_bytes = 0  # of the wanted frames read, at most TAG_TEXT_CAP
    walk = _walk(tag, start + 10, end, version == 4)
    if version == 4:
        plain = _plain_walk(tag, walk, start + 10, end)
        if plain is not walk and not _frames_are_syncsafe(walk, plain, start + 10, end):
            walk = plain
    wanted = _WANTED_IDS
    for position, raw_name, length, frame_flags, _ in walk[0]:  # each frame, as mutagen reads
        if raw_name == _NO_NAME:
            break
        if length == 0 or not raw_name.isascii():
            continue
        if raw_name[3] == 0 or position + 10 + length > end:
            raise _Unsure  # a v2.2 frame id inside v2.3/2.4, or a frame cut by the tag's end
        name = wanted.get(raw_name)
        if name is None:
            continue
        body = position + 10
        text_bytes += length
        if frame_flags & (0x000F if version == 4 else 0x00C0) or text_bytes > TAG_TEXT_CAP:
            raise _Unsure  # compressed, encrypted, unsynchronised, a data length; or huge text
        data = tag.get(body, length)
        if name == "UFID":
            owner, _, found = data.partition(b"\x00")
            if owner == b"http://musicbrainz.org":
                ufid = found  # a repeated UFID replaces the earlier one, as in mutagen
            continue
        parsed = _parse_frame(name, data, version)
        if parsed is None:
            continue  # mutagen drops a frame it cannot parse
        key, texts = parsed
        if name != "TXXX" or key.partition(":")[2] in _WANTED_TXXX:
            _merge(frames, key, texts)
    return frames, ufid, end - start, version


def _merge(frames: dict[str, list[str]], key: str, texts: list[str]) -> None:
    """Add a text frame; a repeated one adds its new values, as mutagen merges them."""
    existing = frames.get(key)
    if existing is None:
        frames[key] = texts
        return
    for text in texts:
        if text not in existing:
            existing.append(text)


def _syncsafe(value: int) -> int:
    return (
        (value & 0x7F) | (value >> 1 & 0x3F80) | (value >> 2 & 0x1FC000) | (value >> 3 & 0xFE00000)
    )


_Walk = tuple[list[tuple[int, bytes, int, int, int]], int]
"""(offset, id, size, flags, size field as stored) of each frame header met, and where the
walk ended"""


def _walk(tag: _TagBytes, start: int, end: int, syncsafe: bool) -> _Walk:
    """The frame headers from `start`, their sizes read one way, up to padding or the end."""
    headers = []
    position = start
    data, base = tag.data, tag.start
    last = len(data) - 10  # headers up to here are unpacked in place
    unpack = _FRAME_HEADER.unpack_from
    while end - position >= 10:
        if 0 <= position - base <= last:
            raw_name, stored, flags = unpack(data, position - base)
        else:
            header = tag.header(position)
            if header is None:
                raise _Unsure  # mutagen reads a tag's bytes before walking them
            raw_name, stored, flags = header
        if raw_name == _NO_NAME:
            if stored or flags:
                raise _Unsure  # mutagen's two walks part ways here: not modelled
            headers.append((position, raw_name, 0, 0, 0))
            break
        size = _syncsafe(stored) if syncsafe else stored
        headers.append((position, raw_name, size, flags, stored))
        position += 10 + size
        if len(headers) > MAX_PARTS:
            raise _Unsure  # a tag of countless frames: left to mutagen (and its caps)
    return headers, position


def _plain_walk(tag: _TagBytes, syncsafe: _Walk, start: int, end: int) -> _Walk:
    """The walk of `_walk(..., syncsafe=False)`, from the syncsafe one: the two meet the same
    headers up to the first frame whose size reads differently (text frames of fewer than
    128 bytes read alike), and only from there is the plain walk walked on its own."""
    headers = syncsafe[0]
    for index, (position, _, size, _, stored) in enumerate(headers):
        if size != stored:
            plain, ended = _walk(tag, position + 10 + stored, end, False)
            same = [(p, n, s, f, s) for p, n, _, f, s in headers[: index + 1]]
            frames = len(same) + len(plain) - (1 if plain and plain[-1][1] == _NO_NAME else 0)
            if frames > MAX_PARTS:
                raise _Unsure  # as the plain walk alone would have (padding aside)
            return same + plain, ended
    return syncsafe  # every size read alike: the same walk


def _frames_are_syncsafe(syncsafe: _Walk, plain: _Walk, start: int, end: int) -> bool:
    """mutagen's determine_bpi: which reading of v2.4 frame sizes finds more known frames
    (iTunes once wrote plain integers)."""
    as_syncsafe, past_syncsafe = _count_known(syncsafe, start, end)
    as_int, past_int = _count_known(plain, start, end)
    plain_wins = as_int > as_syncsafe or (
        as_int == as_syncsafe and past_syncsafe >= 1 and past_int <= 1
    )
    return not plain_wins


def _count_known(walk: _Walk, start: int, end: int) -> tuple[int, int]:
    """determine_bpi's count of known frame ids along one walk, and how far past the end."""
    length = end - start
    known = 0
    for position, raw_name, size, _, _ in walk[0]:
        offset = position - start
        if offset >= length - 10:
            return known, offset - length
        if size == 0 and raw_name == _NO_NAME:
            return known, -((length - offset) % 10)
        if raw_name in _KNOWN_IDS:
            known += 1
    return known, walk[1] - start - length


def _parse_frame(name: str, data: bytes, version: int) -> tuple[str, list[str]] | None:
    """(mutagen's key, text values) of one text frame, None if mutagen would drop it."""
    if len(data) < 2 or data[0] not in _ENCODINGS:
        return None
    values = _decode_all(data[1:], data[0], version, 1 if name == "TXXX" else 0)
    if values is None:
        return None
    if name == "TXXX":
        if len(values) < 2:
            return None  # a description and no text: mutagen drops the frame
        return "TXXX:" + values[0], values[1:]
    if name in ("TDRC", "TDOR"):
        values = [timestamp_text(v) for v in values]
    return name, values


def _decode_all(data: bytes, encoding: int, version: int, singles: int) -> list[str] | None:
    """`singles` terminated strings, then the rest as a list, as mutagen's specs read them."""
    codec, terminator = _ENCODINGS[encoding]
    values: list[str] = []
    while data or len(values) < singles:
        if not data:
            return None
        if encoding in (1, 2):
            value, data = _decode_wide(data, codec, encoding == 1)
        else:
            index = data.find(terminator)
            raw, data = (data, b"") if index < 0 else (data[:index], data[index + 1 :])
            try:
                value = raw.decode(codec)
            except UnicodeDecodeError:
                raise _Unsure from None
        values.append(value)
        if version < 4 and not data.strip(b"\x00"):
            data = b""
    return values


def _decode_wide(data: bytes, codec: str, needs_bom: bool) -> tuple[str, bytes]:
    """One UTF-16 string up to its two-byte terminator, when it is plainly well formed."""
    if needs_bom and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise _Unsure  # mutagen retries without a BOM: not modelled
    index = data.find(b"\x00\x00")
    while index >= 0 and index % 2:
        index = data.find(b"\x00\x00", index + 1)
    raw, rest = (data, b"") if index < 0 else (data[:index], data[index + 2 :])
    if len(raw) % 2:
        raise _Unsure
    try:
        return raw.decode(codec), rest
    except UnicodeDecodeError:
        raise _Unsure from None


def _genres(values: list[str]) -> list[str]:
    """TCON as mutagen's `genres` rewrites it: genre numbers ("17", "(17)", "(17)Rock") named
    from the ID3v1 table, "(CR)"/"(RX)" as Cover/Remix, empty values dropped."""
    genres: list[str] = []
    for value in values:
        if value.isdecimal() and int(value) < 256:
            number = int(value)
            genres.append(ID3_GENRES[number] if number < len(ID3_GENRES) else "Unknown")
        elif value in _SPECIAL_GENRES:
            genres.append(_SPECIAL_GENRES[value])
        elif value:
            match = _GENRE.match(value)
            assert match is not None  # the pattern matches every string
            numbers, name = match.group(1), match.group("str")
            named = [_genre_name(number) for number in numbers[1:-1].split(")(")] if numbers else []
            if name:
                name = name[1:] if name.startswith("((") else name
                if name not in named:
                    named.append(name)
            genres.extend(named)
    return genres


def _genre_name(number: str) -> str:
    if number.isdigit() and int(number) < len(ID3_GENRES):
        return ID3_GENRES[int(number)]
    return _SPECIAL_GENRES.get(number, "Unknown")


_GENRE = re.compile(r"((?:\((?P<id>[0-9]+|RX|CR)\))*)(?P<str>.+)?")
_SPECIAL_GENRES = {"CR": "Cover", "RX": "Remix"}
_PLAIN_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?\Z")
_STAMP_SPLIT = re.compile(r"[-T:/.]|\s+")
_STAMP_FORMATS = ("%04d-", "%02d-", "%02d ", "%02d:", "%02d:", "%02dx")


def timestamp_text(text: str) -> str:
    """A date as mutagen's ID3TimeStamp prints it ("2011-03-01", "1999")."""
    if _PLAIN_DATE.match(text):
        return text  # already as it prints
    pieces = []
    for part, form in zip(_STAMP_SPLIT.split(text + ":::::")[:6], _STAMP_FORMATS, strict=True):
        try:
            pieces.append(form % int(part))
        except ValueError:
            break
    return "".join(pieces)[:-1]


def _upgrade(frames: dict[str, list[str]]) -> None:
    """mutagen's update_to_v24 for the date frames: TYER, TDAT and TIME become TDRC."""
    timestamps = []
    old = [frames.pop(name, []) for name in ("TYER", "TDAT", "TIME")]
    for year, date, time in zip_longest(*old, fillvalue=""):
        ym = re.match(r"([0-9]{4})(-[0-9]{2}-[0-9]{2})?\Z", year)
        dm = re.match(r"([0-9]{2})([0-9]{2})\Z", date)
        tm = re.match(r"([0-9]{2})([0-9]{2})\Z", time)
        stamp = ""
        if ym:
            stamp, month_day = ym.groups()
            if dm:
                month_day = "-{}-{}".format(*dm.groups()[::-1])
            if month_day:
                stamp += month_day
                if tm:
                    stamp += "T{}:{}:00".format(*tm.groups())
        if stamp:
            timestamps.append(timestamp_text(stamp))
    if timestamps and "TDRC" not in frames:
        frames["TDRC"] = timestamps
    if "TCON" in frames:
        frames["TCON"] = _genres(frames["TCON"])
    if frames.pop("TORY", None) is not None and "TDOR" not in frames and "TDRC" not in frames:
        raise _Unsure  # TORY's text would become a TDOR timestamp: not modelled


def _read_v1(window: FileWindow, version: int) -> dict[str, list[str]] | None:
    """The frames mutagen makes of an ID3v1 tag (find_id3v1, ParseID3v1), None without one."""
    size = window.size
    data = read_bytes(window, max(0, size - 131), min(131, size))
    index = data.find(b"TAG")
    if index < 0:
        return None
    ape = data.find(b"APETAGEX")
    if ape >= 0 and index == ape + 3:
        return None
    tag = data[index:]
    if not 124 <= len(tag) <= 128:
        return None
    title, artist, album = tag[3:33], tag[33:63], tag[63:93]
    year, comment, genre = tag[93 : len(tag) - 31], tag[len(tag) - 31 : len(tag) - 1], tag[-1]
    track = comment[-1] if comment[-2] == 0 else 0
    frames: dict[str, list[str]] = {}
    for key, raw in (("TIT2", title), ("TPE1", artist), ("TALB", album), ("year", year)):
        text = raw.split(b"\x00")[0].strip().decode("latin-1")
        if text and key == "year":
            frames["TDRC" if version == 4 else "TYER"] = [
                timestamp_text(text) if version == 4 else text
            ]
        elif text:
            frames[key] = [text]
    if track:
        frames["TRCK"] = [str(track)]
    if genre != 255:
        frames["TCON"] = [str(genre)]
    return frames
