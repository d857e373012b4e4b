"""Moves: a row whose file vanished, and a file with the same audio that appeared at a new
path since the row was last seen, are one file; the old row (its id and indexed_at) is
re-pointed at the new path and the new row dropped.

Found at the end of a run, with one lookup by audio_key for the rows that went missing, so
the walk never holds the whole library; a move whose new path was read by an interrupted
run is still found by the next one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..models import LibraryFile
from ..store import LibraryDatabase, RowState

__all__ = ["Move", "find_moves"]


@dataclass(frozen=True, slots=True)
class Move:
    old_path: str
    old_id: int
    new: LibraryFile  # the row that now holds the file


def find_moves(db: LibraryDatabase, missing: dict[str, RowState], changed: set[str]) -> list[Move]:
    """The missing rows whose audio appeared at a new path (not one re-read in place)."""
    by_key: dict[str, list[str]] = {}
    for path, state in missing.items():
        if state.audio_key:
            by_key.setdefault(state.audio_key, []).append(path)
    if not by_key:
        return []
    candidates = db.batch_get_files_by_hashes(by_key, "audio_key")
    moves: list[Move] = []
    taken: set[str] = set()
    for key, old_paths in by_key.items():
        arrivals = [
            row
            for row in candidates[key]
            if row.file_path not in missing and row.file_path not in changed
        ]
        for old_path in old_paths:
            new = _best_arrival(old_path, missing[old_path], arrivals, taken)
            if new is not None:
                taken.add(new.file_path)
                moves.append(Move(old_path, missing[old_path].id, new))
    return moves


def _best_arrival(
    old_path: str, old: RowState, arrivals: list[LibraryFile], taken: set[str]
) -> LibraryFile | None:
    """A row that arrived since `old` was last seen, of a similar size; the same file name
    wins."""
    name = os.path.basename(old_path)
    old_size = old.file_size or 0
    best = None
    for row in arrivals:
        if row.file_path in taken or (row.indexed_at or 0) <= (old.last_seen_at or 0):
            continue
        if old_size // 2 <= (row.file_size or 0) <= old_size * 2 and (
            best is None or os.path.basename(row.file_path) == name
        ):
            best = row
    return best
