"""Indexing: scan (stat only) -> plan (the diff against the rows) -> read (worker pool) ->
write (batched commits), with moves re-linked in place. `LibraryIndexer` runs it."""

from ..models import Progress
from ..scan import ScanOptions
from .indexer import LibraryIndexer
from .rekey import refresh_metadata_keys
from .report import FingerprintReport, IndexInterrupted, IndexReport, QualityPassReport

__all__ = [
    "FingerprintReport",
    "IndexInterrupted",
    "IndexReport",
    "LibraryIndexer",
    "Progress",
    "QualityPassReport",
    "ScanOptions",
    "refresh_metadata_keys",
]
