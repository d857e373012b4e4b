"""One audio file -> one LibraryFile: tags, properties and identity keys, or one ExtractError.

This is the error boundary of reading: whatever mutagen, the OS or a hostile file throws
becomes `ExtractError(path, reason)` with a reason a person understands.
"""

from __future__ import annotations

import os
import stat as stat_module
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import ExtractError, os_reason
from ..formats.damage import TAG_LIMIT, damage, tag_bytes
from ..formats.sniff import OGG_EXTENSIONS, sniff
from ..formats.window import OGG_WINDOW, WINDOW, FileWindow, OpenFile
from ..identity import keys
from ..identity.normalize import NORMALIZATION_VERSION, metadata_hash
from ..models import FileEntry, LibraryFile
from ..util import human_size, search_text, special_kind
from .tags import MutagenError, NotAudioError, read_tags

__all__ = ["ExtractBatch", "extract", "extract_batch"]

_TRUNCATED_HINTS = (
    "read 0 bytes",
    "unpack requires",
    "eof",
    "truncated",
    "not enough data",
    "expected",
    "short read",
    "end of file",
    "bytes, read",
)


@dataclass(slots=True)
class ExtractBatch:
    """What a batch of files gave: the files read and, side by side, the ones that failed."""

    files: list[LibraryFile] = field(default_factory=list)
    errors: list[ExtractError] = field(default_factory=list)


def extract(
    path: str | os.PathLike[str], *, full_hash: bool = False, root: str | None = None
) -> LibraryFile:
    """Read one file. Raises ExtractError, and nothing else, when it cannot be read."""
    name = os.fspath(path)
    try:
        return _extract(name, full_hash, root)
    except ExtractError:
        raise
    except NotAudioError:
        raise ExtractError(name, "not an audio file") from None
    except OSError as exc:
        raise ExtractError(name, os_reason(exc)) from None
    except MemoryError:
        raise ExtractError(name, f"corrupt {_kind(name)} file (impossible sizes)") from None
    except (MutagenError, struct.error, EOFError, Exception) as exc:  # the boundary
        raise ExtractError(name, _describe(exc, name)) from None


def extract_batch(
    items: Iterable[str | os.PathLike[str] | FileEntry], *, full_hash: bool = False
) -> ExtractBatch:
    """Read many files; a failure is recorded beside the results, never raised.

    A module-level function of picklable arguments, so it runs in a process pool as is.
    """
    batch = ExtractBatch()
    for item in items:
        try:
            if isinstance(item, FileEntry):
                file = extract(item.path, full_hash=full_hash, root=item.library_root)
            else:
                file = extract(item, full_hash=full_hash)
        except ExtractError as exc:
            batch.errors.append(exc)
        else:
            batch.files.append(file)
    return batch


def _open(path: str) -> tuple[OpenFile, os.stat_result]:
    """The file and its stat, opened so that a FIFO or a device can never block: O_NONBLOCK,
    then anything but a regular file is refused before a byte is read."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        stat = os.fstat(fd)
        mode = stat.st_mode
        if stat_module.S_ISDIR(mode):
            raise ExtractError(path, "is a directory")
        if not stat_module.S_ISREG(mode):
            raise ExtractError(path, f"not a regular file ({special_kind(mode)})")
    except BaseException:
        os.close(fd)
        raise
    return OpenFile(fd, path), stat


_HEAD_FIRST = frozenset({".wav", ".aif", ".aiff", ".aifc"})
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _extract(path: str, full_hash: bool, root: str | None) -> LibraryFile:
    directory, filename = os.path.split(path)
    extension = os.path.splitext(filename)[1].lower()
    opened, stat = _open(path)
    with opened:
        if stat.st_size == 0:
            raise ExtractError(path, "empty file")
        file = LibraryFile(
            file_path=path,
            filename=filename,
            directory=directory,
            library_root=root,
            file_size=stat.st_size,
            file_mtime_ns=stat.st_mtime_ns,
        )
        is_ogg = extension in OGG_EXTENSIONS
        window = FileWindow(opened, stat.st_size, OGG_WINDOW if is_ogg else WINDOW)
        # An Ogg, WAV or AIFF file's key starts at its first audio bytes, in the head: read
        # it at once (a misnamed file only reads more than it needs)
        kind = sniff((window.head if is_ogg or extension in _HEAD_FIRST else window.prefix)[:64])
        named = kind or extension.lstrip(".")
        tags_size = tag_bytes(window, named)
        if tags_size > TAG_LIMIT:
            raise ExtractError(
                path,
                f"tags of {human_size(tags_size)} are larger than the {human_size(TAG_LIMIT)} "
                "read for tags (pictures included); file not read",
            )
        _refuse_damaged(path, window, kind)  # before mutagen trusts the declared sizes
        if kind is None and named == "mpc":  # SV8 after an ID3 tag: mutagen may loop on it
            _refuse_damaged(path, window, named)
        flac_md5 = read_tags(opened, file, extension, kind, window)
        file.metadata_hash = metadata_hash(file.artist, file.title, path)
        file.metadata_version = NORMALIZATION_VERSION
        file.search_text = search_text(
            file.artist, file.title, file.album, file.album_artist, file.genre
        )
        file_format = file.file_format or extension.lstrip(".")
        payload, file.audio_key = keys.read_keys(
            opened, file_format, stat.st_size, flac_md5, with_payload=full_hash, window=window
        )
        if file_format != kind:
            _refuse_damaged(path, window, file_format)
        if file.bitrate is None and file.duration and payload is not None:
            file.bitrate = round(payload.length * 8 / file.duration / 1000)
        if full_hash and payload is not None:
            file.audio_hash = keys.audio_hash(opened.buffered, payload)
            file.file_content_hash = keys.file_content_hash(opened.buffered, stat.st_size)
    return file


def _refuse_damaged(path: str, window: FileWindow, file_format: str | None) -> None:
    damaged = damage(window, file_format) if file_format else None
    if damaged is not None:
        raise ExtractError(path, damaged)


def _kind(path: str) -> str:
    return os.path.splitext(path)[1].lstrip(".").upper() or "audio"


def _describe(exc: BaseException, path: str) -> str:
    """A reason a person understands, from whatever a parser raised."""
    message = " ".join(str(exc).replace(repr(path), "").replace(path, "").split())
    lowered = message.lower()
    kind = _kind(path)
    if isinstance(exc, (struct.error, EOFError)) or any(h in lowered for h in _TRUNCATED_HINTS):
        return f"truncated {kind} stream"
    if isinstance(exc, MutagenError):
        if not message:  # mutagen says nothing: say which of its parsers gave up
            part = type(exc).__module__.split(".")[1:2] or ["audio"]
            return f"corrupt {kind} file: damaged or cut-short {part[0].upper()} data"
        return f"corrupt {kind} file: {message[:200]}"
    return f"corrupt {kind} file ({type(exc).__name__}{': ' + message[:200] if message else ''})"
