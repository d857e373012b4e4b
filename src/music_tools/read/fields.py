"""A file's tags and properties -> a LibraryFile's fields: the one set of rules both reading
paths fill them by (the lean readers' raw tags and mutagen's), so the two agree field by
field: which frame or key holds each field, how several values join, how track numbers and
years are read, and that zero means unknown."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..formats.info import FastInfo
from ..formats.tag_fields import (
    APE_KEYS_LOWER,
    ASF_KEYS,
    ID3_FRAMES,
    MB_TXXX,
    MP4_KEYS,
    VORBIS_KEYS,
)
from ..models import LibraryFile

__all__ = [
    "fill_from_lean",
    "fill_tags",
    "from_keys",
    "id3_values",
    "mp4_text",
    "set_properties",
    "vorbis_dict",
]

_LEADING_INT = re.compile(r"\s*(\d+)")
_MAX_DIGITS = 18  # every such number fits SQLite's signed 64-bit integer
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ARTIST_JOIN = "; "


def fill_from_lean(file: LibraryFile, info: FastInfo) -> None:
    """Fill `file` from what a lean reader returned."""
    file.file_format, file.codec, file.is_lossless = info.file_format, info.codec, info.is_lossless
    set_properties(
        file, info.length, info.sample_rate, info.channels, info.bits_per_sample, info.bitrate
    )
    file.bitrate_mode = info.bitrate_mode
    if info.vorbis is not None:
        values = from_keys(info.vorbis, VORBIS_KEYS, str)
    elif info.id3 is not None:
        values = id3_values(info.id3.get, info.id3_ufid)
    elif info.mp4 is not None:
        values = from_keys(info.mp4, MP4_KEYS, mp4_text)
    elif info.ape is not None:
        values = from_keys(info.ape, APE_KEYS_LOWER, str)
    elif info.asf is not None:
        values = from_keys(info.asf, ASF_KEYS, str)
    else:
        values = {}
    if not values and info.fallback is not None:
        values = info.fallback()
    fill_tags(file, values)


def fill_tags(file: LibraryFile, values: dict[str, str]) -> None:
    file.artist = values.get("artist")
    file.title = values.get("title")
    file.album = values.get("album")
    file.album_artist = values.get("album_artist")
    file.genre = values.get("genre")
    file.track_number = _leading_int(values.get("track"))
    file.disc_number = _leading_int(values.get("disc"))
    file.year = _year(values.get("date"))
    file.musicbrainz_recording_id = values.get("mbid")


def set_properties(
    file: LibraryFile, length: Any, rate: Any, channels: Any, bits: Any, bitrate: Any
) -> None:
    """Audio properties as a LibraryFile keeps them: zero means unknown (None)."""
    file.duration = float(length) if length else None
    file.sample_rate = int(rate) if rate else None
    file.channels = int(channels) if channels else None
    file.bits_per_sample = int(bits) if bits else None
    file.bitrate = round(bitrate / 1000) if bitrate else None


def id3_values(texts: Callable[[str], list[str] | None], ufid: bytes | None) -> dict[str, str]:
    """The fields from ID3 frames: `texts(key)` is a frame's text values (None if absent)."""
    values: dict[str, str] = {}
    for field, frame_id in ID3_FRAMES.items():
        found = texts(frame_id)
        if found:
            kept = [t for t in found if t]
            if kept:
                values[field] = _join(field, kept)
    for frame_id in ("TDRC", "TYER", "TDOR", "TORY"):
        found = texts(frame_id)
        if found:
            values["date"] = found[0]
            break
    if ufid:
        values["mbid"] = ufid.decode("ascii", "replace")
    else:
        for key in MB_TXXX:
            found = texts(key)
            if found:
                values["mbid"] = found[0]
                break
    return values


def from_keys(
    tags: Any, keys: dict[str, tuple[str, ...]], text: Callable[[Any], str]
) -> dict[str, str]:
    """The fields from a mapping of tag keys to values (`tags.get(key)`: a value or a list)."""
    values: dict[str, str] = {}
    if tags is None:
        return values
    get = tags.get
    for field, names in keys.items():
        for name in names:
            found = get(name)
            if not found:
                continue
            if type(found) is not list:
                found = [found]
            if len(found) == 1:  # the common case, without building a list
                part = text(found[0])
                if part:
                    values[field] = part
                    break
                continue
            parts = [t for t in map(text, found) if t]
            if parts:
                values[field] = parts[0] if len(parts) == 1 else _join(field, parts)
                break
    return values


def _join(field: str, texts: list[str]) -> str:
    """Several values of one tag: artists joined with "; ", numbers take the first."""
    if field in ("track", "disc", "date", "mbid"):
        return texts[0]
    return (_ARTIST_JOIN if field in ("artist", "album_artist") else "/").join(texts)


def vorbis_dict(comments: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Vorbis comments by lower-cased key, in one pass (mutagen's own lookup scans them all
    for every key)."""
    found: dict[str, list[str]] = {}
    for key, value in comments:
        found.setdefault(key.lower(), []).append(value)
    return found


def mp4_text(value: Any) -> str:
    if isinstance(value, tuple):  # trkn / disk: (number, total)
        return str(value[0]) if value and value[0] else ""
    if isinstance(value, bytes):  # freeform atoms
        return value.decode("utf-8", "replace")
    return str(value)


def _leading_int(text: str | None) -> int | None:
    if not text:
        return None
    number = text.partition("/")[0]  # "3" and "3/12", the common cases, as the pattern reads
    if number.isdecimal():
        return int(number) if len(number) <= _MAX_DIGITS else None
    match = _LEADING_INT.match(text)
    if match is None or len(match.group(1)) > _MAX_DIGITS:
        return None  # a number no database column holds: no value rather than no file
    return int(match.group(1))


def _year(text: str | None) -> int | None:
    if not text:
        return None
    if len(text) == 4 and text.isdecimal():  # the common case, as the pattern reads it
        return int(text)
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None
