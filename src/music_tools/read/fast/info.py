"""What a lean reader returns: the file as the mutagen path would see it."""

from __future__ import annotations

from dataclasses import dataclass

from ...formats.window import FileWindow

__all__ = ["TAG_TEXT_CAP", "FastInfo", "read_bytes"]

TAG_TEXT_CAP = 1024 * 1024  # bytes of tag text a fast reader reads at most, pictures aside


@dataclass(slots=True)
class FastInfo:
    """A file's format, audio properties and raw tags, as the mutagen path would see them.

    Exactly one tag source is set (or none, for an untagged file): `vorbis` holds Vorbis
    comment (key, value) pairs in file order; `id3` the text of each ID3 frame by mutagen's
    key ("TPE1", "TXXX:desc"), after mutagen's v2.4 upgrade; `id3_ufid` the MusicBrainz UFID.
    """

    file_format: str
    codec: str
    is_lossless: bool
    length: float
    sample_rate: int
    channels: int
    bits_per_sample: int
    bitrate: int  # bit/s, as mutagen computes it
    md5: int | None = None
    vorbis: list[tuple[str, str]] | None = None
    id3: dict[str, list[str]] | None = None
    id3_ufid: bytes | None = None


def read_bytes(window: FileWindow, offset: int, length: int) -> bytes:
    """`length` bytes at `offset` (fewer at the end of the file): a slice of the cached head
    or tail when they lie in one, as nearly all tag and header bytes do, else one read."""
    end = offset + length
    head = window.head
    if end <= len(head) and offset >= 0:
        return head[offset:end]
    start = window.tail_start
    if offset >= start > 0:
        return window.tail[offset - start : end - start]
    return window.read(offset, length)
