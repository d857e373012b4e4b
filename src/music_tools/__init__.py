"""music-tools: index large music collections and tell, fast and exactly, what you have.

Importing the package loads nothing: every name below is loaded on first use (the core,
errors and records, at once; `extract`, `extract_batch` and `ExtractBatch` with the
readers and mutagen). The `music-tools` command runs this file before its entry point can
catch Ctrl-C, so it must take no time; and importing the store alone stays free of mutagen.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a few ms)
if TYPE_CHECKING:
    from typing import Any

    from .errors import ExtractError, MusicToolsError, SchemaError, StoreError
    from .models import FileEntry, LibraryFile, ScanFailure
    from .read import ExtractBatch, extract, extract_batch

__version__ = "0.1.0"

__all__ = [
    "ExtractBatch",
    "ExtractError",
    "FileEntry",
    "LibraryFile",
    "MusicToolsError",
    "ScanFailure",
    "SchemaError",
    "StoreError",
    "__version__",
    "extract",
    "extract_batch",
]

_MODULE_OF = {
    "ExtractError": "errors",
    "MusicToolsError": "errors",
    "SchemaError": "errors",
    "StoreError": "errors",
    "FileEntry": "models",
    "LibraryFile": "models",
    "ScanFailure": "models",
    "ExtractBatch": "read",
    "extract": "read",
    "extract_batch": "read",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
