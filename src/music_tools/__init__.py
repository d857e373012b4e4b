"""music-tools: index large music collections and tell, fast and exactly, what you have."""

from .errors import ExtractError, MusicToolsError, ScanError, SchemaError, StoreError
from .models import FileEntry, LibraryFile, ScanFailure
from .reader import ExtractBatch, extract, extract_batch

__version__ = "0.1.0"

__all__ = [
    "ExtractBatch",
    "ExtractError",
    "FileEntry",
    "LibraryFile",
    "MusicToolsError",
    "ScanError",
    "ScanFailure",
    "SchemaError",
    "StoreError",
    "__version__",
    "extract",
    "extract_batch",
]
