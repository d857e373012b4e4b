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

from ...formats.payload import id3v2_size
from ...formats.window import KEY_BYTES, FileWindow
from .id3 import read_id3
from .info import FastInfo, HeldBytes

__all__ = ["may_have_ape", "read_mp3"]

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
_STREAM_BYTES = 4096
_CHAIN = 4  # frames in a row mutagen wants when none carries a VBR header


@dataclass(slots=True)
class _Frame:
    offset: int
    layer: int
    channels: int
    sample_rate: int
    bitrate: int  # bit/s
    length: float | None  # from a Xing/Info header, when it has a frame count
    frame_length: int
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
    codec = "mp3" if first.layer == 3 else f"mp{first.layer}"
    return FastInfo(
        "mp3",
        codec,
        False,
        length,
        first.sample_rate,
        first.channels,
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
        position += frame.frame_length
    return frames[0]


def _parse_frame(stream: HeldBytes, offset: int) -> _Frame | None:
    header = stream.get(offset, 4)
    if len(header) < 4:
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
    if layer == 1:
        frame_size, slot = 384, 4
    elif version != 1 and layer == 3:
        frame_size, slot = 576, 1
    else:
        frame_size, slot = 1152, 1
    frame_length = ((frame_size // 8 * bitrate) // sample_rate + padding) * slot
    frame = _Frame(
        offset, layer, 1 if mode == 3 else 2, sample_rate, bitrate, None, frame_length, False
    )
    if layer == 3:
        xing_offset = (36 if mode != 3 else 21) if version == 1 else (21 if mode != 3 else 13)
        if not _read_vbr_header(stream, frame, offset + xing_offset, frame_size):
            return None
    return frame


def _read_vbr_header(stream: HeldBytes, frame: _Frame, offset: int, frame_size: int) -> bool:
    """Apply a Xing/Info header at `offset` to `frame`; False where mutagen's reading of it
    (or of a VBRI header) is not modelled."""
    data = stream.get(offset, 8 + 4 + 4 + 100 + 4 + 20 + 27)
    if data[:4] not in (b"Xing", b"Info"):
        return stream.get(frame.offset + 36, 4) != b"VBRI"
    flags = int.from_bytes(data[4:8], "big")
    position, frames, size = 8, -1, -1
    if flags & 1:
        frames, position = int.from_bytes(data[position : position + 4], "big"), position + 4
    if flags & 2:
        size, position = int.from_bytes(data[position : position + 4], "big"), position + 4
    position += (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
    if position > len(data):
        return False  # a truncated header: mutagen then looks for VBRI
    frame.has_vbr_header = True
    delay = _lame_delay(data[position : position + 47])
    if delay is None:
        return False
    if frames != -1:
        samples = frame_size * frames
        if size != -1 and samples > 0:
            audio_bytes = max(0, size - frame.frame_length)
            frame.bitrate = round(audio_bytes * 8 * frame.sample_rate / float(samples))
        samples = max(0, samples - delay)
        frame.length = float(samples) / frame.sample_rate
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
