"""MP3: ID3 tags and the MPEG stream's first frame, with its Xing/Info and LAME headers.

Follows mutagen.mp3: the stream starts after the ID3v2 tags; the first frame with a Xing or
Info header gives the length (frames x samples, less LAME's encoder delay and padding) and the
bitrate; without one, four frames in a row must chain and the first gives the bitrate, the
length being the bytes from it to the end of the file at that rate. Where mutagen would have
to search for a frame (junk before the stream, a broken chain, a VBRI header) or where an
APEv2 tag might hold the tags, this steps aside.
"""

from __future__ import annotations

from dataclasses import dataclass

from .id3 import read_id3
from .info import FastInfo, HeldBytes
from .mpeg_audio import FrameHeader, frame_header, vbr_counts
from .payload import id3v2_size
from .window import KEY_BYTES, FileWindow

__all__ = ["may_have_ape", "read_mp3"]

_STREAM_BYTES = 4096
_CHAIN = 4  # frames in a row mutagen wants when none carries a VBR header
_VBR_BYTES = 8 + 4 + 4 + 100 + 4 + 20 + 27  # the Xing fields and a LAME header after them


@dataclass(slots=True)
class _Frame:
    offset: int
    header: FrameHeader
    bitrate: int  # bit/s
    length: float | None  # from a Xing/Info header, when it has a frame count
    has_vbr_header: bool


def read_mp3(window: FileWindow) -> FastInfo | None:
    tags = read_id3(window)
    if tags is None or may_have_ape(window):
        return None
    # the first frames and their VBR header lie in the first few KiB after the tags; the
    # audio key reads the first KEY_BYTES there, so those are read once, for both
    start = window.view(tags.end, KEY_BYTES)[:_STREAM_BYTES].tobytes()
    stream = HeldBytes(window, tags.end, start)
    first = _first_frame(stream, _skip_id3(stream, tags.end))
    if first is None:
        return None
    length = first.length
    if length is None:
        length = 8 * (window.size - first.offset) / float(first.bitrate)
    header = first.header
    codec = "mp3" if header.layer == 3 else f"mp{header.layer}"
    return FastInfo(
        "mp3",
        codec,
        False,
        length,
        header.sample_rate,
        header.channels,
        0,
        first.bitrate,
        id3=tags.frames if tags.present else None,
        id3_ufid=tags.ufid,
    )


def may_have_ape(window: FileWindow) -> bool:
    """Whether mutagen could find an APEv2 tag (read when ID3 gives no fields)."""
    size = window.size
    last = window.read(max(0, size - 4096), 4096)
    return b"APETAGEX" in last or b"LYRICS200" in last[-160:] or window.read(0, 8) == b"APETAGEX"


def _skip_id3(stream: HeldBytes, offset: int) -> int:
    """mutagen's skip_id3: past further ID3v2 tags (sizes read leniently, as it does)."""
    while True:
        header = stream.get(offset, 10)
        size = 0
        if len(header) == 10 and header[:3] == b"ID3":
            size = id3v2_size(header) - 10
        if size <= 0:
            return offset
        offset += 10 + size


def _first_frame(stream: HeldBytes, offset: int) -> _Frame | None:
    """The frame mutagen's MPEGInfo settles on, when the stream starts right at `offset`."""
    frames = []
    position = offset
    for _ in range(_CHAIN):
        frame = _parse_frame(stream, position)
        if frame is None:
            return None  # mutagen would search on: not modelled
        if frame.has_vbr_header:
            return frame
        frames.append(frame)
        position += frame.header.length
    return frames[0]


def _parse_frame(stream: HeldBytes, offset: int) -> _Frame | None:
    header = frame_header(stream.get(offset, 4))
    if header is None:
        return None
    frame = _Frame(offset, header, header.bitrate, None, False)
    if header.layer == 3 and not _read_vbr_header(stream, frame):
        return None
    return frame


def _read_vbr_header(stream: HeldBytes, frame: _Frame) -> bool:
    """Apply the frame's Xing/Info header to `frame`; False where mutagen's reading of it
    (or of a VBRI header) is not modelled."""
    header = frame.header
    data = stream.get(frame.offset, header.xing_at + _VBR_BYTES)
    counts = vbr_counts(data, header)
    if counts is None or counts.tag == b"VBRI":
        tag = data[header.xing_at : header.xing_at + 4]
        # no VBR header at all; or a truncated Xing header (mutagen then looks for VBRI),
        # or a VBRI one: not modelled
        return counts is None and tag not in (b"Xing", b"Info") and data[36:40] != b"VBRI"
    frame.has_vbr_header = True
    delay = _lame_delay(data[counts.end : counts.end + 47])
    if delay is None:
        return False
    frames, size = counts.frames, counts.stream_bytes
    if frames is not None:
        samples = header.samples * frames
        if size is not None and samples > 0:
            audio_bytes = max(0, size - header.length)
            frame.bitrate = round(audio_bytes * 8 * header.sample_rate / float(samples))
        samples = max(0, samples - delay)
        frame.length = float(samples) / header.sample_rate
    return True


def _lame_delay(data: bytes) -> int | None:
    """Encoder delay plus padding from a LAME header (0 without one), None if unsure."""
    if not data.startswith((b"LAME", b"L3.99")):
        return 0
    version = data[:20].lstrip(b"EMAL")
    major, rest = version[0:1], version[1:].lstrip(b".")
    minor = rest[: len(rest) - len(rest.lstrip(b"0123456789"))]
    if not (major.isdigit() and minor):
        return 0  # mutagen: not a LAME version, no LAME header
    rest = rest[len(minor) :]
    number = (int(major), int(minor))
    if number < (3, 90) or (number == (3, 90) and rest[-11:-10] == b"("):
        return 0
    extended = data[9 : 9 + 27]
    if len(rest) < 11 or len(extended) < 27 or extended[0] >> 4 != 0:
        return 0  # no (known) extended header: mutagen ignores it
    packed = int.from_bytes(extended[12:15], "big")
    return (packed >> 12) + (packed & 0xFFF)
