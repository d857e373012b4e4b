"""The table of files that could not be read: reported, not lost, retried when changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import attrgetter

import apsw

from ..models import SCAN_FAILURE_FIELDS, ScanFailure
from ..util import chunks
from . import sql
from .batch import BatchResult, execute_isolated
from .connection import Transactions
from .rows import db_path, decode_path, path_repairer, prefix_bounds

__all__ = ["ScanErrorTable"]

TABLE = "scan_errors"
_COLUMNS = SCAN_FAILURE_FIELDS
_UPSERT = sql.upsert_sql(TABLE, _COLUMNS, key="file_path", keep=("first_seen_at",))
_DELETE = sql.delete_sql(TABLE, key="file_path")
_params = attrgetter(*_COLUMNS)
_repair = path_repairer(_COLUMNS)


def _failure(row: tuple[object, ...]) -> ScanFailure:
    failure = ScanFailure(*row)  # type: ignore[arg-type]
    failure.file_path = decode_path(failure.file_path)
    failure.library_root = decode_path(failure.library_root)
    return failure


class ScanErrorTable:
    """Files that failed to read, one row per path; `record` keeps the first-seen time."""

    def __init__(self, conn: apsw.Connection, transactions: Transactions) -> None:
        self._conn = conn
        self._tx = transactions

    def record(self, failures: Iterable[ScanFailure]) -> BatchResult:
        with self._tx.atomic():
            return execute_isolated(
                self._conn, _UPSERT, failures, _params, attrgetter("file_path"), _repair
            )

    def clear(self, paths: Iterable[str]) -> BatchResult:
        with self._tx.atomic():
            return execute_isolated(self._conn, _DELETE, paths, lambda p: (db_path(p),), str)

    def get_by_paths(self, paths: Iterable[str]) -> dict[str, ScanFailure]:
        """The recorded failures among `paths` (paths with none are absent)."""
        wanted = [db_path(p) for p in dict.fromkeys(paths)]
        limit = self._conn.limit(apsw.SQLITE_LIMIT_VARIABLE_NUMBER, -1)
        found: dict[str, ScanFailure] = {}
        with self._tx.snapshot():
            for chunk in chunks(wanted, limit):
                query = sql.select_in_sql(TABLE, _COLUMNS, "file_path", len(chunk))
                for row in self._conn.execute(query, chunk):
                    failure = _failure(row)
                    found[failure.file_path] = failure
        return found

    def under(self, folder: str) -> dict[str, ScanFailure]:
        """The recorded failures of paths under `folder` (or of the folder itself)."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE file_path >= ? AND file_path < ?"
        found: dict[str, ScanFailure] = {}
        with self._tx.snapshot():
            for low, high in prefix_bounds(folder):
                for row in self._conn.execute(query, (low, high)):
                    failure = _failure(row)
                    found[failure.file_path] = failure
            own = self.get_by_paths([folder])
        found.update(own)
        return found

    def __iter__(self) -> Iterator[ScanFailure]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY file_path"
        with self._tx.snapshot():
            for row in self._conn.execute(query):
                yield _failure(row)

    def __len__(self) -> int:
        with self._tx.snapshot():
            count: int = self._conn.execute(sql.count_sql(TABLE)).get
        return count
