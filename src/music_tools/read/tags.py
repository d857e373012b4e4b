"""Tags and audio properties through mutagen: the only module that imports it.

`read_tags(opened, ...)` fills a LibraryFile's tag and audio-property fields; it never
decodes audio. The mutagen class is chosen by the file's magic bytes, then by its extension
(a handful of candidates to score instead of two dozen), with mutagen's full guess as the
fallback for misnamed files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, BinaryIO

import mutagen
from mutagen.aac import AAC
from mutagen.ac3 import AC3
from mutagen.aiff import AIFF
from mutagen.apev2 import APEv2
from mutagen.asf import ASF
from mutagen.dsdiff import DSDIFF
from mutagen.dsf import DSF
from mutagen.flac import FLAC
from mutagen.id3 import ID3, ID3FileType
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.musepack import Musepack
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.optimfrog import OptimFROG
from mutagen.tak import TAK
from mutagen.trueaudio import TrueAudio
from mutagen.wave import WAVE
from mutagen.wavpack import WavPack

from ..formats.ogg.reader import OggInfo, read_ogg
from ..formats.riff import read_riff_info
from ..formats.sniff import EXTENSION_KINDS
from ..formats.tag_fields import (
    APE_KEYS_LOWER,
    ASF_KEYS,
    ID3_FRAMES,
    MB_TXXX,
    MP4_KEYS,
    VORBIS_KEYS,
)
from ..formats.window import FileWindow, HasFileno, OpenFile
from ..models import LibraryFile
from .fast import FastInfo, fast_kind, fast_reading, read_fast

__all__ = ["MutagenError", "NotAudioError", "read_tags"]

MutagenError = mutagen.MutagenError


class NotAudioError(Exception):
    """mutagen recognised no audio format in the file."""


_CLASSES: dict[str, Any] = {
    "mp3": MP3,
    "flac": FLAC,
    "vorbis": OggVorbis,
    "opus": OggOpus,
    "oggflac": OggFLAC,
    "speex": OggSpeex,
    "m4a": MP4,
    "aac": AAC,
    "wav": WAVE,
    "aiff": AIFF,
    "wma": ASF,
    "ape": MonkeysAudio,
    "wv": WavPack,
    "mpc": Musepack,
    "dsf": DSF,
    "dff": DSDIFF,
    "tta": TrueAudio,
    "ofr": OptimFROG,
    "tak": TAK,
    "ac3": AC3,
}
_CANDIDATES: dict[str, list[Any]] = {
    extension: [_CLASSES[kind] for kind in kinds] for extension, kinds in EXTENSION_KINDS.items()
}

# Per mutagen class: (file_format, codec, lossless). MP4, ASF and MP3 refine the codec below.
_KINDS: dict[type, tuple[str, str, bool]] = {
    MP3: ("mp3", "mp3", False),
    FLAC: ("flac", "flac", True),
    OggVorbis: ("ogg", "vorbis", False),
    OggOpus: ("opus", "opus", False),
    OggFLAC: ("ogg", "flac", True),
    OggSpeex: ("ogg", "speex", False),
    MP4: ("m4a", "aac", False),
    AAC: ("aac", "aac", False),
    WAVE: ("wav", "pcm", True),
    AIFF: ("aiff", "pcm", True),
    ASF: ("wma", "wma", False),
    MonkeysAudio: ("ape", "ape", True),
    WavPack: ("wv", "wavpack", True),
    Musepack: ("mpc", "musepack", False),
    DSF: ("dsf", "dsd", True),
    DSDIFF: ("dff", "dsd", True),
    TrueAudio: ("tta", "tta", True),
    OptimFROG: ("ofr", "optimfrog", True),
    TAK: ("tak", "tak", True),
    AC3: ("ac3", "ac3", False),
}

_LEADING_INT = re.compile(r"\s*(\d+)")
_MAX_DIGITS = 18  # every such number fits SQLite's signed 64-bit integer
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ARTIST_JOIN = "; "


def read_tags(
    opened: OpenFile,
    file: LibraryFile,
    extension: str,
    kind: str | None,
    window: FileWindow,
) -> int | None:
    """Fill `file`'s tag and audio-property fields from the file `opened`.

    `kind` is what the file's first bytes say it is (formats.sniff), None when they say
    nothing clear; Ogg Vorbis and Opus are read by our own parser through `window`.
    The common formats go through the lean readers of `read.fast` first (unless
    MUSIC_TOOLS_FAST_READ=0); whatever they step aside from is read by mutagen.
    Returns the MD5 of the decoded audio that a FLAC STREAMINFO carries (None when absent
    or zero). Raises NotAudioError when no format is recognised; mutagen's own errors pass.
    """
    reader = fast_kind(kind, extension)
    if reader is not None and fast_reading():
        fast = read_fast(window, reader)
        if fast is not None:
            _fill_from_fast(file, fast, opened)
            return fast.md5
    if kind in ("vorbis", "opus"):
        info = read_ogg(window)
        if info is not None:
            _fill_from_ogg(file, info)
            return None
    fileobj = opened.buffered
    audio = _open(fileobj, extension, _CLASSES.get(kind or ""))
    parser = type(audio)
    file.file_format, file.codec, file.is_lossless = _KINDS.get(
        parser, (parser.__name__, "", False)
    )
    _fill_properties(file, audio)
    _fill_tags(file, _tag_values(audio, fileobj))
    md5 = getattr(audio.info, "md5_signature", None) if parser is FLAC else None
    return md5 or None


def _fill_tags(file: LibraryFile, values: dict[str, str]) -> None:
    file.artist = values.get("artist")
    file.title = values.get("title")
    file.album = values.get("album")
    file.album_artist = values.get("album_artist")
    file.genre = values.get("genre")
    file.track_number = _leading_int(values.get("track"))
    file.disc_number = _leading_int(values.get("disc"))
    file.year = _year(values.get("date"))
    file.musicbrainz_recording_id = values.get("mbid")


def _fill_from_ogg(file: LibraryFile, info: OggInfo) -> None:
    file.file_format = "ogg" if info.codec == "vorbis" else info.codec
    file.codec, file.is_lossless = info.codec, False
    file.duration = info.length or None
    file.sample_rate, file.channels = info.sample_rate or None, info.channels or None
    file.bitrate = round(info.bitrate / 1000) if info.bitrate else None
    _fill_tags(file, _from_keys(info.comments, VORBIS_KEYS, str))


def _fill_from_fast(file: LibraryFile, info: FastInfo, opened: HasFileno) -> None:
    file.file_format, file.codec, file.is_lossless = info.file_format, info.codec, info.is_lossless
    _set_properties(
        file, info.length, info.sample_rate, info.channels, info.bits_per_sample, info.bitrate
    )
    if info.vorbis is not None:
        values = _from_keys(_vorbis_dict(info.vorbis), VORBIS_KEYS, str)
    elif info.id3 is not None:
        values = _id3_values(info.id3.get, info.id3_ufid)
    elif info.mp4 is not None:
        values = _from_keys(info.mp4, MP4_KEYS, _mp4_text)
    elif info.ape is not None:
        values = _from_keys(info.ape, APE_KEYS_LOWER, str)
    elif info.asf is not None:
        values = _from_keys(info.asf, ASF_KEYS, str)
    else:
        values = {}
    if not values and info.file_format == "wav":
        values = read_riff_info(opened)  # as _tag_values: WAV files tagged only with RIFF INFO
    _fill_tags(file, values)


def _open(fileobj: BinaryIO, extension: str, sniffed: Any) -> Any:
    if sniffed is not None:
        return sniffed(fileobj)
    candidates = _CANDIDATES.get(extension, [])
    if candidates:
        try:
            audio = mutagen.File(fileobj, options=candidates)
        except MutagenError as exc:
            failure: MutagenError | None = exc
        else:
            if audio is not None:
                return audio
            failure = None
        # Named for one format, maybe another: let mutagen guess among the rest.
        fileobj.seek(0)
        try:
            audio = mutagen.File(fileobj, options=[k for k in _KINDS if k not in candidates])
        except MutagenError:
            audio = None
        if audio is not None:
            return audio
        if failure is not None:
            raise failure
        raise NotAudioError
    audio = mutagen.File(fileobj, options=list(_KINDS))
    if audio is None:
        raise NotAudioError
    return audio


def _fill_properties(file: LibraryFile, audio: Any) -> None:
    info = audio.info
    rate = getattr(info, "sample_rate", None) or (48_000 if isinstance(audio, OggOpus) else None)
    _set_properties(
        file,
        getattr(info, "length", None),
        rate,
        getattr(info, "channels", None),
        getattr(info, "bits_per_sample", None),
        getattr(info, "bitrate", None),
    )
    if isinstance(audio, MP4):
        codec = str(getattr(info, "codec", ""))
        lossless = codec == "alac"
        file.codec, file.is_lossless = (
            ("alac" if lossless else codec.split(".")[0] or "aac"),
            lossless,
        )
        if file.codec == "mp4a":
            file.codec = "aac"
    elif isinstance(audio, ASF):
        name = str(getattr(info, "codec_name", "")).lower()
        file.is_lossless = "lossless" in name
        file.codec = "wmalossless" if file.is_lossless else "wma"
    elif isinstance(audio, AC3):
        file.codec = str(getattr(info, "codec", "ac-3")).replace("-", "")
    elif isinstance(audio, MP3) and getattr(info, "layer", 3) != 3:
        file.codec = f"mp{info.layer}"


def _set_properties(
    file: LibraryFile, length: Any, rate: Any, channels: Any, bits: Any, bitrate: Any
) -> None:
    """Audio properties as a LibraryFile keeps them: zero means unknown (None)."""
    file.duration = float(length) if length else None
    file.sample_rate = int(rate) if rate else None
    file.channels = int(channels) if channels else None
    file.bits_per_sample = int(bits) if bits else None
    file.bitrate = round(bitrate / 1000) if bitrate else None


def _tag_values(audio: Any, fileobj: BinaryIO) -> dict[str, str]:
    tags = audio.tags
    if isinstance(tags, ID3):
        values = _from_id3(tags)
    elif isinstance(audio, MP4):
        values = _from_keys(tags, MP4_KEYS, _mp4_text)
    elif isinstance(audio, ASF):
        values = _from_keys(tags, ASF_KEYS, str)
    elif isinstance(tags, APEv2):
        values = _from_keys(_ape_dict(tags), APE_KEYS_LOWER, _ape_text)
    elif isinstance(tags, list):  # Vorbis comments: a list of (key, value) pairs
        values = _from_keys(_vorbis_dict(tags), VORBIS_KEYS, str)
    else:
        values = {}
    if not values and isinstance(audio, ID3FileType | WAVE | AIFF | DSF):
        values = _trailing_ape(fileobj)  # e.g. an MP3 tagged with APEv2 only
    if isinstance(audio, WAVE) and not values:
        values = read_riff_info(fileobj)  # WAV files tagged only with RIFF INFO
    return values


def _from_id3(tags: Any) -> dict[str, str]:
    def texts(frame_id: str) -> list[str] | None:
        frame = tags.get(frame_id)
        return None if frame is None else [str(t) for t in frame.text]

    ufid = tags.get("UFID:http://musicbrainz.org")
    return _id3_values(texts, ufid.data if ufid is not None else None)


def _id3_values(texts: Callable[[str], list[str] | None], ufid: bytes | None) -> dict[str, str]:
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


def _from_keys(
    tags: Any, keys: dict[str, tuple[str, ...]], text: Callable[[Any], str]
) -> dict[str, str]:
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


def _vorbis_dict(comments: list[tuple[str, str]]) -> dict[str, list[str]]:
    """One pass over the comments; mutagen's own lookup scans them all for every key."""
    found: dict[str, list[str]] = {}
    for key, value in comments:
        found.setdefault(key.lower(), []).append(value)
    return found


def _mp4_text(value: Any) -> str:
    if isinstance(value, tuple):  # trkn / disk: (number, total)
        return str(value[0]) if value and value[0] else ""
    if isinstance(value, bytes):  # freeform atoms
        return value.decode("utf-8", "replace")
    return str(value)


def _ape_text(value: Any) -> str:
    if getattr(value, "kind", 0) != 0:  # binary or external APE item
        return ""
    return "; ".join(str(value).split("\x00"))


def _ape_dict(tags: Any) -> dict[str, Any]:
    """APEv2 items under lower-cased keys.

    mutagen keeps exactly that dict inside its case-insensitive proxy; reading it directly
    saves a Python-level lookup per key. Should a mutagen release rename it, one pass over
    the public mapping gives the same dict.
    """
    inner = getattr(tags, "_CIDictProxy__dict", None)
    if isinstance(inner, dict):
        return inner
    return {key.lower(): tags[key] for key in tags.keys()}  # noqa: SIM118 (a mapping API)


def _trailing_ape(fileobj: BinaryIO) -> dict[str, str]:
    fileobj.seek(0)
    try:
        ape: Any = APEv2(fileobj)  # type: ignore[no-untyped-call]
    except MutagenError:
        return {}
    return _from_keys(_ape_dict(ape), APE_KEYS_LOWER, _ape_text)


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
