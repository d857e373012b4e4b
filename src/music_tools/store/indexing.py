"""What the indexer asks of the store (`db.indexing`): the rows of a few folders at a time
for its diff, the folders under a root, rows re-activated, re-linked to files that moved,
and re-keyed when the metadata key's rules change. All of this machine's rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from ..models import LibraryFile
from .batch import BatchResult
from .engine import Engine
from .rows import COLUMNS, decode_path, gc_paused, path_repairer
from .sql import TABLE, ItemWrite, Write, where
from .writes import write_many

__all__ = ["Indexing", "RowState"]


class RowState(NamedTuple):
    """What the indexer's diff needs of a row."""

    id: int
    file_size: int | None
    file_mtime_ns: int | None
    is_active: bool
    audio_key: str | None
    #: whether the row holds both full hashes (audio_hash and file_content_hash)
    hashed: bool = False
    #: the reader that read it (`LibraryFile.reader_version`; None: one from before)
    reader_version: int | None = None


#: a moved file's row keeps its id, its indexed_at and its quality verdict (the same audio)
_RELINK_COLUMNS = tuple(
    c for c in COLUMNS if c not in ("id", "indexed_at") and not c.startswith("quality_")
)
_relink_params = attrgetter(*_RELINK_COLUMNS)
#: (row id, LibraryFile) moves: the row takes the file's values but those kept
_RELINK = ItemWrite(
    Write("update", TABLE, "id", _RELINK_COLUMNS, scoped=False),
    lambda move: (*_relink_params(move[1]), move[0]),
    lambda move: str(move[1].file_path),
    path_repairer((*_RELINK_COLUMNS, "id")),
)
#: (metadata_hash, metadata_version, id) per row
_SET_METADATA_KEY = ItemWrite(
    Write("update", TABLE, "id", ("metadata_hash", "metadata_version"), scoped=False),
    tuple,
    lambda key: str(key[2]),
)
_REACTIVATE = Write("update", TABLE, "file_path", ("last_seen_at",), sets="is_active = 1")
_STATE_COLUMNS = (
    "file_path",
    "id",
    "file_size",
    "file_mtime_ns",
    "is_active",
    "audio_key",
    "audio_hash IS NOT NULL AND file_content_hash IS NOT NULL",
    "reader_version",
)


def _add_states(rows: dict[str, RowState], cursor: Iterable[Sequence[Any]]) -> None:
    for path, row_id, size, mtime_ns, active, audio_key, hashed, reader in cursor:
        rows[decode_path(path)] = RowState(
            row_id, size, mtime_ns, active == 1, audio_key, bool(hashed), reader
        )


class Indexing:
    """`db.indexing`, on one store (`engine`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def rows_in_directories(self, directories: Sequence[str]) -> dict[str, RowState]:
        """path -> what the diff needs of this machine's rows whose file lies directly in one
        of `directories` (one indexed lookup per chunk)."""
        engine = self._engine
        rows: dict[str, RowState] = {}
        keys = [engine.db_path(d) for d in directories]
        mine = engine.mine()
        head = f"SELECT {', '.join(_STATE_COLUMNS)} FROM {TABLE} WHERE " + (
            f"{mine} AND " if mine else ""
        )
        with engine.snapshot(), gc_paused():
            for found in engine.select_in(head, "directory", keys, 100_000):
                _add_states(rows, found)
        return rows

    def has_rows_under(self, folder: str) -> bool:
        """Whether any of this machine's rows lies at or below `folder`."""
        engine = self._engine
        query = f"SELECT 1 FROM {TABLE}" + where(engine.mine(), "file_path >= ?", "file_path < ?")
        with engine.snapshot():
            return any(
                engine.fetch(query + " LIMIT 1", bounds) for bounds in engine.prefix_bounds(folder)
            )

    def directories_under(self, folder: str) -> list[str]:
        """Every distinct folder holding one of this machine's rows, at or below `folder`
        (an index-only scan)."""
        engine = self._engine
        mine = engine.mine()
        found: list[str] = []
        with engine.snapshot():
            own = engine.fetch(
                f"SELECT 1 FROM {TABLE}{where(mine, 'directory = ?')} LIMIT 1",
                (engine.db_path(folder),),
            )
            if own:
                found.append(folder)
            query = f"SELECT DISTINCT directory FROM {TABLE}" + where(
                mine, "directory >= ?", "directory < ?"
            )
            for bounds in engine.prefix_bounds(folder):
                rows = engine.fetch(query, bounds)
                found.extend(decode_path(directory) for (directory,) in rows)
        return found

    def reactivate_files(self, paths: Iterable[str], seen_at: float) -> BatchResult:
        """Mark rows whose file came back unchanged active again."""
        db_path = self._engine.db_path
        job = ItemWrite(_REACTIVATE, lambda path: (seen_at, db_path(path)), str)
        return write_many(self._engine, job, paths, 500)

    def relink_files(self, moves: Iterable[tuple[int, LibraryFile]]) -> BatchResult:
        """Point existing rows (by id) at files that moved, keeping id and indexed_at."""
        return write_many(self._engine, _RELINK, moves, 500)

    def metadata_keys_older_than(
        self, version: int
    ) -> list[tuple[int, str | None, str | None, str]]:
        """(id, artist, title, file_path) of this machine's rows whose metadata_hash was
        made under normalization rules older than `version` (NULL: the first rules)."""
        engine = self._engine
        query = f"SELECT id, artist, title, file_path FROM {TABLE}" + where(
            engine.mine(), "(metadata_version IS NULL OR metadata_version < ?)"
        )
        with engine.snapshot():
            return [
                (row_id, artist, title, decode_path(path))
                for row_id, artist, title, path in engine.fetch(query, (version,))
            ]

    def set_metadata_keys(self, keys: Iterable[tuple[str, int, int]]) -> BatchResult:
        """(metadata_hash, metadata_version, id) for each row to re-key, in one transaction."""
        return write_many(self._engine, _SET_METADATA_KEY, keys, 1000)

    def max_id(self) -> int:
        """The largest row id in the table (of every machine)."""
        with self._engine.snapshot():
            found: int | None = self._engine.fetch(f"SELECT max(id) FROM {TABLE}")[0][0]
        return found or 0
