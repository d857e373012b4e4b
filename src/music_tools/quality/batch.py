"""`analyse_batch(paths)`: a few files judged in one call, the unit of work a worker process
takes (it imports this package alone: no store, no readers)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..formats.sniff import EXTENSION_KINDS
from .analyse import DEFAULT_SECONDS, analyse
from .report import QualityReport

__all__ = ["analyse_batch", "is_failure"]

#: how `analyse` starts the reason of a file it could not read or decode
_FAILURE_STARTS = ("cannot read", "cannot decode")
#: the formats the verdict covers (decoded by libsndfile): another one that cannot be
#: decoded (an M4A, a WMA) is simply not covered, not a failure
_COVERED = frozenset({"flac", "wav", "aiff", "mp3"})


def analyse_batch(paths: Sequence[str], seconds: float = DEFAULT_SECONDS) -> list[QualityReport]:
    """The verdict on each of `paths`, in order (never raises for a file)."""
    return [analyse(path, seconds=seconds) for path in paths]


def is_failure(path: str, report: QualityReport) -> bool:
    """Whether the verdict on `path` is `not_analysed` because the file could not be read,
    or decoded though of a format the verdict covers (a failure to name), rather than a
    file the verdict does not cover (too short, silent, a lossy format other than MP3)."""
    if report.verdict != "not_analysed" or not report.reason.startswith(_FAILURE_STARTS):
        return False
    kinds = EXTENSION_KINDS.get(os.path.splitext(path)[1].lower(), ())
    return report.reason.startswith("cannot read") or bool(_COVERED.intersection(kinds))
