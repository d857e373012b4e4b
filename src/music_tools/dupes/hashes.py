"""Full hashes on demand: only for files whose cheaper keys agree, each file read once, and
the library's copies cached in their rows so the next check does not read them again."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..identity import keys
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..store.matching import HashUpdate, cache_full_hashes

__all__ = ["FullHashes", "HashCache", "unchanged_on_disk"]


@dataclass(frozen=True, slots=True)
class FullHashes:
    audio_hash: str | None
    file_content_hash: str | None


def unchanged_on_disk(file: LibraryFile) -> bool:
    """Whether the file is still there with the size and mtime its row recorded."""
    try:
        stat = os.stat(file.file_path)
    except OSError:
        return False
    return stat.st_size == file.file_size and stat.st_mtime_ns == file.file_mtime_ns


def _read_hashes(file: LibraryFile) -> FullHashes | None:
    """Both full hashes of a file, or None when it cannot be read as its row says."""
    try:
        with open(file.file_path, "rb") as fileobj:
            stat = os.fstat(fileobj.fileno())
            if stat.st_size != file.file_size or stat.st_mtime_ns != file.file_mtime_ns:
                return None
            payload, _ = keys.read_keys(
                fileobj, file.file_format or "", stat.st_size, with_payload=True
            )
            audio = keys.audio_hash(fileobj, payload) if payload is not None else None
            return FullHashes(audio, keys.file_content_hash(fileobj, stat.st_size))
    except Exception:  # a file that moved, changed or broke since: it stays unconfirmed
        return None


@dataclass(slots=True)
class HashCache:
    """Full hashes of files, computed at most once each; library rows' values written back
    in one transaction by `flush()`."""

    db: LibraryDatabase
    _known: dict[str, FullHashes | None] = field(default_factory=dict)
    _updates: list[HashUpdate] = field(default_factory=list)

    def of(self, file: LibraryFile) -> FullHashes | None:
        if file.audio_hash and file.file_content_hash:
            return FullHashes(file.audio_hash, file.file_content_hash)
        path = file.file_path
        if path not in self._known:
            hashes = _read_hashes(file)
            self._known[path] = hashes
            if hashes is not None:
                file.audio_hash = hashes.audio_hash
                file.file_content_hash = hashes.file_content_hash
                if file.id is not None and file.file_size is not None:
                    self._updates.append(
                        HashUpdate(
                            file.id,
                            file.file_size,
                            file.file_mtime_ns or 0,
                            hashes.audio_hash,
                            hashes.file_content_hash,
                        )
                    )
        return self._known[path]

    def flush(self) -> int:
        updates, self._updates = self._updates, []
        return cache_full_hashes(self.db, updates)
