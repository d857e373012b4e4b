"""Ogg (Vorbis, Opus, Speex, FLAC in Ogg): the pages' parser (`pages`), the damage check (the
last page against the end of the file), the payload (the audio pages after the header
packets, or the whole file when they cannot be told apart), and the lean Vorbis and Opus
reader (`reader`)."""

from __future__ import annotations

from ...util import human_size
from ..container import Container, Payload
from ..raw import id3v2_end, nothing
from ..window import KEY_BYTES, FileWindow
from . import pages
from .reader import read_ogg

__all__ = ["OGG", "OGG_WINDOW"]

OGG_WINDOW = KEY_BYTES + 16 * 1024  # the key's Ogg page bodies and their page headers


def _damage(window: FileWindow, layout: object) -> str | None:
    """An Ogg file whose last page runs past its end: cut short, yet its length would read
    from that page's granule position, the whole stream's. A file cut between two pages is
    not told (nothing of it says more was there), but it then reads as the shorter file it
    is. Reads the tail the reader and the key read anyway."""
    tail = window.tail
    at = tail.rfind(b"OggS")
    if at < 0:
        return None
    header = tail[at : at + 27]
    if len(header) > 4 and header[4] != 0:
        return None  # "OggS" inside a page, not a page (a page's version byte is 0)
    lacing = tail[at + 27 : at + 27 + header[26]] if len(header) == 27 else b""
    if len(header) == 27 and len(lacing) == header[26]:
        missing = at + 27 + len(lacing) + sum(lacing) - len(tail)
        if missing <= 0:
            return None
        return f"damaged Ogg: {human_size(missing)} of its last page missing (truncated?)"
    return "damaged Ogg: its last page's header is cut short (truncated?)"


def _payload(window: FileWindow, layout: object) -> Payload:
    audio_start = pages.audio_start(window)
    if audio_start is None:
        return Payload(((0, window.size),))
    return Payload(((audio_start, window.size),), ogg_pages=True)


OGG = Container(nothing, _damage, _payload, id3v2_end, read_ogg, span=OGG_WINDOW, head_first=True)
