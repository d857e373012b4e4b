"""The rows a pass over the library still has to do, a page at a time.

`index --fingerprint` and `index --quality` each walk the active rows that lack what they
make (a fingerprint of the file as it is, a verdict of the current analysis), by id, a page
at a time, so a large library is never held in memory and a page read after the previous
one was written is still right. Only this machine's rows: its files are the ones it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .engine import Engine
from .rows import decode_path

__all__ = ["StaleRow", "StaleRows"]


@dataclass(frozen=True, slots=True)
class StaleRow:
    """A row to do: its id, its file's path, and the size and mtime the row records (a
    pass stores its result only where the file still has them)."""

    row_id: int
    path: str
    file_size: int | None
    file_mtime_ns: int | None


class StaleRows:
    """The rows `clause` picks (`FROM ... WHERE ...`, its one parameter the pass's
    version: an algorithm, an analysis version), where `table` names the library table in
    it (an alias in a join)."""

    def __init__(self, engine: Engine, clause: str, table: str = "") -> None:
        self._engine = engine
        self._clause = clause
        self._column = f"{table}." if table else ""

    def _where(self) -> str:
        mine = self._engine.mine()
        return self._clause + (f" AND {self._column}{mine}" if mine else "")

    def page(self, version: Any, after_id: int = 0, limit: int = -1) -> list[StaleRow]:
        """The rows to do, by id, from `after_id` on, at most `limit` (-1: all)."""
        c = self._column
        query = (
            f"SELECT {c}id, {c}file_path, {c}file_size, {c}file_mtime_ns {self._where()} "
            f"AND {c}id > ? ORDER BY {c}id"
        )
        params: list[Any] = [version, after_id]
        if limit >= 0:
            query += " LIMIT ?"
            params.append(limit)
        with self._engine.snapshot():
            rows = self._engine.fetch(query, params)
        return [
            StaleRow(int(row_id), decode_path(path), size, mtime_ns)
            for row_id, path, size, mtime_ns in rows
        ]

    def count(self, version: Any) -> int:
        """How many rows `page` would give in all."""
        with self._engine.snapshot():
            return int(self._engine.fetch(f"SELECT count(*) {self._where()}", (version,))[0][0])
