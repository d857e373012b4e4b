"""Full hashes on demand: only for files whose cheaper keys agree, each hash of each file
computed at most once (a byte copy needs only the file hash, a re-tag only the audio hash),
and the library's values cached in their rows so the next check does not read them again."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from ..identity import keys
from ..models import LibraryFile
from ..read.extract import payload_of
from ..store import LibraryDatabase
from ..store.matching import HashUpdate

__all__ = ["HashCache"]


def _content_hash(fileobj: BinaryIO, file: LibraryFile, size: int) -> str:
    return keys.file_content_hash(fileobj, size)


def _audio_hash(fileobj: BinaryIO, file: LibraryFile, size: int) -> str | None:
    return keys.audio_hash(fileobj, payload_of(fileobj, file.file_format or "", size))


def _read(
    file: LibraryFile, digest: Callable[[BinaryIO, LibraryFile, int], str | None]
) -> str | None:
    """A hash of the file, or None when it cannot be read as its row says (moved, changed,
    broken since): such a file stays unconfirmed."""
    try:
        with open(file.file_path, "rb") as fileobj:
            stat = os.fstat(fileobj.fileno())
            if stat.st_size != file.file_size or stat.st_mtime_ns != file.file_mtime_ns:
                return None
            return digest(fileobj, file, stat.st_size)
    except Exception:
        return None


@dataclass(slots=True)
class HashCache:
    """Full hashes of files, read on first request and kept on the LibraryFile itself;
    library rows' new values are written back in one transaction by `flush()`."""

    db: LibraryDatabase
    _failed: set[tuple[str, str]] = field(default_factory=set)
    _dirty: dict[int, LibraryFile] = field(default_factory=dict)

    def content(self, file: LibraryFile) -> str | None:
        if file.file_content_hash is None and (file.file_path, "content") not in self._failed:
            file.file_content_hash = self._compute(file, "content", _content_hash)
        return file.file_content_hash

    def audio(self, file: LibraryFile) -> str | None:
        if file.audio_hash is None and (file.file_path, "audio") not in self._failed:
            file.audio_hash = self._compute(file, "audio", _audio_hash)
        return file.audio_hash

    def _compute(
        self,
        file: LibraryFile,
        which: str,
        digest: Callable[[BinaryIO, LibraryFile, int], str | None],
    ) -> str | None:
        value = _read(file, digest)
        if value is None:
            self._failed.add((file.file_path, which))
        elif file.id is not None:
            self._dirty[file.id] = file
        return value

    def flush(self) -> int:
        updates = [
            HashUpdate(
                row_id,
                f.file_size or 0,
                f.file_mtime_ns or 0,
                f.audio_hash,
                f.file_content_hash,
            )
            for row_id, f in self._dirty.items()
        ]
        self._dirty.clear()
        return self.db.matching.cache_full_hashes(updates)
