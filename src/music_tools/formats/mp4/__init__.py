"""MP4/M4A: the top-level atoms (the walk, `atoms`), the damage check (an atom that runs past
the end of the file), the payload (the top-level `mdat` atoms), the tags mutagen would read
(the `moov`), and the lean reader (`reader`: the atom tree, `sample_entry`, `items`)."""

from __future__ import annotations

from collections.abc import Iterator

from ...util import human_size
from ..container import Container, Payload
from ..raw import id3v2_end, raw_payload, strip_trailing_tags
from ..window import FileWindow
from .atoms import Mp4Layout, top_atoms
from .reader import read_mp4

__all__ = ["MP4", "Mp4Layout", "top_atoms"]


def _damage(window: FileWindow, walked: Mp4Layout) -> str | None:
    """An atom that runs past the end of the file; not a tag appended after the last atom
    (ID3v1, APEv2: mutagen reads past them), whose bytes read as an atom's header."""
    for kind, offset, _, declared_end in walked.atoms:
        if declared_end > window.size:
            if offset == strip_trailing_tags(window, 0, window.size):
                return None
            missing = declared_end - window.size
            what = "of audio" if kind == b"mdat" else f"of its '{kind.decode('latin-1')}' atom"
            return f"damaged M4A: {human_size(missing)} {what} missing (truncated?)"
    return None


def _tag_bytes(window: FileWindow, walked: Mp4Layout) -> int:
    """The ID3v2 tags at the start, or the `moov` atom, which mutagen reads whole."""
    size = id3v2_end(window, walked)
    for kind, start, _, end in walked.atoms:
        if kind == b"moov":
            size = max(size, min(end, window.size) - start)
    return size


def _payload(window: FileWindow, walked: Mp4Layout) -> Payload:
    """The data of the top-level `mdat` atoms, from the walk: it stops at an invalid size, as
    this does, and also at a 64-bit size below 16."""
    if walked.cut:  # a walk of countless atoms: this one goes on
        ranges = tuple(_mdat_atoms(window))
    else:
        found = []
        for kind, offset, header_size, end in walked.atoms:
            if end - offset < header_size:
                break
            if kind == b"mdat":
                found.append((offset + header_size, min(end, window.size)))
        ranges = tuple(found)
    return Payload(ranges) if ranges else raw_payload(window, walked)


def _mdat_atoms(window: FileWindow) -> Iterator[tuple[int, int]]:
    """Data ranges of the top-level `mdat` atoms."""
    offset, file_size = 0, window.size
    while offset + 8 <= file_size:
        header = window.read(offset, 16)
        size, kind, header_size = int.from_bytes(header[:4], "big"), header[4:8], 8
        if size == 1 and len(header) == 16:
            size, header_size = int.from_bytes(header[8:16], "big"), 16
        elif size == 0:
            size = file_size - offset
        if size < header_size:
            return
        if kind == b"mdat":
            yield offset + header_size, min(offset + size, file_size)
        offset += size


MP4 = Container(top_atoms, _damage, _payload, _tag_bytes, read_mp4)
