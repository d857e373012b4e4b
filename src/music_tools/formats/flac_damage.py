"""A damaged FLAC, told from STREAMINFO and frame headers, never by decoding.

A truncated FLAC keeps its STREAMINFO (and so its MD5, and its audio_key) but its last frame
starts far before the declared sample count ends. Reads the last frame: its last 4 KiB,
then, if it starts before them, its longest frame.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..util import human_size
from .flac_blocks import FlacBlocks
from .window import FileWindow, read_at

__all__ = ["flac_damage"]

_FLAC_TAIL = 64 * 1024
_LAST_FIRST = 4 * 1024


def flac_damage(window: FileWindow, flac: FlacBlocks | None) -> str | None:
    """Why the FLAC file is damaged, or None when its last frame ends the stream."""
    if flac is None or len(flac.head) < 42 or flac.head[4] & 0x7F != 0:
        return None  # not a STREAMINFO first: leave it to the parser
    info = flac.head
    block = int.from_bytes(info[8:10], "big")
    fixed = block == int.from_bytes(info[10:12], "big")
    packed = int.from_bytes(info[18:26], "big")
    total = packed & ((1 << 36) - 1)
    frames_start = flac.frames
    if frames_start is None or frames_start >= window.size:
        return "damaged FLAC: no audio frames (truncated?)"
    if total == 0:
        return None  # length unknown: nothing to compare with
    max_frame = int.from_bytes(info[15:18], "big")  # 0: unknown
    fixed_block = block if fixed else 0
    if max_frame:  # an intact file's last frame header lies in its last max_frame bytes
        # A last frame is usually short (what is left of the stream): its last few KiB first.
        for span in (_LAST_FIRST, max_frame) if max_frame > _LAST_FIRST else (max_frame,):
            last_start = max(frames_start, window.size - span - 16)
            last_bytes = read_at(window.fileobj, last_start, window.size - last_start)
            if _ends_at(last_bytes, fixed_block, total):
                return None
            if last_start == frames_start:
                break
    span = min(_FLAC_TAIL, 2 * max_frame + 64) if max_frame else _FLAC_TAIL
    tail_start = max(frames_start, window.size - span)
    tail = read_at(window.fileobj, tail_start, window.size - tail_start)
    if not max_frame and _ends_at(tail, fixed_block, total):
        return None
    last = _last_frame(tail, fixed_block, frames_start - tail_start)
    if last is None:
        return None
    offset, first_sample, samples = last
    covered = first_sample + samples
    if total - covered <= samples:
        return None
    audio_so_far = tail_start + offset - frames_start
    missing = (total - covered) * audio_so_far // max(first_sample, 1)
    return f"damaged FLAC: {human_size(missing)} of audio missing (truncated?)"


def _ends_at(tail: bytes, fixed_block: int, total: int) -> bool:
    """Whether the last frame header in `tail` ends the stream at exactly `total` samples,
    as an intact file's does: told without walking back to the frame before it. A run of
    audio bytes that passes for a header (see `_last_frame`) and also lands exactly on the
    declared length is no chance match; anything else is left to `_last_frame`."""
    position = len(tail) - 1  # `_syncs_backwards`, inlined: the common case stops at once
    rfind = tail.rfind
    while (position := rfind(b"\xff", 0, position)) >= 0:
        if tail[position + 1] & 0xFE == 0xF8:
            parsed = _frame_header(tail, position, fixed_block)
            if parsed is not None:
                return parsed[0] + parsed[1] == total
    return False


def _last_frame(tail: bytes, fixed_block: int, first_at: int) -> tuple[int, int, int] | None:
    """(offset in `tail`, first sample, samples) of the last frame header in `tail`.

    A header is a sync code, valid fields and a CRC-8, which random audio bytes also pass
    about once in 65,536 bytes; so a header counts only when the one before it chains to it
    (it ends where this one starts), or when it is the stream's first (at `first_at`)."""
    later: tuple[int, int, int] | None = None
    for position in _syncs_backwards(tail):
        parsed = _frame_header(tail, position, fixed_block)
        if parsed is None:
            continue
        found = (position, *parsed)
        if later is not None and found[1] + found[2] == later[1]:
            return later
        if position == first_at:  # the first frame is genuine, and no later one chained
            return found
        later = found
    return None


def _syncs_backwards(data: bytes) -> Iterator[int]:
    """Where a frame's sync code (14 set bits, a reserved 0 bit, the blocking-strategy bit:
    FF F8 or FF F9) starts in `data`, last first. Each 0xFF is found by `rfind` (memrchr),
    its next byte checked here: a two-byte `rfind` scans several times slower."""
    position = len(data) - 1  # a sync code needs the byte after its 0xFF
    while (position := data.rfind(b"\xff", 0, position)) >= 0:
        if data[position + 1] & 0xFE == 0xF8:
            yield position


_BLOCK_SIZES = {1: 192, **{n: 576 << (n - 2) for n in range(2, 6)}}
_BLOCK_SIZES.update({n: 256 << (n - 8) for n in range(8, 16)})


def _frame_header(data: bytes, at: int, fixed_block: int) -> tuple[int, int] | None:
    """(first sample, samples) of a FLAC frame header at `at`, checked by its CRC-8."""
    head = data[at : at + 16]
    if len(head) < 6 or head[1] & 0xFE != 0xF8 or head[3] & 0x01 or head[2] >> 4 == 0:
        return None
    if head[2] & 0x0F == 0x0F or head[3] >> 4 > 10:
        return None
    number, pos = _utf8_number(head, 4)
    if number is None:
        return None
    code = head[2] >> 4
    if code == 6:
        samples, pos = head[pos] + 1, pos + 1
    elif code == 7:
        samples, pos = int.from_bytes(head[pos : pos + 2], "big") + 1, pos + 2
    else:
        samples = _BLOCK_SIZES[code]
    rate = head[2] & 0x0F
    pos += 1 if rate == 12 else 2 if rate in (13, 14) else 0
    if pos >= len(head) or _crc8(head[:pos]) != head[pos]:
        return None
    variable = head[1] & 0x01
    if not variable and not fixed_block:
        return None
    return (number if variable else number * fixed_block), samples


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
