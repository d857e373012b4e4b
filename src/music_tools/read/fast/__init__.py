"""Lean readers for the common formats: only what a LibraryFile needs, read through the window.

Each reader parses the headers and tags of one format from the cached head and tail windows
(and a few small reads beyond them) and returns a `FastInfo`, or None whenever the file holds
anything it does not fully understand: then mutagen reads the file, as before. A reader never
guesses: what it returns is what the mutagen path gives for the same file (the differential
tests prove it file by file), so it can be fast without being the last word.

Text beyond `TAG_TEXT_CAP` bytes is never read here: a file with a larger text tag goes to
mutagen. Pictures are stepped over, never read.
"""

from __future__ import annotations

from collections.abc import Callable

from ...formats.window import FileWindow
from .flac import read_flac
from .iff import read_aiff, read_wav
from .info import TAG_TEXT_CAP, FastInfo
from .mpeg import read_mp3

__all__ = ["FAST_KINDS", "TAG_TEXT_CAP", "FastInfo", "read_fast"]

_READERS: dict[str, Callable[[FileWindow], FastInfo | None]] = {
    "flac": read_flac,
    "mp3": read_mp3,
    "wav": read_wav,
    "aiff": read_aiff,
}
FAST_KINDS = frozenset(_READERS)


def read_fast(window: FileWindow, kind: str) -> FastInfo | None:
    """The file's FastInfo, or None when a lean reader is unsure and mutagen must read it."""
    reader = _READERS.get(kind)
    return reader(window) if reader is not None else None
