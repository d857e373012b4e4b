"""A file read through two cached windows: its first and its last bytes."""

from __future__ import annotations

import os
from typing import BinaryIO

__all__ = ["KEY_BYTES", "OGG_WINDOW", "WINDOW", "FileWindow", "read_at"]

KEY_BYTES = 64 * 1024
WINDOW = KEY_BYTES + 4 * 1024  # the key bytes and the tags or chunk headers beside them
OGG_WINDOW = KEY_BYTES + 16 * 1024  # the key's Ogg page bodies and their page headers


class FileWindow:
    """A file read through two cached windows of `span` bytes, its first and its last.

    Nearly every read the keys need (tag headers, chunk tables, the key bytes themselves)
    falls in one of them, so a file costs two system calls and no copies of the key bytes.
    """

    __slots__ = ("_head", "_tail", "fileobj", "size", "span", "tail_start")

    def __init__(self, fileobj: BinaryIO, size: int, span: int = WINDOW) -> None:
        self.fileobj = fileobj
        self.size = size
        self.span = span
        self.tail_start = max(0, size - span)
        self._head: bytes | None = None
        self._tail: bytes | None = None

    @property
    def head(self) -> bytes:
        """The cached first `span` bytes of the file."""
        if self._head is None:
            self._head = read_at(self.fileobj, 0, min(self.span, self.size))
        return self._head

    @property
    def tail(self) -> bytes:
        """The cached bytes from `tail_start` to the end (the head, for a small file)."""
        if self.tail_start == 0:
            return self.head
        if self._tail is None:
            self._tail = read_at(self.fileobj, self.tail_start, self.span)
        return self._tail

    def peek(self, length: int) -> bytes:
        """The first `length` bytes: from the cached head once it is loaded, else one read of
        just those bytes, left uncached (a reader that may need no more spares the full head)."""
        if self._head is not None or length >= self.span:
            return self.head[:length]
        return read_at(self.fileobj, 0, min(length, self.size))

    def view(self, offset: int, length: int) -> memoryview:
        end = min(offset + max(length, 0), self.size)
        if offset < 0 or end <= offset:
            return memoryview(b"")
        if end <= self.span:
            return memoryview(self.head)[offset:end]
        if offset >= self.tail_start:
            return memoryview(self.tail)[offset - self.tail_start : end - self.tail_start]
        return memoryview(read_at(self.fileobj, offset, end - offset))

    def read(self, offset: int, length: int) -> bytes:
        return self.view(offset, length).tobytes()


def read_at(fileobj: BinaryIO, offset: int, size: int) -> bytes:
    """`size` bytes at `offset` in one system call (the file's own position is unused)."""
    return os.pread(fileobj.fileno(), size, offset)
