"""Small helpers every stage uses: chunking an iterable, folder containment, printable paths,
and the case and accent folding that the identity keys and search share."""

from __future__ import annotations

import os
import signal
import stat
import sys
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

__all__ = [
    "StrPath",
    "chunks",
    "fold_text",
    "is_inside",
    "one_or_many",
    "path_list",
    "printable_path",
    "search_text",
    "stops_held",
]

T = TypeVar("T")

#: a path as the API takes it: text or an `os.PathLike` (`pathlib.Path`)
StrPath = str | os.PathLike[str]


def one_or_many(paths: StrPath | Iterable[str]) -> Iterable[str]:
    """A path given alone as a list of that path; an iterable of paths as it is (a
    generator of a million paths is not held whole, a list keeps its length). An empty
    path is a ValueError: it would name the current folder (a list is checked now, a
    generator as it is read)."""
    if isinstance(paths, str | os.PathLike):
        return [_not_empty(os.fspath(paths))]
    if isinstance(paths, Collection):
        for path in paths:
            _not_empty(path)
        return paths
    return (_not_empty(path) for path in paths)


def path_list(paths: StrPath | Iterable[StrPath]) -> list[str]:
    """One path, or an iterable of paths, as a list of `str`: a path given alone is one
    path, never the characters of its name (`index("/music")` must not index `/`); an
    empty path is a ValueError, never the current folder."""
    if isinstance(paths, str | os.PathLike):
        return [_not_empty(os.fspath(paths))]
    return [_not_empty(os.fspath(path)) for path in paths]


def _not_empty(path: str) -> str:
    """`path`, unless it is the empty string (which the OS takes as the current folder);
    what is no path at all (None, a number) goes on, to be refused as a TypeError by what
    takes it."""
    if isinstance(path, str) and not path:
        raise ValueError("an empty path (give '.' for the current folder)")
    return path


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, never materialising the whole input."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def can_die_with_parent() -> bool:
    """Whether `die_with_parent` works here (Linux's prctl found); call it before starting
    the child, so that the child does no lookup between fork and exec."""
    return _prctl() is not None


def die_with_parent() -> None:
    """In a child process: have Linux kill it (SIGKILL) when the process that started it
    dies, however that dies (PR_SET_PDEATHSIG); nothing elsewhere. One C call, no lock."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1

#: the signals that stop a command (the command line turns both into KeyboardInterrupt)
_STOPS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextmanager
def stops_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back for a few lines of bookkeeping that must not be cut in
    two (what was just committed, and its counts): delivered as the block ends. For pure
    Python only: never around a wait (a lock, the disk), which must stay interruptible.
    Outside the main thread (where no signal handler runs), nothing is held."""
    import threading

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@lru_cache(maxsize=1)
def _prctl() -> Any:
    if sys.platform != "linux":
        return None
    import ctypes  # only where a child process is started: the core stays light to import

    try:
        return ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None


def is_inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies below it (by name: links are not resolved)."""
    if folder == os.sep:
        return path.startswith(os.sep)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def printable_path(path: str) -> str:
    """A path as text: one that is not valid UTF-8 shows its odd bytes as \\xNN escapes.

    Every path that leaves the program (a table, JSON, CSV, an error line) goes through here.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def human_size(size: float) -> str:
    """A byte count as a person reads it: 2.1 MB (decimal units)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def special_kind(mode: int) -> str:
    """What a file that is not a regular file is (from its st_mode), in a word or two."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


# -- folding text: what the identity keys and search compare -------------------------------

_FOLDABLE_LIMIT = 0x0530  # Latin, IPA, Greek, Cyrillic; plus Latin Extended Additional below


def _foldable(char: str) -> bool:
    code = ord(char)
    return code < _FOLDABLE_LIMIT or 0x1E00 <= code <= 0x1FFF


def fold_accents(text: str) -> str:
    """Drop combining marks on Latin/Greek/Cyrillic letters; leave every other script."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    base_foldable = False
    for char in decomposed:
        if unicodedata.combining(char):
            if base_foldable:
                continue
        else:
            base_foldable = _foldable(char)
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def fold_text(text: str) -> str:
    """`text` as search compares it: Unicode NFKC, case-folded, accents folded as the
    metadata key folds them (`Björk`, `BJORK` and `bjork` agree, `Straße` and `strasse`),
    punctuation and spacing kept."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text if text.isascii() else fold_accents(text)


#: the tags `search_text` folds, in its order (the free words of a search look in the first
#: four; a field term in its own)
SEARCH_TEXT_FIELDS = ("artist", "title", "album", "album_artist", "genre")
SEARCH_TEXT_SEPARATOR = "\x1f"


def search_text(*values: object) -> str | None:
    """The SEARCH_TEXT_FIELDS values (in that order) folded and joined by
    SEARCH_TEXT_SEPARATOR, which no folded value then holds; None when every value is ASCII
    or missing: folding such a value changes only ASCII letters' case, which every store's
    LIKE ignores, so search compares the tags themselves and nothing is stored."""
    if all(not isinstance(value, str) or value.isascii() for value in values):
        return None
    return SEARCH_TEXT_SEPARATOR.join(
        fold_text(value).replace(SEARCH_TEXT_SEPARATOR, " ") if isinstance(value, str) else ""
        for value in values
    )
