"""MPEG audio (MP3, MP2): a raw stream between tags, its frames' 4-byte headers and the VBR
header (Xing, Info, VBRI) its first frame may carry; the damage check and the lean reader.

The lean reader follows mutagen.mp3: the stream starts after the ID3v2 tags; the first frame
with a Xing or Info header gives the length (frames x samples, less LAME's encoder delay and
padding), the bitrate and the bitrate mode (CBR, VBR or ABR, guessed as mutagen guesses it:
LAME's VBR method, else the Info tag, else a VBR scale or a LAME version); without one, four
frames in a row must chain and the first gives the bitrate (mode unknown), the length being
the bytes from it to the end of the file at that rate. Where mutagen would have to search
for a frame (junk before the stream, a broken chain, a VBRI header) or where an APEv2 tag
might hold the tags, it steps aside. The damage check takes the VBR header's frame and byte
counts, to tell a stream cut short from a whole one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ..util import human_size
from .apev2 import may_have_ape
from .container import Container
from .id3 import read_id3
from .info import FastInfo, HeldBytes
from .raw import id3v2_end, id3v2_size, nothing, raw_payload, skip_id3v2, strip_trailing_tags
from .window import KEY_BYTES, FileWindow

__all__ = [
    "MP3",
    "FrameHeader",
    "VbrCounts",
    "frame_header",
    "largest_frame",
    "read_mp3",
    "smallest_frame",
    "vbr_counts",
]

# -- frame headers and VBR headers --------------------------------------------------

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
    has_scale: bool = False  # a Xing header's VBR scale is there


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
        counts = VbrCounts(tag, frames, size, position, bool(flags & 8))
        return counts if position <= len(data) else None
    if data[_VBRI_AT : _VBRI_AT + 4] == b"VBRI" and len(data) >= _VBRI_AT + 18:
        size = int.from_bytes(data[_VBRI_AT + 10 : _VBRI_AT + 14], "big")
        frames = int.from_bytes(data[_VBRI_AT + 14 : _VBRI_AT + 18], "big")
        return VbrCounts(b"VBRI", frames, size, _VBRI_AT + 18)
    return None


# -- the lean reader ------------------------------------------------------------

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
    bitrate_mode: str | None = None  # "CBR", "VBR", "ABR" as its Xing/Info header says


def read_mp3(window: FileWindow, layout: object) -> FastInfo | None:
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
        bitrate_mode=first.bitrate_mode,
    )


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
    lame = _lame(data[counts.end : counts.end + 47])
    frame.bitrate_mode = _bitrate_mode(counts, lame)
    frames, size = counts.frames, counts.stream_bytes
    if frames is not None:
        samples = header.samples * frames
        if size is not None and samples > 0:
            audio_bytes = max(0, size - header.length)
            frame.bitrate = round(audio_bytes * 8 * header.sample_rate / float(samples))
        samples = max(0, samples - lame.delay)
        frame.length = float(samples) / header.sample_rate
    return True


class _Lame(NamedTuple):
    """What mutagen makes of the bytes after a Xing header's fields."""

    delay: int  # encoder delay plus padding, in samples (0 without an extended header)
    described: bool  # a LAME version string mutagen reads (its `lame_version_desc`)
    method: int | None  # the extended header's VBR method (None without one)


_NO_LAME = _Lame(0, False, None)
#: LAME's VBR method -> the bitrate mode mutagen's `_guess_xing_bitrate_mode` names
_MODE_BY_METHOD = {1: "CBR", 8: "CBR", 2: "ABR", 9: "ABR", 3: "VBR", 4: "VBR", 5: "VBR", 6: "VBR"}


def _lame(data: bytes) -> _Lame:
    """The LAME version and extended header after a Xing header, read as mutagen's
    `LAMEHeader.parse_version` and `LAMEHeader` read them."""
    if len(data) < 20 or not data.startswith((b"LAME", b"L3.99")):
        return _NO_LAME
    version = data[:20].lstrip(b"EMAL")
    major, rest = version[0:1], version[1:].lstrip(b".")
    minor = rest[: len(rest) - len(rest.lstrip(b"0123456789"))]
    if not (major.isdigit() and minor):
        return _NO_LAME  # mutagen: not a LAME version, no LAME header
    rest = rest[len(minor) :]
    number = (int(major), int(minor))
    if number < (3, 90) or (number == (3, 90) and rest[-11:-10] == b"("):
        return _Lame(0, True, None)  # a version from before the extended header
    if len(rest) < 11:
        return _NO_LAME
    extended = data[9 : 9 + 27]
    if len(extended) < 27 or extended[0] >> 4 != 0:
        return _Lame(0, True, None)  # no (known) extended header: mutagen ignores it
    packed = int.from_bytes(extended[12:15], "big")
    return _Lame((packed >> 12) + (packed & 0xFFF), True, extended[0] & 0xF)


def _bitrate_mode(counts: VbrCounts, lame: _Lame) -> str | None:
    """CBR, VBR or ABR as mutagen's `_guess_xing_bitrate_mode` guesses it (None: its
    UNKNOWN): LAME's VBR method, else an Info header (LAME writes one for CBR only), else
    a VBR scale or a LAME version (some VBR)."""
    if lame.method in _MODE_BY_METHOD:
        return _MODE_BY_METHOD[lame.method]
    if counts.tag == b"Info":
        return "CBR"
    if counts.has_scale or lame.described:
        return "VBR"
    return None


# -- the damage check: the stream a Xing, Info or VBRI header declares --------------------

#: what a whole stream may lack against its VBR header's byte count: an encoder's rounding,
#: a last frame or two, never seconds of audio
_MP3_SLACK = 2048
_VBR_SPAN = 256  # the first frame's header, side information and VBR header fields
#: what a file may hold past the stream its VBR header's frames could carry, beyond tags
#: we know (an ID3v2 tag at the end, junk from a download): a header off by a factor of 2
#: or more on a song's length is past it
_JUNK = 1 << 20


def mp3_damage(window: FileWindow, layout: object) -> str | None:
    """An MPEG stream its first frame's VBR header does not describe: shorter than the
    header's byte count (or than its frame count needs at the lowest bitrate): a cut file
    keeps that header, so its length and bitrate would read as the whole file's; or more
    bytes than its frame count could carry at the layer's highest bitrate, in the header or
    in the file (tags at its end left out): a frame count too small reads as a short file at
    an impossible bitrate. Reads the bytes the reader and the key read after the ID3v2 tag."""
    start = skip_id3v2(window, 0)
    data = window.read(start, _VBR_SPAN)  # in the head, or the spot the key's bytes left
    frame = frame_header(data[:4])
    if frame is None or frame.layer != 3:
        return None  # junk before the stream, or no Layer III: no VBR header to trust
    counts = vbr_counts(data, frame)
    if counts is None:
        return None  # no VBR header: the length is read from the file's size
    declared = counts.stream_bytes or 0
    if counts.frames:
        declared = max(declared, counts.frames * smallest_frame(frame))
    missing = declared - (window.size - start)
    if missing > _MP3_SLACK:
        return f"damaged MP3: {human_size(missing)} of audio missing (truncated?)"
    return _overfull(window, start, frame, counts) if counts.frames else None


def _overfull(window: FileWindow, start: int, frame: FrameHeader, counts: VbrCounts) -> str | None:
    """More bytes than the VBR header's frames carry at the highest bitrate: in its own byte
    count, or (far more, past any junk) in the file."""
    frames = counts.frames or 0
    capacity = (frames + 2) * largest_frame(frame) + _MP3_SLACK  # the VBR frame, a rounding
    seconds = frames * frame.samples / frame.sample_rate
    if counts.stream_bytes is not None and counts.stream_bytes > capacity:
        kbps = counts.stream_bytes * 8 / seconds / 1000
        most = _BITRATES[(min(frame.version, 2), 3)][14]
        return (
            f"damaged MP3: its VBR header declares {human_size(counts.stream_bytes)} in "
            f"{frames:,} frames, {kbps:,.0f} kbps (this MPEG version carries {most} at most)"
        )
    stream = strip_trailing_tags(window, start, window.size) - start
    if stream > 2 * capacity + _JUNK:
        return (
            f"damaged MP3: {human_size(stream)} of audio where its VBR header declares "
            f"{frames:,} frames ({seconds:.1f} s at most {human_size(capacity)})"
        )
    return None


def largest_frame(frame: FrameHeader) -> int:
    """The most bytes any Layer III frame of this frame's stream can take: the highest
    bitrate of its version at its sample rate, with padding."""
    highest = _BITRATES[(min(frame.version, 2), 3)][14] * 1000
    return (frame.samples // 8 * highest) // frame.sample_rate + 1


MP3 = Container(nothing, mp3_damage, raw_payload, id3v2_end, read_mp3)
