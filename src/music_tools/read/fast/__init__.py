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

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ...formats.ape import read_ape, read_wavpack
from ...formats.asf import read_asf
from ...formats.dsd import read_dsf
from ...formats.flac.reader import read_flac
from ...formats.iff import read_aiff, read_wav
from ...formats.info import TAG_TEXT_CAP, FastInfo
from ...formats.mp4.reader import read_mp4
from ...formats.mpeg import read_mp3
from ...formats.musepack import read_musepack
from ...formats.sniff import sniff
from ...formats.window import FileWindow

__all__ = [
    "FAST_KINDS",
    "FAST_READ_ENV",
    "TAG_TEXT_CAP",
    "FastInfo",
    "fast_kind",
    "fast_reading",
    "mutagen_only",
    "read_fast",
    "read_fast_path",
]

#: set to "0" to read every file through mutagen (the benchmarks and tests compare both paths)
FAST_READ_ENV = "MUSIC_TOOLS_FAST_READ"


_READERS: dict[str, Callable[[FileWindow], FastInfo | None]] = {
    "flac": read_flac,
    "mp3": read_mp3,
    "wav": read_wav,
    "aiff": read_aiff,
    "m4a": read_mp4,
    "ape": read_ape,
    "wv": read_wavpack,
    "mpc": read_musepack,
    "dsf": read_dsf,
    "wma": read_asf,
}
FAST_KINDS = frozenset(_READERS)
#: files that sniffing leaves unnamed (no magic bytes) but whose extension names one reader
_KIND_BY_EXTENSION = {".mp3": "mp3"}


def fast_kind(sniffed: str | None, extension: str) -> str | None:
    """The lean reader for a file whose first bytes say `sniffed`, None if there is none."""
    kind = sniffed or _KIND_BY_EXTENSION.get(extension)
    return kind if kind in _READERS else None


def read_fast(window: FileWindow, kind: str) -> FastInfo | None:
    """The file's FastInfo, or None when a lean reader is unsure and mutagen must read it."""
    reader = _READERS.get(kind)
    return reader(window) if reader is not None else None


def read_fast_path(path: str | os.PathLike[str]) -> FastInfo | None:
    """What the lean readers make of the file at `path` (None: mutagen would read it), for
    the differential tests and the benchmarks' count of files that fell back."""
    with open(path, "rb") as fileobj:
        window = FileWindow(fileobj, os.fstat(fileobj.fileno()).st_size)
        kind = fast_kind(sniff(window.head[:64]), os.path.splitext(os.fspath(path))[1].lower())
        return read_fast(window, kind) if kind is not None else None


def fast_reading() -> bool:
    """Whether the lean readers are on: MUSIC_TOOLS_FAST_READ is not "0" when the process
    starts (read once: looking it up costs a microsecond a file), or `mutagen_only` is not
    in force."""
    return _fast[0]


_fast = [os.environ.get(FAST_READ_ENV) != "0"]


@contextmanager
def mutagen_only() -> Iterator[None]:
    """Within the block, every file is read through mutagen, the lean readers left out (what
    the differential tests and the benchmarks compare against); MUSIC_TOOLS_FAST_READ is set
    meanwhile, for the processes started within."""
    previous, was_fast = os.environ.get(FAST_READ_ENV), _fast[0]
    os.environ[FAST_READ_ENV] = "0"
    _fast[0] = False
    try:
        yield
    finally:
        _fast[0] = was_fast
        if previous is None:
            del os.environ[FAST_READ_ENV]
        else:
            os.environ[FAST_READ_ENV] = previous
