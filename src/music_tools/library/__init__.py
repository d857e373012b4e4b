"""The library store: `LibraryDatabase` and the seed's batch operations.

Code written against the seed design imports its names from here.
"""

from ..models import LibraryFile, ScanFailure
from .batch import BatchResult, RowError
from .database import HASH_COLUMNS, HashType, LibraryDatabase
from .indexer import IndexInterrupted, IndexReport, LibraryIndexer, Progress
from .operation import BatchOperation, OperationType

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
