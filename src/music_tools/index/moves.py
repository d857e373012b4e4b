"""Moves: a row whose file vanished, and a new file with the same audio_key, are one file."""

from __future__ import annotations

import os

from ..models import LibraryFile
from ..store import RowState

__all__ = ["MoveFinder"]


class MoveFinder:
    """Missing rows by audio_key: a new file with the same key and a similar size moved."""

    def __init__(self, missing: dict[str, RowState]) -> None:
        self._missing = missing
        self._by_key: dict[str, list[str]] = {}
        for path, state in missing.items():
            if state.audio_key:
                self._by_key.setdefault(state.audio_key, []).append(path)

    def match(self, file: LibraryFile) -> int | None:
        """The id of the missing row `file` is the new place of, if any (taken off the list)."""
        candidates = self._by_key.get(file.audio_key or "")
        if not candidates:
            return None
        name = os.path.basename(file.file_path)
        size = file.file_size or 0
        best = None
        for path in candidates:
            old_size = self._missing[path].file_size or 0
            if old_size // 2 <= size <= old_size * 2 and (
                best is None or os.path.basename(path) == name
            ):
                best = path
        if best is None:
            return None
        candidates.remove(best)
        return self._missing.pop(best).id
