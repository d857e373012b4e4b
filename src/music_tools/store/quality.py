"""Quality verdicts in the library rows (`db.quality`): the rows still to analyse, and the
writes of verdicts, on both stores.

A verdict lives in its row's `quality_*` columns (schema version 10), made from the file
as it was when analysed: a write names the size and mtime it was made from and is skipped
where the row says the file has changed since (the indexer clears the columns when it reads
a changed file again). `quality_version` is the analysis version that made it, so a newer
analysis redoes the older verdicts. The store knows nothing of the analysis: it keeps
what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError
from .engine import Engine
from .matching import CACHE_WAIT_S
from .rows import decode_path
from .sql import TABLE

__all__ = ["QUALITY_COLUMNS", "QualityRow", "QualityVerdicts", "RowToAnalyse"]

#: the row's columns a verdict fills, in QualityRow's order (after its row, size and mtime)
QUALITY_COLUMNS = (
    "quality_verdict",
    "quality_reason",
    "quality_cutoff_hz",
    "quality_likely_source",
    "quality_source_rate_hz",
    "quality_effective_bits",
    "quality_version",
)
_SAVE = (
    f"UPDATE {TABLE} SET {', '.join(f'{c} = ?' for c in QUALITY_COLUMNS)} "
    "WHERE id = ? AND file_size = ? AND file_mtime_ns = ?"
)
_STALE_WHERE = (
    f"FROM {TABLE} WHERE is_active = 1 AND (quality_version IS NULL OR quality_version <> ?)"
)


@dataclass(frozen=True, slots=True)
class QualityRow:
    """A verdict to store in row `row_id`, made from the file at this size and mtime."""

    row_id: int
    file_size: int | None
    file_mtime_ns: int | None
    verdict: str
    reason: str
    cutoff_hz: int | None
    likely_source: str | None
    source_rate_hz: int | None
    effective_bits: int | None
    version: int

    def params(self) -> tuple[Any, ...]:
        return (
            self.verdict,
            self.reason,
            self.cutoff_hz,
            self.likely_source,
            self.source_rate_hz,
            self.effective_bits,
            self.version,
            self.row_id,
            self.file_size,
            self.file_mtime_ns,
        )


@dataclass(frozen=True, slots=True)
class RowToAnalyse:
    """An active row without a verdict of the current analysis version."""

    row_id: int
    path: str
    file_size: int | None
    file_mtime_ns: int | None


class QualityVerdicts:
    """`db.quality`, on one store (`engine`): this machine's rows are the ones to analyse
    (its files are the ones it can read)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _stale_where(self) -> str:
        mine = self._engine.mine()
        return _STALE_WHERE + (f" AND {mine}" if mine else "")

    def stale(self, version: int, after_id: int = 0, limit: int = -1) -> list[RowToAnalyse]:
        """Active rows without a verdict of analysis `version`, by id, from `after_id` on,
        at most `limit` (-1: all): a caller pages through a large library."""
        query = (
            f"SELECT id, file_path, file_size, file_mtime_ns {self._stale_where()} "
            "AND id > ? ORDER BY id"
        )
        params: list[Any] = [version, after_id]
        if limit >= 0:
            query += " LIMIT ?"
            params.append(limit)
        with self._engine.snapshot():
            rows = self._engine.fetch(query, params)
        return [
            RowToAnalyse(int(row_id), decode_path(path), size, mtime_ns)
            for row_id, path, size, mtime_ns in rows
        ]

    def count_stale(self, version: int) -> int:
        """How many rows `stale` would give."""
        with self._engine.snapshot():
            return int(
                self._engine.fetch(f"SELECT count(*) {self._stale_where()}", (version,))[0][0]
            )

    def save(self, rows: Sequence[QualityRow]) -> int:
        """Store verdicts in one transaction, where the file has not changed since it was
        analysed (as its row records it); returns how many rows took theirs."""
        if not rows:
            return 0
        with self._engine.atomic():
            return self._engine.run_many(_SAVE, [row.params() for row in rows])

    def cache(self, rows: Sequence[QualityRow]) -> int:
        """`save`, as a cache (verdicts computed while looking for duplicates): skipped (0)
        when the database cannot be written now (read-only, or another writer holding the
        lock past CACHE_WAIT_S), never a reason to fail."""
        if not rows or self._engine.readonly:
            return 0
        try:
            with self._engine.impatient(CACHE_WAIT_S):
                return self.save(rows)
        except StoreError:
            return 0
