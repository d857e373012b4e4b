"""What an index run tells its caller at the end (progress events as it goes are
`models.Progress`, shared with the checker)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..identity.fpcalc_output import FingerprintOutcome
from ..models import ScanFailure

__all__ = ["FingerprintReport", "IndexInterrupted", "IndexReport", "QualityPassReport"]


@dataclass(slots=True)
class PassReport:
    """What a pass over the library's rows after the index did: `up_to_date` rows skipped,
    of `total` to do, in `elapsed_s`; `interrupted` by Ctrl-C."""

    up_to_date: int = 0
    total: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        raise NotImplementedError

    @property
    def files_per_s(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(slots=True)
class FingerprintReport(PassReport):
    """What one fingerprinting pass did: `made` fingerprints, `without` files that have
    none (silent, too short, undecodable: the reason is stored), `failed` files whose
    fpcalc was stopped or ran out of time (nothing stored: tried again next run);
    `failures` names each file fpcalc failed on."""

    made: int = 0
    without: int = 0
    failed: int = 0
    failures: list[FingerprintOutcome] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.made + self.without + self.failed


@dataclass(slots=True)
class QualityPassReport(PassReport):
    """What one quality pass (`index --quality`) did: `verdicts` counts the files analysed
    by verdict (`up_to_date`: a verdict of this analysis version stored); `failures` names
    each file that could not be read or decoded (stored as not analysed, tried again once
    the file changes)."""

    verdicts: dict[str, int] = field(default_factory=dict)
    failures: list[ScanFailure] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(self.verdicts.values())


@dataclass(slots=True)
class Written:
    """What the writer settled: the files written, by what the diff said each one was (new;
    updated: changed since; hashed: unchanged, read again for its full hashes; re-read: an
    older reader read them), and the files that could not be read or that the store
    refused."""

    new: int = 0
    updated: int = 0
    hashed: int = 0
    #: unchanged files read again because an older reader read them: written back as
    #: active rows (their row active before, or inactive: back), or failed now
    reread_unchanged: int = 0
    reread_back: int = 0
    reread_failed: int = 0
    failures: list[ScanFailure] = field(default_factory=list)


@dataclass(slots=True)
class IndexReport:
    """What one `index()` did; `failures` lists every file or folder that could not be read."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    reactivated: int = 0
    errors: int = 0
    known_errors: int = 0  # failed before, unchanged since: not retried
    #: unchanged files read again by --full-hash to fill the full hashes their rows lacked
    #: (counted in `unchanged` too)
    hashed: int = 0
    #: unchanged files read again because an older reader read them (counted in
    #: `unchanged` too, or `reactivated` for a row that was inactive; or in `errors` when
    #: they fail now, their row then made inactive)
    reread: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    roots: list[str] = field(default_factory=list)
    #: library roots given that no longer exist -> their rows marked missing (in `missing`)
    gone_roots: dict[str, int] = field(default_factory=dict)
    failures: list[ScanFailure] = field(default_factory=list)
    #: what `index --fingerprint` did after indexing (None without it)
    fingerprints: FingerprintReport | None = None
    #: what `index --quality` did after indexing (None without it)
    quality: QualityPassReport | None = None

    @property
    def files_seen(self) -> int:
        return (
            self.new
            + self.updated
            + self.unchanged
            + self.moved
            + self.reactivated
            + self.errors
            + self.known_errors
        )

    @property
    def files_per_s(self) -> float:
        return self.files_seen / self.elapsed_s if self.elapsed_s > 0 else 0.0


class IndexInterrupted(KeyboardInterrupt):
    """Ctrl-C during `index()`: everything read so far is committed; `report` says what."""

    def __init__(self, report: IndexReport) -> None:
        super().__init__("indexing interrupted")
        self.report = report
