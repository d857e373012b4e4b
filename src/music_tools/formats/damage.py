"""Damaged files, found cheaply: the file's size against the sizes its own headers declare.

A truncated WAV or AIFF declares more audio than it holds; a truncated FLAC keeps its
STREAMINFO (and so its MD5, and its audio_key) but its last frame starts far before the
declared sample count ends; an MP4 atom runs past the end of the file. Such a file is
reported as damaged, never indexed, so it can never pass for a copy the user already has.
Each check reads only headers (and, of a FLAC file, its last two frames: at most 64 KiB).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ..util import human_size
from .mp4_atoms import Mp4Layout, top_atoms
from .payload import id3v2_size, skip_id3v2
from .riff import top_chunks
from .sv8 import replay_gain_fits, stream_header, sv8_int
from .window import FileWindow, read_at

__all__ = ["BLOCKS_KEPT", "TAG_LIMIT", "FlacBlocks", "damage", "flac_blocks", "tag_bytes"]

#: Tags (pictures included) larger than this are not read: mutagen would hold them in memory.
TAG_LIMIT = 32 * 1024 * 1024
_FLAC_TAIL = 64 * 1024
_LAST_FIRST = 4 * 1024


@dataclass(slots=True, frozen=True)
class FlacBlocks:
    """Where a FLAC file's metadata blocks lie: walked once per file (kept on its window),
    for the checks below and the lean reader."""

    start: int  # where "fLaC" is: 0, or after an ID3v2 tag
    head: bytes  # "fLaC", the first block's header and (normally) STREAMINFO: 42 bytes
    frames: int | None  # where the audio frames start; None when the blocks overrun the file
    #: (first header byte, body offset, body length) of each block walked, for the reader
    blocks: tuple[tuple[int, int, int], ...] = ()


_NOT_FLAC = FlacBlocks(-1, b"", None)  # kept on a window whose file has no "fLaC" in place


def flac_blocks(window: FileWindow) -> FlacBlocks | None:
    """The FLAC file's metadata layout, or None when "fLaC" is not where it should be. Reads
    the block headers only, nearly always from the window's cached prefix; walked by the
    first caller, kept on `window` for the rest."""
    walked = window.flac
    if walked is None:
        walked = window.flac = _flac_layout(window)
    return None if walked is _NOT_FLAC else walked


def _flac_layout(window: FileWindow) -> FlacBlocks:
    start = _id3v2_end(window)
    head = window.read(start, 42)
    if head[:4] != b"fLaC":
        return _NOT_FLAC
    frames, blocks = _walk_blocks(window, start)
    return FlacBlocks(start, head, frames, blocks)


def damage(window: FileWindow, file_format: str) -> str | None:
    """Why the file's audio is incomplete, or None when its headers and size agree."""
    if file_format in ("wav", "aiff"):
        return _chunk_damage(window, file_format)
    if file_format == "flac":
        return _flac_damage(window, flac_blocks(window))
    if file_format == "m4a":
        return _mp4_damage(window, top_atoms(window))
    if file_format == "mpc":
        return _musepack_damage(window)
    return None


def tag_bytes(window: FileWindow, file_format: str | None) -> int:
    """How many bytes of tags mutagen would read into memory (ID3v2 at the start, FLAC
    metadata blocks, the MP4 `moov` atom)."""
    if file_format == "flac":
        flac = flac_blocks(window)
        if flac is None:
            return _id3v2_end(window)
        return max(flac.start, (flac.frames or window.size) - flac.start)
    size = _id3v2_end(window)
    if file_format == "m4a":
        for kind, start, _, end in top_atoms(window).atoms:
            if kind == b"moov":
                size = max(size, min(end, window.size) - start)
    return size


def _id3v2_end(window: FileWindow) -> int:
    return skip_id3v2(window, 0)


def _chunk_damage(window: FileWindow, file_format: str) -> str | None:
    """A chunk that declares more than the file holds (the audio, or any other chunk a
    parser would read whole), or no audio chunk at all."""
    wanted = b"data" if file_format == "wav" else b"SSND"
    name = file_format.upper()
    found = False
    layout = "<I" if file_format == "wav" else ">I"
    for chunk_id, _, present, size_field in top_chunks(window):
        declared = struct.unpack(layout, size_field)[0]
        if declared > present + 1:  # one pad byte may be missing
            what = "of audio" if chunk_id == wanted else f"in its {_printable(chunk_id)} chunk"
            return (
                f"damaged {name}: {human_size(declared)} {what} declared, "
                f"{human_size(present)} present (truncated?)"
            )
        found = found or chunk_id == wanted
    return None if found else f"damaged {name}: no audio data (truncated?)"


def _printable(chunk_id: bytes) -> str:
    return repr(chunk_id.decode("latin-1"))


def _mp4_damage(window: FileWindow, walked: Mp4Layout) -> str | None:
    for kind, _, _, declared_end in walked.atoms:
        if declared_end > window.size:
            missing = declared_end - window.size
            what = "of audio" if kind == b"mdat" else f"of its '{kind.decode('latin-1')}' atom"
            return f"damaged M4A: {human_size(missing)} {what} missing (truncated?)"
    return None


# -- Musepack SV8: packet sizes that send mutagen round in circles -------------------------

_SV8_STEPS = 100_000  # packets walked at most; a longer walk is left to mutagen (it ends)


def _musepack_damage(window: FileWindow) -> str | None:
    """A Musepack SV8 stream whose packet sizes lead back to a packet already read (a size
    smaller than its own header): mutagen's header loop, which seeks by each size, would
    never end. Walked as mutagen walks (`MusepackInfo.__parse_sv8`), its errors left to it."""
    read = window.read
    header = read(0, 10)
    position = id3v2_size(header) if header[:3] == b"ID3" and len(header) == 10 else 0
    if read(position, 4) != b"MPCK":
        return None
    position += 4
    mandatory = {b"SH", b"RG"}
    seen: set[tuple[int, bool, bool]] = set()
    for _ in range(_SV8_STEPS):
        key = read(position, 2)
        if len(key) != 2 or not b"AA" <= key <= b"ZZ":
            return None  # mutagen: "Invalid frame key."
        if key in (b"AP", b"SE") or not mandatory:
            return None
        state = (position, b"SH" in mandatory, b"RG" in mandatory)  # all the walk depends on
        if state in seen:
            return "corrupt MPC file: its packet sizes lead back to a packet already read"
        seen.add(state)
        size = sv8_int(read(position + 2, 9))
        if size is None:
            return None  # mutagen: "Invalid packet size."
        body, data_size = position + 2 + size[1], size[0] - 2 - size[1]
        if key in (b"SH", b"RG"):
            if key not in mandatory:
                return None  # mutagen: a duplicate packet
            mandatory.discard(key)
            if key == b"SH" and stream_header(read, body, data_size) is None:
                return None  # mutagen fails on the packet's contents
            if key == b"RG" and not replay_gain_fits(read, body, data_size):
                return None
        # mutagen reads a packet it parses to its end, and seeks past any other by its size:
        # backwards, when the size is smaller than the packet's own header
        position = body + data_size
        if position < 0:
            return None  # mutagen: a seek before the start fails
    return None


# -- FLAC: the last frame against STREAMINFO's sample count --------------------------------


def _flac_damage(window: FileWindow, flac: FlacBlocks | None) -> str | None:
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


def _walk_blocks(window: FileWindow, start: int) -> tuple[int | None, tuple[_Block, ...]]:
    """Where the frames start (None: the blocks overrun the file), and each block header."""
    offset, size = start + 4, window.size
    # nearly every block header lies in the prefix; those past a large picture, in one small
    # read (the padding block's header, say: a spot of the window's size would copy 8 KiB)
    near, near_at = window.prefix, 0
    blocks: list[_Block] = []
    append = blocks.append
    while offset + 4 <= size:
        header = near[offset - near_at : offset - near_at + 4]
        if len(header) < 4:
            near, near_at = read_at(window.fileobj, offset, _NEAR_BYTES), offset
            header = near[:4]
        length = int.from_bytes(header[1:4], "big")
        if len(blocks) < BLOCKS_KEPT:
            append((header[0], offset + 4, length))
        offset += 4 + length
        if header[0] & 0x80:
            return offset, tuple(blocks)
    return None, tuple(blocks)


_Block = tuple[int, int, int]
_NEAR_BYTES = 512
#: block headers kept for the reader, which leaves a file of more to mutagen
BLOCKS_KEPT = 4097


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
