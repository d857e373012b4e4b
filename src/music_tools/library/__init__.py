"""The seed design's names, kept so that code written against it keeps running.

`music_tools` itself is the front door (`from music_tools import LibraryDatabase, ...`),
with all a program needs; new code imports from there. This module stays as the seed
design named it (`from music_tools.library import LibraryDatabase`), with the names it
has always offered. The indexer and the checker (and with them the readers and mutagen)
are imported only when one of their names is first used, so importing the database from
here stays as light as the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import LibraryFile, Progress, ScanFailure
from ..store import (
    HASH_COLUMNS,
    BatchOperation,
    BatchResult,
    HashType,
    LibraryDatabase,
    OperationType,
    RowError,
)

if TYPE_CHECKING:
    from ..dupes import DuplicateChecker, DuplicateGroup, DuplicateResult, find_duplicates
    from ..index import IndexInterrupted, IndexReport, LibraryIndexer

__all__ = [
    "HASH_COLUMNS",
    "BatchOperation",
    "BatchResult",
    "DuplicateChecker",
    "DuplicateGroup",
    "DuplicateResult",
    "HashType",
    "IndexInterrupted",
    "IndexReport",
    "LibraryDatabase",
    "LibraryFile",
    "LibraryIndexer",
    "OperationType",
    "Progress",
    "RowError",
    "ScanFailure",
    "find_duplicates",
]

_INDEX_NAMES = frozenset({"IndexInterrupted", "IndexReport", "LibraryIndexer"})
_DUPES_NAMES = frozenset(
    {"DuplicateChecker", "DuplicateGroup", "DuplicateResult", "find_duplicates"}
)


def __getattr__(name: str) -> Any:
    if name in _INDEX_NAMES:
        from .. import index

        return getattr(index, name)
    if name in _DUPES_NAMES:
        from .. import dupes

        return getattr(dupes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
