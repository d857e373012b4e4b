"""What a lean reader returns: the file as the mutagen path would see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .window import FileWindow

__all__ = ["MAX_PARTS", "TAG_TEXT_CAP", "FastInfo", "HeldBytes", "read_bytes"]

TAG_TEXT_CAP = 1024 * 1024  # bytes of tag text a fast reader reads at most, pictures aside
MAX_PARTS = 4096  # ID3 frames or FLAC metadata blocks a fast reader walks at most


@dataclass(slots=True)
class FastInfo:
    """A file's format, audio properties and raw tags, as the mutagen path would see them.

    Exactly one tag source is set (or none, for an untagged file): `vorbis` holds the Vorbis
    comments' values by lower-cased key, each key's in file order; `id3` the text of each ID3
    frame by mutagen's key ("TPE1", "TXXX:desc"), after mutagen's v2.4 upgrade; `id3_ufid` the
    MusicBrainz UFID; `mp4` the ilst items mutagen's MP4Tags holds, by its keys ("\xa9ART",
    "trkn", "----:..."); `ape` each APEv2 item's text by lower-cased key, as the mutagen path
    reads it; `asf` each ASF attribute's text by name (str() of mutagen's attribute), in
    mutagen's order. `fallback`, when set, reads the fields from tags of another kind, as the
    mutagen path does when those give none (a WAV file's RIFF INFO list).
    """

    file_format: str
    codec: str
    is_lossless: bool
    length: float
    sample_rate: int
    channels: int
    bits_per_sample: int
    bitrate: int  # bit/s, as mutagen computes it
    #: "CBR", "VBR" or "ABR" as mutagen's `MPEGInfo.bitrate_mode` names it; None: unknown
    bitrate_mode: str | None = None
    md5: int | None = None
    vorbis: dict[str, list[str]] | None = None
    id3: dict[str, list[str]] | None = None
    id3_ufid: bytes | None = None
    mp4: dict[str, list[Any]] | None = None
    ape: dict[str, str] | None = None
    asf: dict[str, list[str]] | None = None
    fallback: Callable[[], dict[str, str]] | None = None


def read_bytes(window: FileWindow, offset: int, length: int) -> bytes:
    """`length` bytes at `offset` (fewer at the end of the file): a slice of the cached
    prefix, head or tail when they lie in one, as nearly all tag and header bytes do, else
    one read."""
    return window.read(offset, length)


class HeldBytes:
    """Some bytes of a file held after one read (from `start`); reads outside them go
    through the window. Walking a tag's headers then costs no read per header."""

    __slots__ = ("data", "start", "window")

    def __init__(self, window: FileWindow, start: int, data: bytes) -> None:
        self.window, self.start, self.data = window, start, data

    def get(self, offset: int, length: int) -> bytes:
        relative = offset - self.start
        if relative >= 0 and relative + length <= len(self.data):
            return self.data[relative : relative + length]
        return read_bytes(self.window, offset, length)
