"""A file read through two cached windows: its first and its last bytes."""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Protocol

__all__ = [
    "KEY_BYTES",
    "PREFIX",
    "SPOT",
    "WINDOW",
    "FileWindow",
    "HasFileno",
    "OpenFile",
    "read_at",
]

KEY_BYTES = 64 * 1024
WINDOW = KEY_BYTES + 4 * 1024  # the key bytes and the tags or chunk headers beside them
#: The magic bytes, a FLAC file's metadata blocks but large pictures, an ID3 tag's frames
#: before its picture, an MP4's first atoms.
PREFIX = 4 * 1024
#: Reads outside the windows take at least this much, kept for the next read nearby (the
#: header after a picture is read by more than one walk).
SPOT = 8 * 1024


class HasFileno(Protocol):
    """What the windows read through: an open file's descriptor (they read by pread)."""

    def fileno(self) -> int: ...


class OpenFile:
    """A file open for reading by its descriptor. The windows read it by pread; a buffered
    file object (for mutagen, or to stream the whole file) is made only when one is asked
    for, since most files never need one. Closes the descriptor with itself."""

    __slots__ = ("_buffered", "fd", "name")

    def __init__(self, fd: int, name: str) -> None:
        self.fd, self.name = fd, name
        self._buffered: io.BufferedReader | None = None

    def fileno(self) -> int:
        return self.fd

    @property
    def buffered(self) -> BinaryIO:
        """A buffered file object over the descriptor, named as the file (mutagen scores its
        parsers by the name), made on the first call."""
        if self._buffered is None:
            raw = io.FileIO(self.fd, "rb", closefd=False)
            raw.name = self.name
            self._buffered = io.BufferedReader(raw)
        return self._buffered

    def close(self) -> None:
        if self._buffered is not None:
            self._buffered.close()
        os.close(self.fd)

    def __enter__(self) -> OpenFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileWindow:
    """A file read through two cached windows of `span` bytes, its first and its last.

    Nearly every read the keys need (tag headers, chunk tables, the key bytes themselves)
    falls in one of them, so a file costs two system calls and no copies of the key bytes.
    Until something needs the head, reads of the first `PREFIX` bytes come from a cached
    prefix of just those bytes: a file whose key needs no head (a FLAC with an MD5, an MP3
    whose picture pushes its audio past the head) never loads it.
    """

    __slots__ = (
        "_end",
        "_head",
        "_prefix",
        "_spot",
        "_spot_at",
        "_tail",
        "fileobj",
        "size",
        "span",
        "tail_start",
    )

    def __init__(self, fileobj: HasFileno, size: int, span: int = WINDOW) -> None:
        self.fileobj = fileobj
        self.size = size
        self.span = span
        self.tail_start = max(0, size - span)
        self._head: bytes | None = None
        self._prefix: bytes | None = None
        self._spot = b""
        self._spot_at = 0
        self._tail: bytes | None = None
        self._end: bytes | None = None

    @property
    def head(self) -> bytes:
        """The cached first `span` bytes of the file."""
        if self._head is None:
            wanted = min(self.span, self.size)
            prefix = self._prefix
            if prefix is not None and len(prefix) >= wanted:  # a small file, read whole
                self._head = prefix[:wanted]
            else:
                self._head = read_at(self.fileobj, 0, wanted)
        return self._head

    @property
    def tail(self) -> bytes:
        """The cached bytes from `tail_start` to the end (the head, for a small file)."""
        if self.tail_start == 0:
            return self.head
        if self._tail is None:
            self._tail = read_at(self.fileobj, self.tail_start, self.span)
        return self._tail

    @property
    def prefix(self) -> bytes:
        """The cached first `PREFIX` bytes (from the head, when it is already loaded)."""
        if self._prefix is None:
            head = self._head
            self._prefix = head[:PREFIX] if head is not None else read_at(self.fileobj, 0, PREFIX)
        return self._prefix

    @property
    def first_bytes(self) -> bytes:
        """The cached bytes at the start of the file: the head once it is loaded, else the
        prefix (a reader walking headers from there loads the head only if it goes on)."""
        return self._head if self._head is not None else self.prefix

    def peek(self, length: int) -> bytes:
        """The first `length` bytes: from the cached prefix or head, else one read of just
        those bytes, left uncached (a reader that may need no more spares the full head)."""
        if length <= PREFIX:
            return self.prefix[:length]
        if self._head is not None or length >= self.span:
            return self.head[:length]
        return read_at(self.fileobj, 0, min(length, self.size))

    def view(self, offset: int, length: int) -> memoryview:
        """`length` bytes at `offset` (fewer at the end of the file), without a copy when
        they lie in a cached window."""
        end = min(offset + max(length, 0), self.size)
        if offset < 0 or end <= offset:
            return memoryview(b"")
        if end <= PREFIX and self._head is None:
            return memoryview(self.prefix)[offset:end]
        if end <= self.span:
            return memoryview(self.head)[offset:end]
        if offset >= self.tail_start:
            return memoryview(self.tail)[offset - self.tail_start : end - self.tail_start]
        return self._outside(offset, end)

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` (fewer at the end of the file), as a copy. Small reads
        beyond the prefix do not load the head: a header walk that passes it (an MP4 atom
        tree, the blocks after a FLAC picture) reads spots, and the head is loaded only by a
        larger read or by the key's bytes (`view`), when the audio starts in it."""
        end = offset + length  # the hottest call of reading: no min(), max() or properties
        if end > self.size:
            end = self.size
        if offset < 0 or end <= offset:
            return b""
        head = self._head
        if head is None:
            if end <= PREFIX:
                prefix = self._prefix
                return (prefix if prefix is not None else self.prefix)[offset:end]
        elif end <= self.span:
            return head[offset:end]
        if offset >= self.tail_start:
            if self._tail is None and self.tail_start and offset >= self.size - SPOT:
                return self._last_bytes(offset, end)
            return self.tail[offset - self.tail_start : end - self.tail_start]
        if end - offset > SPOT and end <= self.span:
            return self.head[offset:end]
        return self._outside(offset, end).tobytes()

    def _last_bytes(self, offset: int, end: int) -> bytes:
        """Bytes in the file's last `SPOT`, before anything loaded the tail: tag footers,
        ID3v1, the end of a tag chunk are read there; the tail is for the key's bytes, and a
        format whose key ends elsewhere (WAV, FLAC) never loads it."""
        if self._end is None:
            self._end = read_at(self.fileobj, self.size - SPOT, SPOT)
        base = self.size - SPOT
        return self._end[offset - base : end - base]

    def _outside(self, offset: int, end: int) -> memoryview:
        """Bytes outside the windows: from the last such read when it holds them, else one
        read of at least `SPOT` bytes, kept in its place."""
        at = self._spot_at
        if at <= offset and end <= at + len(self._spot):
            return memoryview(self._spot)[offset - at : end - at]
        self._spot = read_at(self.fileobj, offset, max(end - offset, SPOT))
        self._spot_at = offset
        return memoryview(self._spot)[: end - offset]


def read_at(fileobj: HasFileno, offset: int, size: int) -> bytes:
    """`size` bytes at `offset` in one system call (the file's own position is unused)."""
    return os.pread(fileobj.fileno(), size, offset)
