"""The seed design's public names, re-exported, so code written against it keeps running.

`LibraryDatabase` and the batch operations live in `music_tools.store`, `LibraryIndexer` in
`music_tools.index`. The indexer (and with it the readers and mutagen) is imported only
when one of its names is first used, so `from music_tools.library import LibraryDatabase`
stays as light as the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import LibraryFile, ScanFailure
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
    from ..index import IndexInterrupted, IndexReport, LibraryIndexer, Progress

__all__ = [
    "HASH_COLUMNS",
    "BatchOperation",
    "BatchResult",
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
]

_INDEX_NAMES = frozenset({"IndexInterrupted", "IndexReport", "LibraryIndexer", "Progress"})


def __getattr__(name: str) -> Any:
    if name in _INDEX_NAMES:
        from .. import index

        return getattr(index, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
