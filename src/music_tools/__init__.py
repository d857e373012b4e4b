"""music-tools: index large music collections and tell, fast and exactly, what you have.

The front door: everything a program needs is importable from here (`from music_tools
import LibraryDatabase, LibraryIndexer, DuplicateChecker, find_duplicates, search`); the
modules below are the implementation. `music_tools.library` keeps the seed design's names.

Importing the package loads nothing: each name is loaded on first use, with only what it
needs (the database without the readers and mutagen; `extract` with them; `analyse` with
numpy and soundfile when a file is analysed). The `music-tools` command runs this file
before its entry point can catch Ctrl-C, so it must take no time.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a few ms)
if TYPE_CHECKING:
    from typing import Any

    from .dupes import (
        KINDS,
        DuplicateChecker,
        DuplicateGroup,
        DuplicateResult,
        Evidence,
        GroupMember,
        KeeperReason,
        Match,
        MatchKind,
        find_duplicates,
    )
    from .dupes.actions import (
        Action,
        Outcome,
        apply_actions,
        plan_check_moves,
        plan_group_actions,
        undo_log,
    )
    from .errors import (
        ActionError,
        DatabaseCorruptError,
        DatabaseFullError,
        DatabaseLockedError,
        DatabaseReadOnlyError,
        ExtractError,
        ExtractKind,
        MusicToolsError,
        NotALibraryError,
        SchemaError,
        StoreError,
    )
    from .index import (
        FingerprintReport,
        IndexInterrupted,
        IndexReport,
        LibraryIndexer,
        QualityPassReport,
    )
    from .models import FileEntry, LibraryFile, Progress, ScanFailure
    from .quality import QualityReport, analyse
    from .queries import LibraryStats, SearchError, library_stats, relocate, search
    from .read import ExtractBatch, extract, extract_batch
    from .scan import ScanOptions
    from .store import BatchResult, LibraryDatabase, RowError

__version__ = "0.1.0"

#: module -> the names loaded from it on first use
_NAMES_IN = {
    "errors": "ActionError DatabaseCorruptError DatabaseFullError DatabaseLockedError"
    " DatabaseReadOnlyError ExtractError ExtractKind MusicToolsError NotALibraryError"
    " SchemaError StoreError",
    "models": "FileEntry LibraryFile Progress ScanFailure",
    "store": "BatchResult LibraryDatabase RowError",
    "queries": "LibraryStats SearchError library_stats relocate search",
    "index": "FingerprintReport IndexInterrupted IndexReport LibraryIndexer QualityPassReport",
    "scan": "ScanOptions",
    "dupes": "KINDS DuplicateChecker DuplicateGroup DuplicateResult Evidence GroupMember"
    " KeeperReason Match MatchKind find_duplicates",
    "dupes.actions": "Action Outcome apply_actions plan_check_moves plan_group_actions undo_log",
    "read": "ExtractBatch extract extract_batch",
    "quality": "QualityReport analyse",
}
_MODULE_OF = {name: module for module, names in _NAMES_IN.items() for name in names.split()}

__all__ = [
    "KINDS",
    "Action",
    "ActionError",
    "BatchResult",
    "DatabaseCorruptError",
    "DatabaseFullError",
    "DatabaseLockedError",
    "DatabaseReadOnlyError",
    "DuplicateChecker",
    "DuplicateGroup",
    "DuplicateResult",
    "Evidence",
    "ExtractBatch",
    "ExtractError",
    "ExtractKind",
    "FileEntry",
    "FingerprintReport",
    "GroupMember",
    "IndexInterrupted",
    "IndexReport",
    "KeeperReason",
    "LibraryDatabase",
    "LibraryFile",
    "LibraryIndexer",
    "LibraryStats",
    "Match",
    "MatchKind",
    "MusicToolsError",
    "NotALibraryError",
    "Outcome",
    "Progress",
    "QualityPassReport",
    "QualityReport",
    "RowError",
    "ScanFailure",
    "ScanOptions",
    "SchemaError",
    "SearchError",
    "StoreError",
    "__version__",
    "analyse",
    "apply_actions",
    "extract",
    "extract_batch",
    "find_duplicates",
    "library_stats",
    "plan_check_moves",
    "plan_group_actions",
    "relocate",
    "search",
    "undo_log",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
