"""music-tools: index large music collections and tell, fast and exactly, what you have.

The core (errors, records) is imported at once; `extract`, `extract_batch` and
`ExtractBatch` load the readers (and mutagen) on first use, so importing the store alone
stays free of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ExtractError, MusicToolsError, ScanError, SchemaError, StoreError
from .models import FileEntry, LibraryFile, ScanFailure

if TYPE_CHECKING:
    from .read import ExtractBatch, extract, extract_batch

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

_READ_NAMES = frozenset({"ExtractBatch", "extract", "extract_batch"})


def __getattr__(name: str) -> Any:
    if name in _READ_NAMES:
        from . import read

        return getattr(read, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
