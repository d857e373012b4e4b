"""An MP4 file's top-level atoms: the MP4 walk.

The damage check, the tag-size limit, the lean reader and the audio payload all start from
the top-level atoms, walked once per file. Each reads the list by its own rules (where to
stop, what to refuse), so the walk records every atom up to the first invalid size, and says
why it stopped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..window import KEY_BYTES, FileWindow

__all__ = ["ATOM_LIMIT", "Mp4Layout", "top_atoms"]

#: top-level atoms walked at most (a file of more is no music file; the readers step aside)
ATOM_LIMIT = 1000
#: read after the moov with the key's bytes: room for the atoms between it and the mdat
_SLACK = 4 * 1024
_HEADER = struct.Struct(">I4s")
_SIZE64 = struct.Struct(">Q")


@dataclass(slots=True)
class Mp4Layout:
    """The top-level atoms, in file order, as (name, offset, header size, declared end): the
    header is 16 bytes for a 64-bit size, and a size of 0 declares the rest of the file."""

    atoms: list[tuple[bytes, int, int, int]]
    invalid: bool  # the walk stopped at a size below 8 (or a 64-bit size cut off by the end)
    cut: bool  # the walk stopped at ATOM_LIMIT atoms, before the end of the file


def top_atoms(window: FileWindow) -> Mp4Layout:
    """The file's top-level atoms.

    The header after the `moov` (when no `mdat` came before it) is read together with the
    audio key's first bytes: the `mdat` nearly always follows, and the key then reads nothing.
    """
    atoms: list[tuple[bytes, int, int, int]] = []
    offset, size = 0, window.size
    held: bytes | memoryview = window.first_bytes  # the bytes from `base`
    base = 0
    after_moov = seen_mdat = False
    while offset + 8 <= size:
        if len(atoms) >= ATOM_LIMIT:
            return Mp4Layout(atoms, invalid=False, cut=True)
        at = offset - base
        if at < 0 or at + 16 > len(held):
            if after_moov:
                held = window.view(offset, _SLACK + KEY_BYTES)
            else:
                held = window.read(offset, 16)
            base, at = offset, 0
        length, name = _HEADER.unpack_from(held, at)
        header_size = 8
        if length == 1 and at + 16 <= len(held):
            (length,) = _SIZE64.unpack_from(held, at + 8)
            header_size = 16
        elif length == 0:
            length = size - offset
        if length < 8:
            return Mp4Layout(atoms, invalid=True, cut=False)
        atoms.append((name, offset, header_size, offset + length))
        seen_mdat = seen_mdat or name == b"mdat"
        after_moov = name == b"moov" and not seen_mdat
        offset += length
    return Mp4Layout(atoms, invalid=False, cut=False)
