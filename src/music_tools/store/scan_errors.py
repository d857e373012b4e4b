"""The table of files that could not be read: reported, not lost, retried when changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from ..models import SCAN_FAILURE_FIELDS, ScanFailure
from .batch import BatchResult
from .engine import Engine
from .rows import decode_path, path_repairer
from .sql import ItemWrite, Write

__all__ = ["ScanErrorTable"]

TABLE = "scan_errors"
_COLUMNS = SCAN_FAILURE_FIELDS
_DELETE = Write("delete", TABLE, "file_path")
_params = attrgetter(*_COLUMNS)


def _failure(row: tuple[Any, ...]) -> ScanFailure:
    failure = ScanFailure(*row)
    failure.file_path = decode_path(failure.file_path)
    failure.library_root = decode_path(failure.library_root)
    return failure


def _and(scope: str) -> str:
    return f"{scope} AND " if scope else ""


class ScanErrorTable:
    """Files that failed to read, one row per path (per machine, in a shared catalog);
    `record` keeps the first-seen time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        machine = engine.machine
        columns = _COLUMNS if machine is None else (*_COLUMNS, "machine")
        to_params: Callable[[ScanFailure], Sequence[Any]] = (
            _params if machine is None else (lambda failure: (*_params(failure), machine))
        )
        self._record = ItemWrite(
            Write("upsert", TABLE, "file_path", columns, keep=("first_seen_at",)),
            to_params,
            attrgetter("file_path"),
            path_repairer(columns),
        )
        db_path = engine.db_path
        self._clear = ItemWrite(_DELETE, lambda path: (db_path(path),), str)
        self._select = f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE {_and(engine.mine())}"

    def record(self, failures: Iterable[ScanFailure]) -> BatchResult:
        with self._engine.atomic():
            return self._engine.write(self._record, failures)

    def clear(self, paths: Iterable[str]) -> BatchResult:
        with self._engine.atomic():
            return self._engine.write(self._clear, paths)

    def get_by_paths(self, paths: Iterable[str]) -> dict[str, ScanFailure]:
        """The recorded failures among `paths` (paths with none are absent)."""
        engine = self._engine
        wanted = [engine.db_path(p) for p in dict.fromkeys(paths)]
        found: dict[str, ScanFailure] = {}
        with engine.snapshot():
            for rows in engine.select_in(self._select, "file_path", wanted):
                for row in rows:
                    failure = _failure(row)
                    found[failure.file_path] = failure
        return found

    def under(self, folder: str) -> dict[str, ScanFailure]:
        """The recorded failures of paths under `folder` (or of the folder itself)."""
        query = self._select + "file_path >= ? AND file_path < ?"
        found: dict[str, ScanFailure] = {}
        with self._engine.snapshot():
            for bounds in self._engine.prefix_bounds(folder):
                for row in self._engine.fetch(query, bounds):
                    failure = _failure(row)
                    found[failure.file_path] = failure
            own = self.get_by_paths([folder])
        found.update(own)
        return found

    def __iter__(self) -> Iterator[ScanFailure]:
        mine = self._engine.mine()
        query = f"SELECT {', '.join(_COLUMNS)} FROM {TABLE}"
        query += (f" WHERE {mine}" if mine else "") + " ORDER BY file_path"
        with self._engine.snapshot():
            for row in self._engine.stream(query):
                yield _failure(row)

    def __len__(self) -> int:
        mine = self._engine.mine()
        query = f"SELECT count(*) FROM {TABLE}" + (f" WHERE {mine}" if mine else "")
        with self._engine.snapshot():
            count: int = self._engine.fetch(query)[0][0]
        return count
