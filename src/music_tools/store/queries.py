"""Stats and `relocate` as library calls (search is in search.py, re-exported here).

The CLI renders what these return; all the SQL stays in the store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import StoreError
from ..util import StrPath, is_inside
from .batch import ROW_ERRORS
from .database import LibraryDatabase
from .engine import Engine
from .rows import decode_path
from .search import search
from .search_query import SearchError
from .sql import TABLE, where

__all__ = ["LibraryStats", "SearchError", "library_stats", "relocate", "search"]


@dataclass(slots=True)
class LibraryStats:
    files: int = 0
    inactive: int = 0
    total_size: int = 0
    total_duration: float = 0.0
    lossless: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    roots: dict[str, int] = field(default_factory=dict)
    #: active files per machine (a PostgreSQL catalog; empty for an SQLite library)
    machines: dict[str, int] = field(default_factory=dict)
    last_indexed_at: float | None = None
    errors: int = 0

    @property
    def lossless_share(self) -> float:
        return self.lossless / self.files if self.files else 0.0


def library_stats(db: LibraryDatabase) -> LibraryStats:
    with db.reading():
        return _library_stats(db)


def _library_stats(db: LibraryDatabase) -> LibraryStats:
    engine = db.engine
    scope = where("is_active = 1", engine.of_machine(db.view))
    stats = LibraryStats()
    row: tuple[Any, ...] = engine.fetch(
        "SELECT count(*), coalesce(sum(file_size), 0), coalesce(sum(duration), 0.0), "
        f"coalesce(sum(is_lossless), 0), max(indexed_at) FROM {TABLE}{scope}"
    )[0]
    stats.files, size, duration, lossless, stats.last_indexed_at = row
    stats.total_size, stats.total_duration = int(size), float(duration)
    stats.lossless = int(lossless)
    stats.inactive = db.count_files(active_only=False) - stats.files
    for file_format, count in engine.fetch(
        f"SELECT file_format, count(*) FROM {TABLE}{scope} GROUP BY 1 ORDER BY 2 DESC, 1"
    ):
        stats.formats[file_format or "?"] = count
    machine = "machine" if db.machine is not None else "NULL"
    for owner, root, count in engine.fetch(
        f"SELECT {machine}, library_root, count(*) FROM {TABLE}{scope} GROUP BY 1, 2 ORDER BY 1, 2"
    ):
        name = decode_path(root) if root is not None else "(none)"
        stats.roots[f"{owner}:{name}" if owner is not None else name] = count
        if owner is not None:
            stats.machines[owner] = stats.machines.get(owner, 0) + count
    # the errors of the machines shown (db.scan_errors holds only this machine's)
    stats.errors = engine.fetch(
        f"SELECT count(*) FROM scan_errors{where(engine.of_machine(db.view))}"
    )[0][0]
    return stats


def relocate(db: LibraryDatabase, old: StrPath, new: StrPath) -> int:
    """Re-point every row under folder `old` to folder `new`, in one transaction."""
    old, new = os.path.abspath(old), os.path.abspath(new)
    if old == new:
        return 0
    engine = db.engine
    moved = 0
    with db.atomic():
        for table, columns in (
            (TABLE, ("file_path", "directory", "library_root")),
            ("scan_errors", ("file_path", "library_root")),
        ):
            select = f"SELECT id, {', '.join(columns)} FROM {table}" + where(
                engine.mine(), "file_path >= ?", "file_path < ?"
            )
            updates = []
            for bounds in engine.prefix_bounds(old):
                for row_id, *values in engine.fetch(select, bounds):
                    updates.append(
                        (*(_moved(engine, decode_path(v), old, new) for v in values), row_id)
                    )
            sets = ", ".join(f"{c} = ?" for c in columns)
            try:
                engine.run_many(f"UPDATE {table} SET {sets} WHERE id = ?", updates)
            except ROW_ERRORS as exc:
                raise StoreError(db.path, f"cannot relocate {old} to {new}: {exc}") from exc
            except StoreError as exc:
                if "unique" in str(exc).lower() or "duplicate key" in str(exc).lower():
                    raise StoreError(
                        db.path,
                        f"cannot relocate {old} to {new}: the library already has files there",
                    ) from exc
                raise
            if table == TABLE:
                moved = len(updates)
    return moved


def _moved(engine: Engine, value: str | None, old: str, new: str) -> Any:
    """`value` re-pointed from folder `old` to folder `new` (either may be the root, /)."""
    if value is None:
        return None
    if value == old:
        value = new
    elif is_inside(value, old):
        value = new.rstrip(os.sep) + value[len(old.rstrip(os.sep)) :]
    return engine.db_path(value)
