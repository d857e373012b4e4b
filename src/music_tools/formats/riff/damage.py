"""The WAV and AIFF damage checks: a chunk declaring more than the file holds, a format
chunk that contradicts itself, a COMM declaring more frames than the SSND holds."""

from __future__ import annotations

import struct

from ...util import human_size
from ..raw import strip_trailing_tags
from ..window import FileWindow
from .chunks import STREAMED, WAVE_FORMAT, SizedChunk, is_streamed_data

__all__ = ["aiff_damage", "wav_damage"]


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


def wav_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
    return _chunk_damage(window, chunks, b"data", "WAV") or _format_damage(window, chunks)


def aiff_damage(window: FileWindow, chunks: list[SizedChunk]) -> str | None:
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
    if chunk is None or chunk[2] < WAVE_FORMAT.size:
        return None
    tag, channels, rate, byte_rate, align, bits = WAVE_FORMAT.unpack(
        window.read(chunk[1], WAVE_FORMAT.size)
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
