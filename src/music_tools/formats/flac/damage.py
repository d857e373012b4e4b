"""A damaged FLAC, told from STREAMINFO and frame headers, never by decoding.

A truncated FLAC keeps its STREAMINFO (and so its MD5, and its audio_key) but its last frame
starts far before the declared sample count ends. A STREAMINFO overwritten with garbage
declares what no frame agrees with (another sample rate, channel count or bit depth), values
the format forbids, or more frames than the file could hold: read as it stands, it would be
a file of 125,637 Hz and 428,076 s, better than any intact copy. Reads STREAMINFO (already in
the window's prefix) and the last frame (its last 4 KiB, then, if it starts before them, its
longest frame); the first frame's header only when the last frame settled nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ...util import human_size
from ..window import FileWindow, read_at
from .blocks import FlacBlocks

__all__ = ["flac_damage"]

_FLAC_TAIL = 64 * 1024
_LAST_FIRST = 4 * 1024


class _StreamInfo(NamedTuple):
    min_block: int
    max_block: int
    min_frame: int  # bytes; 0: unknown
    max_frame: int
    sample_rate: int
    channels: int
    bits: int
    total: int  # samples; 0: unknown


class _Frame(NamedTuple):
    """A frame header: its number (a sample number when `variable`, else a frame number)
    and what it says of its block; a rate or bit depth of 0 leaves it to STREAMINFO."""

    number: int
    variable: bool
    samples: int
    sample_rate: int
    channels: int
    bits: int


def flac_damage(window: FileWindow, flac: FlacBlocks | None) -> str | None:
    """Why the FLAC file is damaged, or None when STREAMINFO, its frames and its size agree."""
    if flac is None or len(flac.head) < 42 or flac.head[4] & 0x7F != 0:
        return None  # not a STREAMINFO first: leave it to the parser
    info = _stream_info(flac.head[8:42])
    frames_start = flac.frames
    if frames_start is None or frames_start >= window.size:
        return "damaged FLAC: no audio frames (truncated?)"
    impossible = _impossible(info)
    if impossible is not None:
        return f"damaged FLAC: its STREAMINFO declares {impossible} (a corrupt header?)"
    if info.total:  # 0: the length is unknown, nothing to compare the last frame with
        last = _last_frame_of(window, info, frames_start)
        if last is not None:  # a genuine frame: it must describe the same stream
            frame, missing = last
            disagreement = _disagreement(info, frame)
            if disagreement or missing is None:
                return disagreement
            return f"damaged FLAC: {human_size(missing)} of audio missing (truncated?)"
    return _too_small(info, window.size - frames_start) or _first_frame_damage(
        window, info, frames_start
    )


def _stream_info(body: bytes) -> _StreamInfo:
    fields = int.from_bytes(body[:18], "big")  # one number, cut by shifts: the hot path
    return _StreamInfo(
        fields >> 128,
        fields >> 112 & 0xFFFF,
        fields >> 88 & 0xFFFFFF,
        fields >> 64 & 0xFFFFFF,
        fields >> 44 & 0xFFFFF,
        (fields >> 41 & 7) + 1,
        (fields >> 36 & 31) + 1,
        fields & 0xFFFFFFFFF,
    )


def _impossible(info: _StreamInfo) -> str | None:
    """A STREAMINFO value out of the format's limits (a sample rate of 0 is left to the
    parser, which names it)."""
    if info.bits < 4:
        return f"{info.bits} bits a sample"
    if info.min_block > info.max_block:
        return f"blocks of {info.min_block} to {info.max_block} samples"
    if info.max_frame and info.min_frame > info.max_frame:
        return f"frames of {info.min_frame} to {info.max_frame} bytes"
    # no frame is larger than its samples stored verbatim (encoders fall back to that), plus
    # its headers; twice that, for any encoder that does not
    verbatim = info.max_block * (info.channels * info.bits + 1) // 8 + 16 + 8 * info.channels
    if info.max_frame > 2 * verbatim:
        return (
            f"frames of up to {human_size(info.max_frame)}, more than blocks of "
            f"{info.max_block} samples take"
        )
    return None


def _too_small(info: _StreamInfo, audio_bytes: int) -> str | None:
    """The declared samples need more frames than the file holds bytes for: each block holds
    `max_block` samples at most, and each frame but the last takes `min_frame` bytes or more."""
    if not (info.min_frame and info.max_block and info.total):
        return None
    needed = (-(-info.total // info.max_block) - 1) * info.min_frame
    if needed <= audio_bytes:
        return None
    return (
        f"damaged FLAC: its STREAMINFO declares {human_size(needed)} of frames or more, "
        f"{human_size(audio_bytes)} present (truncated, or a corrupt header?)"
    )


def _disagreement(info: _StreamInfo, frame: _Frame) -> str | None:
    """A frame header that describes another stream than STREAMINFO does (a rate or bit
    depth the header leaves to STREAMINFO is not compared)."""
    rate, bits = frame.sample_rate, frame.bits
    if (
        frame.channels == info.channels
        and (not rate or rate == info.sample_rate)
        and (not bits or bits == info.bits)
    ):
        return None  # every intact file: told without building the description
    declared, found = [], []
    for describe, ours, theirs in (
        (_hertz, info.sample_rate, frame.sample_rate),
        (_channels, info.channels, frame.channels),
        (_bits, info.bits, frame.bits),
    ):
        if theirs and theirs != ours:
            declared.append(describe(ours))
            found.append(describe(theirs))
    if not declared:
        return None
    return (
        f"damaged FLAC: its STREAMINFO says {', '.join(declared)}, "
        f"its frames {', '.join(found)} (a corrupt header?)"
    )


def _hertz(rate: int) -> str:
    return f"{rate:,} Hz"


def _channels(count: int) -> str:
    return f"{count} channel{'' if count == 1 else 's'}"


def _bits(bits: int) -> str:
    return f"{bits}-bit"


def _first_frame_damage(window: FileWindow, info: _StreamInfo, frames_start: int) -> str | None:
    """The frame header where the audio starts (the metadata blocks end right before it in
    every FLAC file) is missing, or describes another stream than STREAMINFO. Read only when
    the last frame settled nothing: a sixteen-byte read."""
    frame = _frame_header(window.read(frames_start, 16), 0)
    if frame is None:
        return "damaged FLAC: no frame where its audio should start (corrupt?)"
    return _disagreement(info, frame)


# -- the last frame against STREAMINFO's sample count ---------------------------------------


def _last_frame_of(
    window: FileWindow, info: _StreamInfo, frames_start: int
) -> tuple[_Frame, int | None] | None:
    """The last frame's header, and the bytes of audio missing after it: None when it ends
    the stream where STREAMINFO says (or within a frame of it), an estimate when it ends far
    before; None for both when no last frame can be told apart from audio bytes."""
    total, max_frame = info.total, info.max_frame
    fixed_block = info.min_block if info.min_block == info.max_block else 0
    if max_frame:  # an intact file's last frame header lies in its last max_frame bytes
        # A last frame is usually short (what is left of the stream): its last few KiB first.
        for span in (_LAST_FIRST, max_frame) if max_frame > _LAST_FIRST else (max_frame,):
            last_start = max(frames_start, window.size - span - 16)
            last_bytes = read_at(window.fileobj, last_start, window.size - last_start)
            ending = _ends_at(last_bytes, fixed_block, total)
            if ending is not None:
                return ending, None
            if last_start == frames_start:
                break
    span = min(_FLAC_TAIL, 2 * max_frame + 64) if max_frame else _FLAC_TAIL
    tail_start = max(frames_start, window.size - span)
    tail = read_at(window.fileobj, tail_start, window.size - tail_start)
    if not max_frame:
        ending = _ends_at(tail, fixed_block, total)
        if ending is not None:
            return ending, None
    last = _last_frame(tail, fixed_block, frames_start - tail_start)
    if last is None:
        return None
    offset, first_sample, frame = last
    covered = first_sample + frame.samples
    if total - covered <= frame.samples:
        return frame, None
    audio_so_far = tail_start + offset - frames_start
    return frame, (total - covered) * audio_so_far // max(first_sample, 1)


def _ends_at(tail: bytes, fixed_block: int, total: int) -> _Frame | None:
    """The last frame header in `tail` if it ends the stream at exactly `total` samples, as
    an intact file's does: told without walking back to the frame before it. A run of
    audio bytes that passes for a header (see `_last_frame`) and also lands exactly on the
    declared length is no chance match; anything else is left to `_last_frame`."""
    position = len(tail) - 1  # `_syncs_backwards`, inlined: the common case stops at once
    rfind = tail.rfind
    while (position := rfind(b"\xff", 0, position)) >= 0:
        if tail[position + 1] & 0xFE == 0xF8:
            frame = _frame_header(tail, position)
            if frame is not None:
                first = _first_sample(frame, fixed_block)
                ends = first is not None and first + frame.samples == total
                return frame if ends else None
    return None


def _last_frame(tail: bytes, fixed_block: int, first_at: int) -> tuple[int, int, _Frame] | None:
    """(offset in `tail`, first sample, header) of the last frame header in `tail`.

    A header is a sync code, valid fields and a CRC-8, which random audio bytes also pass
    about once in 65,536 bytes; so a header counts only when the one before it chains to it
    (it ends where this one starts), or when it is the stream's first (at `first_at`)."""
    later: tuple[int, int, _Frame] | None = None
    for position in _syncs_backwards(tail):
        frame = _frame_header(tail, position)
        first = None if frame is None else _first_sample(frame, fixed_block)
        if frame is None or first is None:
            continue
        if later is not None and first + frame.samples == later[1]:
            return later
        if position == first_at:  # the first frame is genuine, and no later one chained
            return position, first, frame
        later = position, first, frame
    return None


def _syncs_backwards(data: bytes) -> Iterator[int]:
    """Where a frame's sync code (14 set bits, a reserved 0 bit, the blocking-strategy bit:
    FF F8 or FF F9) starts in `data`, last first. Each 0xFF is found by `rfind` (memrchr,
    faster than a two-byte search: docs/benchmarks.md), its next byte checked here."""
    position = len(data) - 1  # a sync code needs the byte after its 0xFF
    while (position := data.rfind(b"\xff", 0, position)) >= 0:
        if data[position + 1] & 0xFE == 0xF8:
            yield position


# -- frame headers ----------------------------------------------------------------------------

_BLOCK_SIZES = {1: 192, **{n: 576 << (n - 2) for n in range(2, 6)}}
_BLOCK_SIZES.update({n: 256 << (n - 8) for n in range(8, 16)})
_RATES = (0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
_BITS = (0, 8, 12, 0, 16, 20, 24, 32)  # by the 3-bit code; 0: STREAMINFO's (3 is reserved)


def _first_sample(frame: _Frame, fixed_block: int) -> int | None:
    if frame.variable:
        return frame.number
    return frame.number * fixed_block if fixed_block else None


def _frame_header(data: bytes, at: int) -> _Frame | None:
    """The FLAC frame header at `at`, checked by its CRC-8."""
    head = data[at : at + 16]
    if len(head) < 6 or head[1] & 0xFE != 0xF8 or head[3] & 0x01 or head[2] >> 4 == 0:
        return None
    if head[2] & 0x0F == 0x0F or head[3] >> 4 > 10:
        return None
    number, pos = _utf8_number(head, 4)
    if number is None:
        return None
    code, rate_code = head[2] >> 4, head[2] & 0x0F
    extra = (0, 1, 2)[code - 5] if code in (6, 7) else 0  # the block size, stated after
    stated = (1 if rate_code == 12 else 2) if rate_code > 11 else 0  # and then the rate
    if pos + extra + stated >= len(head):
        return None  # the header runs past the bytes there are
    samples = int.from_bytes(head[pos : pos + extra], "big") + 1 if extra else _BLOCK_SIZES[code]
    pos += extra
    rate = int.from_bytes(head[pos : pos + stated], "big") if stated else _RATES[rate_code]
    rate *= (1000, 1, 10)[rate_code - 12] if stated else 1
    pos += stated
    if _crc8(head[:pos]) != head[pos]:
        return None
    assignment = head[3] >> 4
    channels = assignment + 1 if assignment < 8 else 2
    return _Frame(number, bool(head[1] & 0x01), samples, rate, channels, _BITS[head[3] >> 1 & 7])


def _utf8_number(data: bytes, pos: int) -> tuple[int | None, int]:
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    length = 8 - (first ^ 0xFF).bit_length()  # the leading one bits: the sequence's length
    if length < 2 or length > 7 or pos + length > len(data):
        return None, pos
    value = first & (0x7F >> length)
    for byte in data[pos + 1 : pos + length]:
        if byte & 0xC0 != 0x80:
            return None, pos
        value = (value << 6) | (byte & 0x3F)
    return value, pos + length


def _crc8_table() -> bytes:
    table = bytearray(256)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table[byte] = crc
    return bytes(table)


_CRC8 = _crc8_table()  # CRC-8, polynomial x^8 + x^2 + x + 1, as FLAC frame headers use


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc
