"""FLAC: the metadata blocks (the walk, `blocks`), the damage check (`damage`), the lean reader
(`reader`), and the payload: the frames after the metadata blocks, tags at the end cut off."""

from __future__ import annotations

from ..container import Container, Payload
from ..raw import id3v2_end, raw_payload, strip_trailing_tags
from ..window import FileWindow
from .blocks import FlacBlocks, flac_blocks
from .damage import flac_damage
from .reader import read_flac

__all__ = ["FLAC", "FlacBlocks", "flac_blocks"]


def _payload(window: FileWindow, flac: FlacBlocks | None) -> Payload:
    if flac is None or flac.frames is None:
        return raw_payload(window, flac)
    frames = min(flac.frames, window.size)
    return Payload(((frames, strip_trailing_tags(window, frames, window.size)),))


def _tag_bytes(window: FileWindow, flac: FlacBlocks | None) -> int:
    """The metadata blocks, all of which mutagen reads (pictures included)."""
    if flac is None:
        return id3v2_end(window, flac)
    return max(flac.start, (flac.frames or window.size) - flac.start)


FLAC = Container(flac_blocks, flac_damage, _payload, _tag_bytes, read_flac)
