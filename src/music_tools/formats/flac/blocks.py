"""A FLAC file's metadata blocks: where "fLaC" is, the block headers and where the frames
start. The FLAC walk: made once per file, for the damage check, the tag-size limit, the lean
reader and the audio key alike."""

from __future__ import annotations

from dataclasses import dataclass

from ..raw import skip_id3v2
from ..window import FileWindow, read_at

__all__ = ["BLOCKS_KEPT", "FlacBlocks", "flac_blocks"]


@dataclass(slots=True, frozen=True)
class FlacBlocks:
    """Where a FLAC file's metadata blocks lie."""

    start: int  # where "fLaC" is: 0, or after an ID3v2 tag
    head: bytes  # "fLaC", the first block's header and (normally) STREAMINFO: 42 bytes
    frames: int | None  # where the audio frames start; None when the blocks overrun the file
    #: (first header byte, body offset, body length) of each block walked, for the reader
    blocks: tuple[tuple[int, int, int], ...] = ()


def flac_blocks(window: FileWindow) -> FlacBlocks | None:
    """The FLAC file's metadata layout, or None when "fLaC" is not where it should be. Reads
    the block headers only, nearly always from the window's cached prefix."""
    start = skip_id3v2(window, 0)
    head = window.read(start, 42)
    if head[:4] != b"fLaC":
        return None
    frames, blocks = _walk_blocks(window, start)
    return FlacBlocks(start, head, frames, blocks)


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
