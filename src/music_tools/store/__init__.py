"""The store: `LibraryDatabase` on SQLite, its schema and migrations, the batch machinery
(bad rows isolated, good ones written), and the table of files that could not be read;
stats, search and relocate over it. Imports no reader: the store knows rows, not audio."""

from .batch import BatchResult, RowError
from .database import DEFAULT_BUSY_TIMEOUT_S, TABLE, LibraryDatabase, RowState
from .keys import HASH_COLUMNS, HashType, KeyName
from .operation import BatchOperation, OperationType
from .queries import LibraryStats, SearchError, library_stats, relocate, search

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "HASH_COLUMNS",
    "TABLE",
    "BatchOperation",
    "BatchResult",
    "HashType",
    "KeyName",
    "LibraryDatabase",
    "LibraryStats",
    "OperationType",
    "RowError",
    "RowState",
    "SearchError",
    "library_stats",
    "relocate",
    "search",
]
