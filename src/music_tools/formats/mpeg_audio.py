"""MPEG audio frames: the one parser of their 4-byte headers and of the VBR headers (Xing,
Info, VBRI) that a stream's first frame may carry.

The lean MP3 reader takes the length and bitrate from them; the damage check takes the
frame and byte counts, to tell a stream cut short from a whole one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

__all__ = ["FrameHeader", "VbrCounts", "frame_header", "smallest_frame", "vbr_counts"]

_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES[(2, 3)] = _BITRATES[(2, 2)]
_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}
_VERSIONS = (25, None, 2, 1)  # by the header's two version bits; 25 stands for MPEG 2.5
_VBRI_AT = 36  # a VBRI header's offset from the frame's start, whatever the mode
#: a Xing/Info header's offset from the frame's start: [MPEG 1?][mono?]
_XING_AT = ((21, 13), (36, 21))


class FrameHeader(NamedTuple):
    """One frame's header, decoded: what its four bytes say about the frame."""

    version: int  # 1, 2, or 25 for MPEG 2.5
    layer: int
    bitrate: int  # bit/s
    sample_rate: int
    channels: int
    samples: int  # per frame
    length: int  # bytes, padding included
    xing_at: int  # where a Xing/Info header would start, from the frame's start


class VbrCounts(NamedTuple):
    """A VBR header's counts; None where its flags leave one out."""

    tag: bytes  # b"Xing", b"Info" or b"VBRI"
    frames: int | None
    stream_bytes: int | None
    end: int  # where the Xing fields end, from the frame's start (a LAME header follows)


@lru_cache(maxsize=1024)
def frame_header(header: bytes) -> FrameHeader | None:
    """The frame whose header is `header` (its 4 bytes), or None when they are no valid
    header (free-format frames, bitrate index 0, included: their length is not in the
    header). Remembered: a library's files repeat a few dozen headers."""
    if len(header) != 4:
        return None
    bits = int.from_bytes(header, "big")
    if bits >> 21 != 0x7FF:
        return None
    version = _VERSIONS[bits >> 19 & 3]
    layer_bits, rate_index, bitrate_index = bits >> 17 & 3, bits >> 10 & 3, bits >> 12 & 15
    if version is None or layer_bits == 0 or rate_index == 3 or bitrate_index in (0, 15):
        return None
    layer, padding, mode = 4 - layer_bits, bits >> 9 & 1, bits >> 6 & 3
    bitrate = _BITRATES[(min(version, 2), layer)][bitrate_index] * 1000
    sample_rate = _RATES[version][rate_index]
    samples, slot = _frame_samples(version, layer)
    length = ((samples // 8 * bitrate) // sample_rate + padding) * slot
    xing_at = _XING_AT[version == 1][mode == 3]
    channels = 1 if mode == 3 else 2
    return FrameHeader(version, layer, bitrate, sample_rate, channels, samples, length, xing_at)


def _frame_samples(version: int, layer: int) -> tuple[int, int]:
    """(samples per frame, bytes per slot)."""
    if layer == 1:
        return 384, 4
    if version != 1 and layer == 3:
        return 576, 1
    return 1152, 1


def smallest_frame(frame: FrameHeader) -> int:
    """The fewest bytes any Layer III frame of this frame's stream can take: the lowest
    bitrate of its version at its sample rate, without padding (a VBR stream's frames vary
    in bitrate, never in version, layer or rate)."""
    lowest = _BITRATES[(min(frame.version, 2), 3)][1] * 1000
    return (frame.samples // 8 * lowest) // frame.sample_rate


def vbr_counts(data: bytes, frame: FrameHeader) -> VbrCounts | None:
    """The Xing/Info header at its place in the frame whose bytes start `data`, else a VBRI
    header at its own; None when there is neither, or the Xing fields run past `data`."""
    at = frame.xing_at
    tag = data[at : at + 4]
    if tag in (b"Xing", b"Info"):
        flags = int.from_bytes(data[at + 4 : at + 8], "big")
        position, frames, size = at + 8, None, None
        if flags & 1:
            frames, position = int.from_bytes(data[position : position + 4], "big"), position + 4
        if flags & 2:
            size, position = int.from_bytes(data[position : position + 4], "big"), position + 4
        position += (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
        return VbrCounts(tag, frames, size, position) if position <= len(data) else None
    if data[_VBRI_AT : _VBRI_AT + 4] == b"VBRI" and len(data) >= _VBRI_AT + 18:
        size = int.from_bytes(data[_VBRI_AT + 10 : _VBRI_AT + 14], "big")
        frames = int.from_bytes(data[_VBRI_AT + 14 : _VBRI_AT + 18], "big")
        return VbrCounts(b"VBRI", frames, size, _VBRI_AT + 18)
    return None
