"""An MP3's first frame: its bitrate, and the low-pass its LAME header records.

The LAME header (the "Info tag", after the Xing/Info header in the first frame) stores the
encoder's low-pass in hundreds of Hz, the VBR method and the CBR/ABR bitrate; FFmpeg's own
muxer writes the same header with a zero low-pass (unknown), read here as None. Frame and
Xing headers are parsed by formats/mpeg.py, as for the reader and the damage check.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formats.mpeg import FrameHeader, frame_header, vbr_counts
from ..formats.raw import id3v2_size

__all__ = ["Mp3Header", "read_mp3_header"]

_SEARCH = 4096  # bytes after the ID3v2 tags searched for the first frame
_CBR_METHODS = (1, 8)
_TARGET_METHODS = (1, 2, 8, 9)  # CBR and ABR: byte 20 is the bitrate asked for


@dataclass(frozen=True, slots=True)
class Mp3Header:
    bitrate_kbps: int  # CBR: the frames'; VBR: the average from the Xing header, if any
    vbr: bool
    sample_rate: int
    lowpass_hz: int | None  # from a LAME header; None without one, or when it says 0
    target_kbps: int | None  # the CBR/ABR bitrate LAME was asked for


def read_mp3_header(path: str) -> Mp3Header | None:
    """The first MPEG layer III frame's header after any ID3v2 tags; None if none is found."""
    with open(path, "rb") as f:
        offset = 0
        while True:
            f.seek(offset)
            tag = f.read(10)
            if len(tag) < 10 or tag[:3] != b"ID3":
                break
            offset += id3v2_size(tag) + (10 if tag[5] & 0x10 else 0)
        f.seek(offset)
        data = f.read(_SEARCH + 512)
    for at in range(min(_SEARCH, max(0, len(data) - 4))):
        if data[at] == 0xFF and data[at + 1] & 0xE0 == 0xE0:
            frame = frame_header(data[at : at + 4])
            if frame is not None and frame.layer == 3:
                return _header(data[at:], frame)
    return None


def _header(data: bytes, frame: FrameHeader) -> Mp3Header:
    """What the frame starting `data` and its Xing/Info and LAME headers say."""
    bitrate, rate = frame.bitrate // 1000, frame.sample_rate
    counts = vbr_counts(data, frame)
    if counts is None or counts.tag == b"VBRI":
        return Mp3Header(bitrate, counts is not None, rate, None, None)
    average = bitrate
    if counts.frames and counts.stream_bytes:
        seconds = counts.frames * frame.samples / rate
        average = round(counts.stream_bytes * 8 / seconds / 1000)
    vbr = counts.tag == b"Xing"
    lame = data[counts.end : counts.end + 36]
    if len(lame) < 21 or not lame[:4].isalpha():
        return Mp3Header(average if vbr else bitrate, vbr, rate, None, None)
    method = lame[9] & 0x0F
    vbr = method not in _CBR_METHODS if method else vbr
    target = lame[20] if method in _TARGET_METHODS and lame[20] not in (0, 255) else None
    lowpass = lame[10] * 100 or None
    return Mp3Header(average if vbr else bitrate, vbr, rate, lowpass, target)
