"""Quality verdicts computed lazily, for the duplicates where they can change the answer.

A lossless copy in a group (or in a check's matches) may have been made from an MP3, and
then it is not the copy to keep, nor an upgrade: such a file without a verdict of the
current analysis version is analysed here (a few seconds decoded in this process, see
`music_tools.quality`), the verdict set on its row object, and stored in the row where the
database can be written (a read-only library, or one another writer holds, is left alone:
the verdict is then used for this run only). Lossy-only groups are never analysed: no
verdict reorders them. A second run finds the verdicts stored and analyses nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from ..models import QUALITY_FIELDS, LibraryFile
from ..quality import ANALYSIS_VERSION, QualityReport, analyse
from ..store import LibraryDatabase
from ..store.quality import QualityRow

__all__ = ["VerdictCache", "copy_verdict", "needs_verdict"]

#: called with each file analysed and its verdict (a test counts them; a command may show)
OnAnalysed = Callable[[LibraryFile, QualityReport], None]


def needs_verdict(file: LibraryFile) -> bool:
    """A lossless file without a verdict of the current analysis version."""
    return bool(file.is_lossless) and file.quality_version != ANALYSIS_VERSION


def copy_verdict(source: LibraryFile, target: LibraryFile) -> None:
    """`source`'s stored verdict onto `target` (the same file read again)."""
    for name in QUALITY_FIELDS:
        setattr(target, name, getattr(source, name))


class VerdictCache:
    """Verdicts of one run: computed where needed, kept on the row objects, written to the
    rows in one transaction at `flush` (as HashCache writes full hashes)."""

    def __init__(self, db: LibraryDatabase, on_analysed: OnAnalysed | None = None) -> None:
        self._db = db
        self._on_analysed = on_analysed
        self._pending: list[QualityRow] = []

    def judge(self, files: Iterable[LibraryFile]) -> None:
        """Give each file of `files` that needs one (`needs_verdict`) its verdict, when at
        least one of them is lossless (only then can a verdict change their order)."""
        members = list(files)
        if not any(needs_verdict(file) for file in members):
            return
        for file in members:
            if needs_verdict(file):
                self._judge_one(file)

    def _judge_one(self, file: LibraryFile) -> None:
        try:
            stat = os.stat(file.file_path)
        except OSError:
            return  # gone or unreadable: judged when it is there again
        if file.id is not None and (stat.st_size, stat.st_mtime_ns) != (
            file.file_size,
            file.file_mtime_ns,
        ):
            return  # changed since its row was written: the row's figures are not its own
        report = analyse(file.file_path)
        if self._on_analysed is not None:
            self._on_analysed(file, report)
        if report.verdict == "not_analysed" and report.reason.startswith("cannot read"):
            return
        stored = report.stored()
        for name, value in zip(QUALITY_FIELDS, stored, strict=True):
            setattr(file, name, value)
        if file.id is not None:
            self._pending.append(QualityRow(file.id, file.file_size, file.file_mtime_ns, stored))

    def flush(self) -> int:
        """Store the verdicts computed so far where the database can be written now;
        returns how many rows took theirs."""
        pending, self._pending = self._pending, []
        return self._db.quality.cache(pending)
