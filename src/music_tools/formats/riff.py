"""WAV and AIFF: RIFF/WAVE (little-endian) and IFF/AIFF (big-endian) chunks. The walk (the
top-level chunks), the damage check (a chunk declaring more than the file holds), the payload
(the `data` or `SSND` chunk), the lean readers, and the RIFF INFO list some WAV files carry
instead of ID3.

The lean readers read the format chunk, the audio chunk's size and the ID3 chunk as mutagen
reads them: it walks the top-level chunks of the RIFF or FORM container (sizes as declared,
even past the end of a cut file) and takes the first chunk of each id; so do they. WAV's
length is the `data` size over the block alignment, AIFF's the COMM frame count over its
80-bit rate; the bitrate is channels x bits x rate for both. Tags come from the ID3 chunk
(`id3 ` or `ID3 ` in WAV, `ID3 ` in AIFF); an ID3v1 tag at the end counts only when that
chunk exists, as in mutagen.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from functools import partial

from ..util import human_size
from .apev2 import may_have_ape
from .container import Container, Payload
from .id3 import read_id3
from .info import FastInfo, read_bytes
from .raw import id3v2_end, raw_payload, strip_trailing_tags
from .window import FileWindow, HasFileno

__all__ = [
    "AIFF",
    "STREAMED",
    "WAV",
    "Chunk",
    "ReadAt",
    "SizedChunk",
    "container_chunks",
    "is_streamed_data",
    "iter_chunks",
    "read_riff_info",
    "streamed_length",
    "streamed_wav_length",
    "top_chunks",
]

Chunk = tuple[bytes, int, int]
"""(four-character id, offset of the chunk's data, size of the data)"""

SizedChunk = tuple[bytes, int, int, bytes]
"""A Chunk and its size field as stored (four bytes, in the container's byte order)"""

ReadAt = Callable[[int, int], bytes]
"""read(offset, size) -> bytes: a file, or a cached window over one."""

_INFO_FIELDS = {
    b"IART": "artist",
    b"INAM": "title",
    b"IPRD": "album",
    b"ICRD": "date",
    b"IGNR": "genre",
    b"ITRK": "track",
    b"IPRT": "track",
}


def iter_chunks(read: ReadAt, start: int, end: int, big_endian: bool) -> Iterator[Chunk]:
    """The chunks between `start` and `end`; stops at the first one that runs past the end."""
    for chunk_id, data, present, _ in _sized_chunks(read, start, end, big_endian):
        yield chunk_id, data, present


def container_chunks(read: ReadAt, file_size: int) -> Iterator[Chunk]:
    """The top-level chunks of a RIFF/WAVE or FORM/AIFF file (none for anything else)."""
    for chunk_id, data, present, _ in _top_level(read, file_size):
        yield chunk_id, data, present


def top_chunks(window: FileWindow) -> list[SizedChunk]:
    """`container_chunks` of the file in `window`, each with its size field as stored: the
    walk, for the damage check and the payload."""
    return list(_top_level(window.read, window.size))


def _top_level(read: ReadAt, file_size: int) -> Iterator[SizedChunk]:
    head = read(0, 12)
    if len(head) < 12:
        return iter(())
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        streamed = head[4:8] == STREAMED
        return _sized_chunks(read, 12, file_size, big_endian=False, streamed=streamed)
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _sized_chunks(read, 12, file_size, big_endian=True)
    return iter(())


#: the size a writer that cannot seek back (ffmpeg into a pipe) leaves in a WAV's RIFF and
#: data headers: the data runs to the end of the file
STREAMED = b"\xff\xff\xff\xff"


def is_streamed_data(chunk: SizedChunk, streamed: bool) -> bool:
    """Whether `chunk` is a WAV's `data` chunk whose size was never filled in: 0xFFFFFFFF,
    or 0 under a RIFF size of 0xFFFFFFFF (`streamed`)."""
    return chunk[0] == b"data" and (chunk[3] == STREAMED or (streamed and chunk[3] == b"\0\0\0\0"))


def _sized_chunks(
    read: ReadAt, start: int, end: int, big_endian: bool, streamed: bool = False
) -> Iterator[SizedChunk]:
    unpack = (_BIG if big_endian else _LITTLE).unpack
    offset = start
    while offset + 8 <= end:
        header = read(offset, 8)
        if len(header) < 8:
            return
        chunk_id, size = unpack(header)
        data = offset + 8
        chunk = (chunk_id, data, min(size, max(0, end - data)), header[4:8])
        if not big_endian and is_streamed_data(chunk, streamed):
            yield chunk_id, data, max(0, end - data), header[4:8]
            return
        yield chunk
        if data + size > end:
            return
        offset = data + size + (size & 1)  # chunks are padded to an even length


_BIG, _LITTLE = struct.Struct(">4sI"), struct.Struct("<4sI")


def read_riff_info(fileobj: HasFileno) -> dict[str, str]:
    """Tag values from a WAV file's LIST/INFO chunk (empty when there is none)."""
    fd = fileobj.fileno()

    def read(offset: int, size: int) -> bytes:
        return os.pread(fd, size, offset)

    values: dict[str, str] = {}
    for chunk_id, data, length in container_chunks(read, os.fstat(fd).st_size):
        if chunk_id != b"LIST" or length < 4 or read(data, 4) != b"INFO":
            continue
        for sub_id, sub_data, sub_len in iter_chunks(read, data + 4, data + length, False):
            field = _INFO_FIELDS.get(sub_id)
            if field is None or field in values:
                continue
            text = _decode(read(sub_data, min(sub_len, 4096)))
            if text:
                values[field] = text
    return values


def streamed_wav_length(fileobj: HasFileno) -> float | None:
    """`streamed_length` of an open file (for the mutagen path, which reads such a WAV's
    placeholder as its data size: 24,347 s for 2 s of audio)."""
    fd = fileobj.fileno()

    def read(offset: int, size: int) -> bytes:
        return os.pread(fd, size, offset)

    return streamed_length(read, os.fstat(fd).st_size)


def streamed_length(read: ReadAt, file_size: int) -> float | None:
    """The length of a WAV whose data size was never filled in (see STREAMED): the data to
    the end of the file over the format chunk's block align and rate; None for any other
    file (the first chunk of each id counts, as mutagen takes it)."""
    streamed = read(4, 4) == STREAMED
    fmt: SizedChunk | None = None
    for chunk in _top_level(read, file_size):
        if chunk[0] == b"fmt " and fmt is None:
            fmt = chunk
        elif chunk[0] == b"data":
            if fmt is None or not is_streamed_data(chunk, streamed):
                return None
            fields = read(fmt[1], _WAVE_FORMAT.size)
            if fmt[2] < _WAVE_FORMAT.size or len(fields) < _WAVE_FORMAT.size:
                return None
            _, _, rate, _, align, _ = _WAVE_FORMAT.unpack(fields)
            return chunk[2] / align / rate if align > 0 and rate > 0 else None
    return None


def _decode(raw: bytes) -> str:
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


# -- the lean readers ----------------------------------------------------------------------

_WAVE_FORMAT = struct.Struct("<HHLLHH")
_AIFF_COMMON = struct.Struct(">hLhHQ")
_Chunks = dict[str, tuple[int, int]]  # id (trailing spaces stripped) -> (data offset, data size)


def read_wav(window: FileWindow, layout: object) -> FastInfo | None:
    chunks = _chunks(window, "<I", (b"RIFF", b"LIST"))
    fmt = _fields(window, chunks, "fmt", _WAVE_FORMAT)
    if chunks is None or fmt is None:
        return None
    _, channels, rate, _, align, bits = fmt
    samples = chunks["data"][1] / align if align > 0 and "data" in chunks else 0
    length = samples / rate if rate > 0 else 0.0
    if "data" in chunks and chunks["data"][1] in (0, 0xFFFF_FFFF):  # streamed, perhaps
        length = streamed_length(window.read, window.size) or length
    id3_chunk = min((chunks[k] for k in ("id3", "ID3") if k in chunks), default=None)
    info = _with_tags(window, "wav", length, rate, channels, bits, id3_chunk)
    if info is not None:  # WAV files tagged only with RIFF INFO, read as the mutagen path does
        info.fallback = partial(read_riff_info, window.fileobj)
    return info


def read_aiff(window: FileWindow, layout: object) -> FastInfo | None:
    chunks = _chunks(window, ">I", (b"FORM",))
    comm = _fields(window, chunks, "COMM", _AIFF_COMMON)
    if chunks is None or comm is None:
        return None
    channels, frames, bits, exponent, mantissa = comm
    rate = _extended_rate(exponent, mantissa)
    if rate is None:
        return None
    length = frames / float(rate) if rate else 0
    return _with_tags(window, "aiff", length, rate, channels, bits, chunks.get("ID3"))


def _fields(
    window: FileWindow, chunks: _Chunks | None, name: str, layout: struct.Struct
) -> tuple[int, ...] | None:
    """The fields at the start of the first chunk `name`; None if absent or too short."""
    if chunks is None or name not in chunks:
        return None
    offset, size = chunks[name]
    data = read_bytes(window, offset, layout.size)
    return layout.unpack(data) if size >= layout.size and len(data) == layout.size else None


def _with_tags(
    window: FileWindow,
    file_format: str,
    length: float,
    rate: int,
    channels: int,
    bits: int,
    id3_chunk: tuple[int, int] | None,
) -> FastInfo | None:
    info = FastInfo(file_format, "pcm", True, length, rate, channels, bits, channels * bits * rate)
    if id3_chunk is not None:
        tags = read_id3(window, id3_chunk[0])
        if tags is None:
            return None
        if tags.present:
            info.id3, info.id3_ufid = tags.frames, tags.ufid
    return None if may_have_ape(window) else info


def _chunks(window: FileWindow, size_format: str, containers: tuple[bytes, ...]) -> _Chunks | None:
    """The first chunk of each id, walked as mutagen's IffFile walks; None if unsure."""
    header = read_bytes(window, 0, 12)
    unpack = struct.Struct(size_format).unpack
    (root_size,) = unpack(header[4:8]) if len(header) == 12 else (0,)
    if root_size < 4:
        return None
    end = 8 + root_size + (root_size & 1)
    chunks: _Chunks = {}
    position = 12
    while position < end:
        header = read_bytes(window, position, 8)
        if len(header) < 8 or not header[:4].isascii():
            break
        name = header[:4].decode("ascii").rstrip()
        if not name or min(name) < " " or max(name) > "~":
            break
        (size,) = unpack(header[4:8])
        if header[:4] in containers:
            if size < 4:
                break
            if not read_bytes(window, position + 8, 4).isascii():
                return None  # mutagen fails on a container name that is not ASCII
        chunks.setdefault(name, (position + 8, size))
        position += 8 + size + (size & 1)
    return chunks


def _extended_rate(exponent: int, mantissa: int) -> int | None:
    """int() of an AIFF 80-bit float sample rate as mutagen reads it; None where it refuses."""
    sign = 1
    if exponent & 0x8000:
        sign, exponent = -1, exponent & 0x7FFF
    if exponent == 0x7FFF:
        return None
    if exponent == 0 and mantissa == 0:
        return 0
    try:
        rate = int(sign * (mantissa * pow(2.0, exponent - 16383 - 63)))
    except OverflowError:
        return None
    return rate if rate >= 0 else None


# -- the damage check and the payload ---------------------------------------------------------


def _chunk_damage(
    window: FileWindow, chunks: list[SizedChunk], wanted: bytes, name: str
) -> str | None:
    """A chunk that declares more than the file holds (the audio, or any other chunk a
    parser would read whole), or no audio chunk at all. Tags appended after the last chunk
    (ID3v1, APEv2: mutagen reads past them) and a streamed WAV's data (see STREAMED) are no
    such chunk."""
    found = False
    layout = "<I" if name == "WAV" else ">I"
    streamed = name == "WAV" and window.read(4, 4) == STREAMED
    for chunk in chunks:
        chunk_id, data, present, size_field = chunk
        declared = struct.unpack(layout, size_field)[0]
        if declared > present + 1 and not is_streamed_data(chunk, streamed):  # a pad byte may go
            if data - 8 - strip_trailing_tags(window, 12, window.size) in (0, 1):
                break  # a tag appended after the chunks (a missing pad byte before it)
            what = "of audio" if chunk_id == wanted else f"in its {_printable(chunk_id)} chunk"
            return (
                f"damaged {name}: {human_size(declared)} {what} declared, "
                f"{human_size(present)} present (truncated?)"
            )
        found = found or chunk_id == wanted
    return None if found else f"damaged {name}: no audio data (truncated?)"


def _printable(chunk_id: bytes) -> str:
    return repr(chunk_id.decode("latin-1"))


def _audio_chunk(window: FileWindow, chunks: list[SizedChunk], wanted: bytes) -> Payload:
    chunk = next((c for c in chunks if c[0] == wanted), None)
    if chunk is None:
        return raw_payload(window, chunks)
    return Payload(((chunk[1], chunk[1] + chunk[2]),))


def _wav_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
    return _chunk_damage(window, chunks, b"data", "WAV") or _format_damage(window, chunks)


def _aiff_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
    return _chunk_damage(window, chunks, b"SSND", "AIFF") or _frames_damage(window, chunks)


#: WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT: samples stored whole, so block align and byte
#: rate follow from channels, bits and rate (compressed formats have rules of their own)
_PCM_TAGS = (1, 3)
_EXTENSIBLE = 0xFFFE


def _format_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
    """A PCM or float `fmt ` chunk that contradicts itself: a block align other than its
    channels x bytes per sample, or a byte rate other than its rate x block align. A copy
    whose rate was changed so reads as another, "better", stream (the first `fmt ` counts,
    as mutagen takes it)."""
    chunk = next((c for c in chunks if c[0] == b"fmt "), None)
    if chunk is None or chunk[2] < _WAVE_FORMAT.size:
        return None
    tag, channels, rate, byte_rate, align, bits = _WAVE_FORMAT.unpack(
        window.read(chunk[1], _WAVE_FORMAT.size)
    )
    if tag == _EXTENSIBLE and chunk[2] >= 26:  # the sub-format's tag opens its GUID
        tag = int.from_bytes(window.read(chunk[1] + 24, 2), "little")
    if tag not in _PCM_TAGS:
        return None
    if channels == 0 or rate == 0 or bits == 0:
        return (
            f"damaged WAV: its format chunk declares {channels} channels of {bits} bits "
            f"at {rate} Hz"
        )
    if align != channels * ((bits + 7) // 8):
        return (
            f"damaged WAV: a block align of {align} bytes in its format chunk, where "
            f"{channels} channels of {bits} bits take {channels * ((bits + 7) // 8)}"
        )
    if byte_rate != rate * align:
        return (
            f"damaged WAV: a byte rate of {byte_rate:,} in its format chunk, where "
            f"{rate:,} Hz x {align} bytes make {rate * align:,}"
        )
    return None


#: AIFF-C compression types that store samples whole (as AIFF does)
_AIFC_PCM = (
    b"NONE",
    b"sowt",
    b"twos",
    b"raw ",
    b"fl32",
    b"FL32",
    b"fl64",
    b"FL64",
    b"in24",
    b"in32",
)


def _frames_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
    """A COMM chunk that declares more sample frames than the SSND chunk holds: its length
    would read longer than the audio there is (the first of each chunk counts)."""
    comm = next((c for c in chunks if c[0] == b"COMM"), None)
    ssnd = next((c for c in chunks if c[0] == b"SSND"), None)
    if comm is None or ssnd is None or comm[2] < 18 or ssnd[2] < 8:
        return None
    fields = window.read(comm[1], 22 if comm[2] >= 22 else 18)
    channels, frames, bits = struct.unpack(">hLh", fields[:8])
    if window.read(8, 4) == b"AIFC" and fields[18:22] not in _AIFC_PCM:
        return None
    frame = max(0, channels) * ((max(0, bits) + 7) // 8)
    offset = int.from_bytes(window.read(ssnd[1], 4), "big")
    held = max(0, ssnd[2] - 8 - offset)
    if frame == 0 or frames * frame <= held + frame:
        return None
    return (
        f"damaged AIFF: {frames:,} sample frames declared, its sound data holds "
        f"{held // frame:,} (truncated?)"
    )


def _wav_audio(window: FileWindow, chunks: list[SizedChunk]) -> Payload:
    return _audio_chunk(window, chunks, b"data")


def _aiff_audio(window: FileWindow, chunks: list[SizedChunk]) -> Payload:
    return _audio_chunk(window, chunks, b"SSND")


WAV = Container(top_chunks, _wav_damage, _wav_audio, id3v2_end, read_wav, head_first=True)
AIFF = Container(top_chunks, _aiff_damage, _aiff_audio, id3v2_end, read_aiff, head_first=True)
