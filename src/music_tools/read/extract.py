"""One audio file -> one LibraryFile: tags, properties and identity keys, or one ExtractError.

This is the error boundary of reading: whatever mutagen, the OS or a hostile file throws
becomes `ExtractError(path, reason, kind)`, with a reason a person understands and the kind
of failure it is. It is also reading's one dispatcher: the file's kind (its magic bytes,
else its name) picks its container format from `_CONTAINERS`; that format's walk is made
once per file and handed to its tag-size limit, damage check, lean reader and payload alike.
"""

from __future__ import annotations

import os
import stat as stat_module
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import ExtractError, ExtractKind, os_kind, os_reason
from ..formats.ape import APE
from ..formats.asf import ASF
from ..formats.container import Container, Payload
from ..formats.dsd import DSDIFF, DSF
from ..formats.flac import FLAC
from ..formats.info import FastInfo
from ..formats.mp4 import MP4
from ..formats.mpeg import MP3
from ..formats.musepack import MUSEPACK
from ..formats.ogg import OGG
from ..formats.raw import RAW
from ..formats.riff import AIFF, WAV
from ..formats.sniff import EXTENSION_KINDS, sniff
from ..formats.wavpack import WAVPACK
from ..formats.window import FileWindow, HasFileno, OpenFile
from ..identity.keys import audio_hash, audio_key, file_content_hash, md5_key
from ..identity.normalize import NORMALIZATION_VERSION, metadata_hash
from ..models import FileEntry, LibraryFile
from ..util import human_size, search_text, special_kind
from .fields import fill_from_lean
from .tags import MutagenError, NotAudioError, read_with_mutagen

__all__ = [
    "READER_VERSION",
    "TAG_LIMIT",
    "ExtractBatch",
    "damage_of",
    "extract",
    "extract_batch",
    "lean_kind",
    "payload_of",
    "read_lean",
]

#: Tags (pictures included) larger than this are not read: mutagen would hold them in memory.
TAG_LIMIT = 32 * 1024 * 1024
#: The version of what reading makes of a file, its damage checks above all: a row read by an
#: older one (0: before the checks of issue 19, a garbage STREAMINFO or an MP3 cut short
#: read as intact; 1: before an MP3's bitrate mode, CBR, VBR or ABR, was read) is read
#: again by the next index. Raise it when a reader or damage check changes what it makes of
#: files already indexed.
READER_VERSION = 2

#: The container format of each kind (as `sniff` names them, as the readers name a file's
#: format): every other kind is a raw stream between tags.
_CONTAINERS: dict[str, Container[Any]] = {
    "mp3": MP3,
    "flac": FLAC,
    "wav": WAV,
    "aiff": AIFF,
    "m4a": MP4,
    **dict.fromkeys(("vorbis", "opus", "oggflac", "speex", "ogg"), OGG),
    "wma": ASF,
    "ape": APE,
    "wv": WAVPACK,
    "mpc": MUSEPACK,
    "dsf": DSF,
    "dff": DSDIFF,
}
#: the container a file's name says it is, before its bytes are read
_BY_EXTENSION = {ext: _CONTAINERS.get(kinds[0], RAW) for ext, kinds in EXTENSION_KINDS.items()}
#: files that sniffing leaves unnamed (no magic bytes) but whose name names one lean reader
_LEAN_BY_EXTENSION = {".mp3": "mp3"}

#: what mutagen says when a file ends before its parser had what it asked for
_SHORT_READS = (
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

L = TypeVar("L")


@dataclass(slots=True)
class ExtractBatch:
    """What a batch of files gave: the files read and, side by side, the ones that failed."""

    files: list[LibraryFile] = field(default_factory=list)
    errors: list[ExtractError] = field(default_factory=list)


def extract(
    path: str | os.PathLike[str],
    *,
    full_hash: bool = False,
    root: str | None = None,
    fast_read: bool = True,
) -> LibraryFile:
    """Read one file. Raises ExtractError, and nothing else, when it cannot be read.

    `full_hash` also hashes the whole audio and the whole file; `fast_read=False` reads
    every file through mutagen, the lean readers left out (what they are compared with)."""
    name = os.fspath(path)
    try:
        return _extract(name, full_hash, root, fast_read)
    except ExtractError:
        raise
    except NotAudioError:
        raise ExtractError(name, "not an audio file", ExtractKind.NOT_AUDIO) from None
    except OSError as exc:
        raise ExtractError(name, os_reason(exc), os_kind(exc)) from None
    except MemoryError:
        reason = f"corrupt {_kind(name)} file (impossible sizes)"
        raise ExtractError(name, reason, ExtractKind.CORRUPT) from None
    except (MutagenError, struct.error, EOFError, Exception) as exc:  # the boundary
        raise ExtractError(name, *_describe(exc, name)) from None


def damage_of(path: str | os.PathLike[str]) -> str | None:
    """Why the file at `path` is damaged, by extract's damage checks alone (its headers
    against its size: a few KiB read, no tags, no mutagen); None when they find nothing.
    Raises ExtractError when it cannot be checked (it cannot be opened, say)."""
    name = os.fspath(path)
    try:
        _damage_only(name)
    except ExtractError as exc:
        if exc.kind is ExtractKind.DAMAGED:
            return exc.reason
        raise
    except OSError as exc:
        raise ExtractError(name, os_reason(exc), os_kind(exc)) from None
    except Exception as exc:  # the boundary, as extract's
        raise ExtractError(name, *_describe(exc, name)) from None
    return None


def _damage_only(path: str) -> None:
    extension = os.path.splitext(path)[1].lower()
    opened, stat = _open(path)
    with opened:
        named = _BY_EXTENSION.get(extension, RAW)
        walked = _Walked(FileWindow(opened, stat.st_size, named.span))
        window = walked.window
        kind = sniff((window.head if named.head_first else window.prefix)[:64])
        if kind is not None:
            _refuse_damaged(path, walked, _container(kind))
        _refuse_damaged(path, walked, _container(extension.lstrip(".")))


def extract_batch(
    items: Iterable[str | os.PathLike[str] | FileEntry],
    *,
    full_hash: bool = False,
    fast_read: bool = True,
) -> ExtractBatch:
    """Read many files; a failure is recorded beside the results, never raised.

    A module-level function of picklable arguments, so it runs in a process pool as is.
    """
    batch = ExtractBatch()
    for item in items:
        try:
            if isinstance(item, FileEntry):
                file = extract(
                    item.path, full_hash=full_hash, root=item.library_root, fast_read=fast_read
                )
            else:
                file = extract(item, full_hash=full_hash, fast_read=fast_read)
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
            raise ExtractError(path, "is a directory", ExtractKind.NOT_A_FILE)
        if not stat_module.S_ISREG(mode):
            reason = f"not a regular file ({special_kind(mode)})"
            raise ExtractError(path, reason, ExtractKind.NOT_A_FILE)
    except BaseException:
        os.close(fd)
        raise
    return OpenFile(fd, path), stat


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class _Walked:
    """One file's window, and each container walked over it, at most once: the tag-size
    limit, the damage checks, the lean reader and the payload share the walk."""

    __slots__ = ("_layouts", "checked", "window")

    def __init__(self, window: FileWindow) -> None:
        self.window = window
        self._layouts: dict[Any, Any] = {}
        self.checked: list[Container[Any]] = []  # the containers whose damage was checked

    def layout(self, container: Container[L]) -> L:
        walk = container.walk
        layouts = self._layouts
        if walk in layouts:
            layout: L = layouts[walk]
            return layout
        layout = layouts[walk] = walk(self.window)
        return layout


def _extract(path: str, full_hash: bool, root: str | None, fast_read: bool) -> LibraryFile:
    directory, filename = os.path.split(path)
    extension = os.path.splitext(filename)[1].lower()
    opened, stat = _open(path)
    with opened:
        if stat.st_size == 0:
            raise ExtractError(path, "empty file", ExtractKind.NOT_AUDIO)
        file = LibraryFile(
            file_path=path,
            filename=filename,
            directory=directory,
            library_root=root,
            file_size=stat.st_size,
            file_mtime_ns=stat.st_mtime_ns,
        )
        named = _BY_EXTENSION.get(extension, RAW)
        walked = _Walked(FileWindow(opened, stat.st_size, named.span))
        window = walked.window
        # An Ogg, WAV or AIFF file's key starts at its first audio bytes, in the head: read
        # it at once (a misnamed file only reads more than it needs)
        kind = sniff((window.head if named.head_first else window.prefix)[:64])
        _refuse_large_tags(path, walked, _container(kind or extension.lstrip(".")))
        if kind is not None:
            _refuse_damaged(path, walked, _container(kind))  # before mutagen trusts the sizes
        elif extension.lstrip(".") == "mpc":  # SV8 after an ID3 tag: mutagen may loop on it
            _refuse_damaged(path, walked, MUSEPACK)
        flac_md5 = _read_tags(opened, file, extension, kind, walked, fast_read)
        file.metadata_hash = metadata_hash(file.artist, file.title, path)
        file.metadata_version = NORMALIZATION_VERSION
        file.reader_version = READER_VERSION
        file.search_text = search_text(
            file.artist, file.title, file.album, file.album_artist, file.genre
        )
        file_format = file.file_format or extension.lstrip(".")
        container = _container(file_format)
        payload = None
        if flac_md5 and not full_hash:
            file.audio_key = md5_key(flac_md5)  # no byte of the audio read
        else:
            payload = _key(file, walked, container, file_format, flac_md5)
        _refuse_damaged(path, walked, container)
        if file.bitrate is None and file.duration and payload is not None:
            file.bitrate = round(payload.length * 8 / file.duration / 1000)
        if full_hash and payload is not None:
            file.audio_hash = audio_hash(opened.buffered, payload)
            file.file_content_hash = file_content_hash(opened.buffered, stat.st_size)
    return file


def _key(
    file: LibraryFile,
    walked: _Walked,
    container: Container[Any],
    file_format: str,
    flac_md5: int | None,
) -> Payload:
    """Set `file`'s audio_key from its payload (or its FLAC MD5), and return the payload."""
    window = walked.window
    if window.span < container.span:  # a misnamed Ogg file: its key wants the wider window
        window = FileWindow(window.fileobj, window.size, container.span)
    payload = container.payload(window, walked.layout(container))
    file.audio_key = md5_key(flac_md5) if flac_md5 else audio_key(window, file_format, payload)
    return payload


def _container(kind: str) -> Container[Any]:
    return _CONTAINERS.get(kind, RAW)


def _refuse_large_tags(path: str, walked: _Walked, container: Container[Any]) -> None:
    size = container.tag_bytes(walked.window, walked.layout(container))
    if size > TAG_LIMIT:
        raise ExtractError(
            path,
            f"tags of {human_size(size)} are larger than the {human_size(TAG_LIMIT)} read for "
            "tags (pictures included); file not read",
            ExtractKind.TOO_LARGE,
        )


def _refuse_damaged(path: str, walked: _Walked, container: Container[Any]) -> None:
    """Refuse a file whose headers declare more than it holds; each container is checked
    once (the file's bytes may name one kind and its reader another)."""
    if any(checked is container for checked in walked.checked):
        return
    walked.checked.append(container)
    damaged = container.damage(walked.window, walked.layout(container))
    if damaged is not None:
        raise ExtractError(path, damaged, ExtractKind.DAMAGED)


def _read_tags(
    opened: OpenFile,
    file: LibraryFile,
    extension: str,
    kind: str | None,
    walked: _Walked,
    fast_read: bool,
) -> int | None:
    """Fill `file`'s tags and properties: by the lean reader of its kind when there is one
    and it is sure, else by mutagen. The MD5 a FLAC STREAMINFO carries (None: none)."""
    lean = _lean_container(kind, extension) if fast_read else None
    if lean is not None and lean.read is not None:
        info = lean.read(walked.window, walked.layout(lean))
        if info is not None:
            fill_from_lean(file, info)
            return info.md5
    return read_with_mutagen(opened, file, extension, kind)


def _lean_container(kind: str | None, extension: str) -> Container[Any] | None:
    name = kind or _LEAN_BY_EXTENSION.get(extension)
    return _CONTAINERS.get(name) if name is not None else None


def _kind(path: str) -> str:
    return os.path.splitext(path)[1].lstrip(".").upper() or "audio"


def _describe(exc: BaseException, path: str) -> tuple[str, ExtractKind]:
    """A reason a person understands, and its kind, from whatever a parser raised. Where the
    foreign error enters, it is read once: its type, and mutagen's words for running out of
    bytes (it has no type for that)."""
    message = " ".join(str(exc).replace(repr(path), "").replace(path, "").split())
    lowered = message.lower()
    kind = _kind(path)
    if isinstance(exc, (struct.error, EOFError)) or any(h in lowered for h in _SHORT_READS):
        return f"truncated {kind} stream", ExtractKind.TRUNCATED
    if isinstance(exc, MutagenError):
        if not message:  # mutagen says nothing: say which of its parsers gave up
            part = type(exc).__module__.split(".")[1:2] or ["audio"]
            reason = f"corrupt {kind} file: damaged or cut-short {part[0].upper()} data"
            return reason, ExtractKind.CORRUPT
        return f"corrupt {kind} file: {message[:200]}", ExtractKind.CORRUPT
    name = f"{type(exc).__name__}{': ' + message[:200] if message else ''}"
    return f"corrupt {kind} file ({name})", ExtractKind.CORRUPT


# -- for the differential tests, the benchmarks and the duplicate finder ----------------------


def lean_kind(sniffed: str | None, extension: str) -> str | None:
    """The kind whose lean reader reads a file whose first bytes say `sniffed` (None: no lean
    reader, mutagen reads it)."""
    name = sniffed or _LEAN_BY_EXTENSION.get(extension)
    container = _CONTAINERS.get(name) if name is not None else None
    return name if container is not None and container.read is not None else None


def read_lean(path: str | os.PathLike[str]) -> FastInfo | None:
    """What the lean readers make of the file at `path` (None: mutagen would read it), for
    the differential tests and the benchmarks' count of files that fell back."""
    with open(path, "rb") as fileobj:
        window = FileWindow(fileobj, os.fstat(fileobj.fileno()).st_size)
        container = _lean_container(sniff(window.head[:64]), os.path.splitext(path)[1].lower())
        if container is None or container.read is None:
            return None
        return container.read(window, container.walk(window))


def payload_of(fileobj: HasFileno, file_format: str, size: int) -> Payload:
    """Where the audio of a file read before as `file_format` lies (for its full hash)."""
    container = _container(file_format)
    window = FileWindow(fileobj, size, container.span)
    return container.payload(window, container.walk(window))
