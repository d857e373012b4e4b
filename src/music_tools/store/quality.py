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

from ..models import QUALITY_FIELDS
from .engine import Engine
from .matching import write_as_cache
from .sql import TABLE
from .stale import StaleRow, StaleRows

__all__ = ["QUALITY_COLUMNS", "QualityRow", "QualityVerdicts"]

#: the row's columns a verdict fills, in the order of QualityRow.values
QUALITY_COLUMNS = QUALITY_FIELDS
_SAVE = (
    f"UPDATE {TABLE} SET {', '.join(f'{c} = ?' for c in QUALITY_COLUMNS)} "
    "WHERE id = ? AND file_size = ? AND file_mtime_ns = ?"
)
_STALE_WHERE = (
    f"FROM {TABLE} WHERE is_active = 1 AND (quality_version IS NULL OR quality_version <> ?)"
)


@dataclass(frozen=True, slots=True)
class QualityRow:
    """A verdict to store in row `row_id`, made from the file at this size and mtime:
    `values` those of QUALITY_COLUMNS (`quality.QualityReport.stored()`)."""

    row_id: int
    file_size: int | None
    file_mtime_ns: int | None
    values: tuple[Any, ...]

    def params(self) -> tuple[Any, ...]:
        return (*self.values, self.row_id, self.file_size, self.file_mtime_ns)


class QualityVerdicts:
    """`db.quality`, on one store (`engine`): this machine's rows are the ones to analyse
    (its files are the ones it can read)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stale = StaleRows(engine, _STALE_WHERE)

    def stale(self, version: int, after_id: int = 0, limit: int = -1) -> list[StaleRow]:
        """Active rows of this machine without a verdict of analysis `version`, a page at
        a time (`StaleRows.page`)."""
        return self._stale.page(version, after_id, limit)

    def count_stale(self, version: int) -> int:
        """How many rows `stale` would give."""
        return self._stale.count(version)

    def save(self, rows: Sequence[QualityRow]) -> int:
        """Store verdicts in one transaction, where the file has not changed since it was
        analysed (as its row records it); returns how many rows took theirs."""
        if not rows:
            return 0
        with self._engine.atomic():
            return self._engine.run_many(_SAVE, [row.params() for row in rows])

    def cache(self, rows: Sequence[QualityRow]) -> int:
        """`save`, as a cache (`write_as_cache`): verdicts computed while looking for
        duplicates."""
        return write_as_cache(self._engine, lambda: self.save(rows)) if rows else 0
