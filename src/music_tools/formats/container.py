"""The surface every container format offers the reader, the same for each format: reading
dispatches from one table of them (`read/extract.py`), and what each format's bytes mean
sits in one module or package of its own (its walk, damage check, payload and lean reader).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .info import FastInfo
from .window import WINDOW, FileWindow

__all__ = ["Container", "Payload"]

L = TypeVar("L")


@dataclass(frozen=True, slots=True)
class Payload:
    """Where a file's audio is: byte ranges, and whether they are Ogg pages."""

    ranges: tuple[tuple[int, int], ...]
    ogg_pages: bool = False

    @property
    def length(self) -> int:
        return sum(end - start for start, end in self.ranges)


@dataclass(frozen=True, slots=True)
class Container(Generic[L]):
    """One container format. `walk` reads its layout (top-level chunks or atoms, metadata
    blocks; None where there is nothing to walk) once per file, for the others, which each
    take the file's window and that layout:

    `damage`: why the file's audio is incomplete, or None when its headers and size agree;
    `payload`: where its audio lies, tags left out (a container that cannot be walked is
    read as a raw stream); `tag_bytes`: how many bytes of tags mutagen would hold in memory;
    `read`: the lean reader, the file as mutagen would see it or None where it is unsure
    (no lean reader: mutagen reads every such file). `span` is the window the audio key's
    bytes want, and `head_first` says the key starts in the head (read it at once).
    """

    walk: Callable[[FileWindow], L]
    damage: Callable[[FileWindow, L], str | None]
    payload: Callable[[FileWindow, L], Payload]
    tag_bytes: Callable[[FileWindow, L], int]
    read: Callable[[FileWindow, L], FastInfo | None] | None = None
    span: int = WINDOW
    head_first: bool = False
