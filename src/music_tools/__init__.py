"""music-tools: index large music collections and tell, fast and exactly, what you have."""

from .errors import ExtractError, MusicToolsError, ScanError, SchemaError, StoreError
from .models import LibraryFile, ScanFailure

__version__ = "0.1.0"

__all__ = [
    "ExtractError",
    "LibraryFile",
    "MusicToolsError",
    "ScanError",
    "ScanFailure",
    "SchemaError",
    "StoreError",
    "__version__",
]
