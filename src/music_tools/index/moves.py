"""Moves: a row whose file vanished, and a file with the same audio that arrived at a new
path since the last complete index, are one file; the old row (its id and indexed_at) is
re-pointed at the new path and the new row dropped.

Found at the end of a run, with one lookup by audio_key for the rows that went missing, so
the walk never holds the whole library. "Arrived" means a row id above the highest id of the
last complete run (kept in the store's meta table, `ARRIVALS_KEY`): so a copy that was
already there is never mistaken for the new place of a deleted file, and a move whose new
path was read by an interrupted run is still found by the next one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..models import LibraryFile
from ..store import LibraryDatabase, RowState

__all__ = ["Move", "find_moves"]

ARRIVALS_KEY = "arrivals_after_id"


@dataclass(frozen=True, slots=True)
class Move:
    old_path: str
    old_id: int
    new: LibraryFile  # the row that now holds the file


def find_moves(db: LibraryDatabase, missing: dict[str, RowState]) -> list[Move]:
    """The missing rows whose audio arrived at a new path since the last complete run."""
    by_key: dict[str, list[str]] = {}
    for path, state in missing.items():
        if state.audio_key:
            by_key.setdefault(state.audio_key, []).append(path)
    if not by_key:
        return []
    candidates = db.batch_get_files_by_hashes(by_key, "audio_key")
    after_id = int(db.get_meta(ARRIVALS_KEY, 0))
    moves: list[Move] = []
    taken: set[str] = set()
    for key, old_paths in by_key.items():
        arrivals = [
            row for row in candidates[key] if (row.id or 0) > after_id and row.machine == db.machine
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
    """An arrival of a similar size; the same file name wins."""
    name = os.path.basename(old_path)
    old_size = old.file_size or 0
    best = None
    for row in arrivals:
        if row.file_path in taken:
            continue
        if old_size // 2 <= (row.file_size or 0) <= old_size * 2 and (
            best is None or os.path.basename(row.file_path) == name
        ):
            best = row
    return best
