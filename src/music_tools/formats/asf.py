"""WMA (ASF): the data object (the payload, and the damage check of one that runs past the end
of the file), and the lean reader: the header objects, read whole, and the tags and
properties in them.

The lean reader follows mutagen.asf: the properties come from the file properties (length
less preroll), the last stream properties object (channels, rate, bitrate) and the first
audio entry of a codec list ("lossless" in its name); the tags from the content description,
extended content description, metadata and metadata library objects, in that order,
whatever their order in the header. Any object that mutagen would read differently from its
declared sizes (a truncated attribute, text that is not UTF-16) sends the file to mutagen.
"""

from __future__ import annotations

import struct
import uuid

from .container import Container, Payload
from .info import TAG_TEXT_CAP, FastInfo, read_bytes
from .raw import declared_payload, id3v2_end, missing_data, nothing
from .window import FileWindow

__all__ = ["ASF", "ASF_HEADER_GUID", "read_asf"]


def _guid(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


ASF_HEADER_GUID = _HEADER = _guid("75B22630-668E-11CF-A6D9-00AA0062CE6C")
_DATA = _guid("75B22636-668E-11CF-A6D9-00AA0062CE6C")
_CONTENT = _guid("75B22633-668E-11CF-A6D9-00AA0062CE6C")
_EXTENDED_CONTENT = _guid("D2D0A440-E307-11D2-97F0-00A0C95EA850")
_FILE_PROPERTIES = _guid("8CABDCA1-A947-11CF-8EE4-00C00C205365")
_STREAM_PROPERTIES = _guid("B7DC0791-A9B7-11CF-8EE6-00C00C205365")
_CODEC_LIST = _guid("86D15240-311D-11D0-A3A4-00A0C90348F6")
_HEADER_EXTENSION = _guid("5FBF03B5-A92E-11CF-8EE3-00C00C205365")
_METADATA = _guid("C5F8CBEA-5BAF-4877-8467-AA8C44FA4CCA")
_METADATA_LIBRARY = _guid("44231C94-9498-49D1-A141-1D134E457054")
_TAG_ORDER = (_CONTENT, _EXTENDED_CONTENT, _METADATA, _METADATA_LIBRARY)
_CONTENT_NAMES = ("Title", "Author", "Copyright", "Description", "Rating")
_OBJECT = struct.Struct("<16sQ")
_NUMBERS = {2: struct.Struct("<I"), 3: struct.Struct("<I"), 4: struct.Struct("<Q")}
_NUMBERS[5] = struct.Struct("<H")
_MAX_OBJECTS = 4096


class _Unsure(Exception):
    """Raised inside this module where mutagen's answer is not modelled; never leaves it."""


class _Header:
    """What the header objects say, as mutagen's ASFInfo and ASFTags would hold it: the
    properties, the first audio codec's name, and the attributes by the object holding them."""

    __slots__ = ("bitrate", "channels", "codec_name", "length", "rate", "tags")

    def __init__(self) -> None:
        self.length, self.rate, self.channels, self.bitrate = 0.0, 0, 0, 0
        self.codec_name = ""
        self.tags: dict[bytes, list[tuple[str, str]]] = {}


def read_asf(window: FileWindow, layout: object) -> FastInfo | None:
    start = read_bytes(window, 0, 30)
    if len(start) != 30 or start[:16] != _HEADER:
        return None
    size, count = struct.unpack_from("<QL", start, 16)
    if size < 30 or size > TAG_TEXT_CAP or size > window.size or count > _MAX_OBJECTS:
        return None
    data = read_bytes(window, 0, size)
    header = _Header()
    try:
        _parse_objects(header, data, 30, count)
    except (_Unsure, struct.error, UnicodeDecodeError):
        return None
    tags: dict[str, list[str]] = {}
    for guid in _TAG_ORDER:
        for name, value in header.tags.get(guid, ()):
            tags.setdefault(name, []).append(value)
    lossless = "lossless" in header.codec_name.lower()
    return FastInfo(
        "wma",
        "wmalossless" if lossless else "wma",
        lossless,
        header.length,
        header.rate,
        header.channels,
        0,
        header.bitrate,
        asf=tags,
    )


def _parse_objects(header: _Header, data: bytes, position: int, count: int) -> None:
    """mutagen's HeaderObject.parse_full over the header's bytes."""
    for _ in range(count):
        if len(data) - position < 24:
            raise _Unsure
        guid, size = _OBJECT.unpack_from(data, position)
        if size < 24 or position + size > len(data):
            raise _Unsure
        _parse_object(header, guid, data[position + 24 : position + size])
        position += size


def _parse_object(header: _Header, guid: bytes, body: bytes) -> None:
    if guid == _HEADER:
        raise _Unsure  # mutagen cannot parse a header object inside the header
    if guid == _CONTENT:
        _content(header, body)
    elif guid in (_EXTENDED_CONTENT, _METADATA, _METADATA_LIBRARY):
        _attributes(header, guid, body)
    elif guid == _FILE_PROPERTIES:
        if len(body) < 64:
            raise _Unsure
        length, _, preroll = struct.unpack_from("<QQQ", body, 40)
        header.length = max((length / 10000000.0) - (preroll / 1000.0), 0.0)
    elif guid == _STREAM_PROPERTIES:
        header.channels, header.rate, bytes_per_second = struct.unpack_from("<HII", body, 56)
        header.bitrate = bytes_per_second * 8
    elif guid == _CODEC_LIST:
        _codec_list(header, body)
    elif guid == _HEADER_EXTENSION:
        _extension(header, body)


def _content(header: _Header, body: bytes) -> None:
    lengths = struct.unpack_from("<HHHHH", body)
    position = 10
    found = header.tags.setdefault(_CONTENT, [])
    for name, length in zip(_CONTENT_NAMES, lengths, strict=True):
        if position + length > len(body):
            raise _Unsure
        if length:
            text = body[position : position + length].decode("utf-16-le").strip("\x00")
            found.append((name, text))
        position += length


def _attributes(header: _Header, guid: bytes, body: bytes) -> None:
    """Extended content description (name first) or metadata (library) attributes."""
    (count,) = struct.unpack_from("<H", body)
    position, extended = 2, guid == _EXTENDED_CONTENT
    found = header.tags.setdefault(guid, [])
    for _ in range(count):
        if extended:
            (name_length,) = struct.unpack_from("<H", body, position)
            name_at = position + 2
            kind, value_length = struct.unpack_from("<HH", body, name_at + name_length)
            value_at = name_at + name_length + 4
        else:
            _, _, name_length, kind, value_length = struct.unpack_from("<HHHHI", body, position)
            name_at = position + 12
            value_at = name_at + name_length
        end = value_at + value_length
        if end > len(body):
            raise _Unsure
        name = body[name_at : name_at + name_length].decode("utf-16-le").strip("\x00")
        value = body[value_at:end]
        found.append((name, _text(kind, value, dword=extended or kind != 2)))
        position = end


def _text(kind: int, value: bytes, dword: bool) -> str:
    """What str() gives for mutagen's attribute of this kind."""
    if kind == 0:
        return value.decode("utf-16-le").strip("\x00")
    if kind == 1:
        return f"[binary data ({len(value)} bytes)]"
    if kind == 2:
        (number,) = struct.unpack("<I" if dword else "<H", value)
        return str(number == 1)
    if kind in _NUMBERS:
        return str(_NUMBERS[kind].unpack(value)[0])
    if kind == 6:
        return repr(value)
    raise _Unsure  # mutagen knows no such attribute type


def _codec_list(header: _Header, body: bytes) -> None:
    (count,) = struct.unpack_from("<I", body, 16)
    position = 20
    for _ in range(min(count, _MAX_OBJECTS)):
        (kind,) = struct.unpack_from("<H", body, position)
        texts = []
        position += 2
        for _ in range(2):  # the name, then the description
            (units,) = struct.unpack_from("<H", body, position)
            texts.append(body[position + 2 : position + 2 + units * 2])
            position += 2 + units * 2
        (info_length,) = struct.unpack_from("<H", body, position)
        if info_length == 2:
            struct.unpack_from("<H", body, position + 2)  # mutagen reads it: it must be there
        position += 2 + info_length
        if kind == 2:
            try:
                header.codec_name = texts[0].decode("utf-16-le").strip("\x00").strip()
            except UnicodeDecodeError:
                header.codec_name = ""
            return
    if count > _MAX_OBJECTS:
        raise _Unsure


def _extension(header: _Header, body: bytes) -> None:
    (size,) = struct.unpack_from("<I", body, 18)
    position, end = 0, size
    if 22 + size > len(body):
        raise _Unsure
    nested = body[22 : 22 + size]
    for _ in range(_MAX_OBJECTS):
        if position >= end:
            return
        guid, length = _OBJECT.unpack_from(nested, position)
        if length < 24 or position + length > end:
            raise _Unsure
        _parse_object(header, guid, nested[position + 24 : position + length])
        position += length
    raise _Unsure


# -- the data object --------------------------------------------------------------------------


def _data(window: FileWindow) -> tuple[int, int] | None:
    """Where the data object's packets start, and where its size says it ends."""
    header = window.read(0, 24)
    if len(header) < 24 or header[:16] != _HEADER:
        return None
    offset = int.from_bytes(header[16:24], "little")
    while offset + 24 <= window.size:
        obj = window.read(offset, 24)
        size = int.from_bytes(obj[16:24], "little")
        if obj[:16] == _DATA and size >= 50:
            return offset + 50, offset + size
        if size < 24:
            return None
        offset += size
    return None


def _damage(window: FileWindow, layout: object) -> str | None:
    return missing_data(window, _data(window), "WMA")


def _payload(window: FileWindow, layout: object) -> Payload:
    return declared_payload(window, _data(window))


ASF = Container(nothing, _damage, _payload, id3v2_end, read_asf)
