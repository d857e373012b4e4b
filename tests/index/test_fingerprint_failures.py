"""`index --fingerprint` when fpcalc fails: a failure that says nothing about the file (fpcalc
stopped from outside, or out of time) is not stored, so the next run tries again; a lasting
one (fpcalc cannot decode the file, crashes on it, prints nonsense for it) is stored with
its reason, listed among the library's errors, and not tried again until the file or fpcalc
changes. Both kinds are named in the report. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from music_tools.cli.render import index_summary
from music_tools.identity.fpcalc import Fpcalc, fingerprinter
from music_tools.index import IndexInterrupted, Progress
from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.store.fingerprints import FingerprintRow
from support.audio_factory import Tags, make_audio
from support.fake_fpcalc import fake_fpcalc, started


def _music(root: Path, count: int = 2) -> list[Path]:
    return [
        make_audio(root / f"{n}.flac", "flac", seed=n, tags=Tags(title=f"T{n}"))
        for n in range(count)
    ]


def _fingerprint(db: LibraryDatabase, root: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    report = LibraryIndexer(db, 2, fingerprint=True, **kwargs).index([root])  # type: ignore[arg-type]
    assert report.fingerprints is not None
    return report.fingerprints


def test_a_stopped_fpcalc_is_not_stored_and_the_next_run_tries_again(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    paths = _music(tmp_path / "music")
    killed = fake_fpcalc(tmp_path / "killed", "killed")
    first = _fingerprint(db, tmp_path / "music", fpcalc=Fpcalc(str(killed)))
    assert (first.made, first.without, first.failed) == (0, 0, 2)
    assert sorted(f.path for f in first.failures) == [str(p) for p in paths]
    assert all(f.transient and f.reason == "fpcalc was stopped (SIGKILL)" for f in first.failures)
    assert db.engine.fetch("SELECT count(*) FROM fingerprints") == [(0,)]
    assert db.fingerprints.failures() == []
    again = _fingerprint(db, tmp_path / "music", fpcalc=Fpcalc(str(killed)))
    assert (again.failed, again.up_to_date) == (2, 0) and len(started(killed)) == 4


def test_a_lasting_failure_is_stored_listed_and_not_tried_again(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    paths = _music(tmp_path / "music")
    crash = fake_fpcalc(tmp_path / "crash", "crash")
    first = _fingerprint(db, tmp_path / "music", fpcalc=Fpcalc(str(crash)))
    assert (first.made, first.without, first.failed) == (0, 2, 0)
    assert [f.reason for f in first.failures] == ["fpcalc crashed (SIGSEGV)"] * 2
    listed = db.fingerprints.failures()
    assert sorted(f.file_path for f in listed) == [str(p) for p in paths]
    assert {f.reason for f in listed} == {"fpcalc crashed (SIGSEGV)"}
    again = _fingerprint(db, tmp_path / "music", fpcalc=Fpcalc(str(crash)))
    assert (again.without, again.up_to_date, again.failures) == (0, 2, [])
    assert len(started(crash)) == 2


def test_only_failures_are_listed_not_silence_nor_stale_or_inactive_rows(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    paths = _music(tmp_path / "music", 4)
    LibraryIndexer(db, 1).index([tmp_path / "music"])
    rows = {f.file_path: f for f in db.iter_files()}
    silent, broken, changed, gone = (rows[str(p)] for p in paths)

    def stored(file, reason: str, size: int | None = None):  # type: ignore[no-untyped-def]
        row = FingerprintRow(
            file.id,
            size or file.file_size,
            file.file_mtime_ns,
            "chromaprint2/x",
            None,
            None,
            reason,
        )
        return row, []

    db.fingerprints.save(
        [
            stored(silent, "no fingerprint: silent, constant or too short"),
            stored(broken, "cannot decode: Invalid data found when processing input"),
            stored(changed, "cannot decode: old news", size=1),
            stored(gone, "fpcalc crashed (SIGSEGV)"),
        ],
    )
    db.batch_mark_inactive([gone.file_path])
    listed = db.fingerprints.failures()
    assert [(f.file_path, f.reason) for f in listed] == [
        (broken.file_path, "cannot decode: Invalid data found when processing input")
    ]
    assert listed[0].file_size == broken.file_size


def test_ctrl_c_while_fingerprinting_reports_the_index_done_and_the_prints_cut_short(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    undecodable = Fpcalc(str(fake_fpcalc(tmp_path / "bin", "undecodable")))
    _music(tmp_path / "music", 4)
    LibraryIndexer(db, 1).index([tmp_path / "music"])

    def stop_at_the_second(event: Progress) -> None:
        if event.phase == "fingerprint" and event.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(IndexInterrupted) as stopped:
        LibraryIndexer(
            db, 1, fingerprint=True, fpcalc=undecodable, on_progress=stop_at_the_second
        ).index([tmp_path / "music"])
    report = stopped.value.report
    assert report.interrupted and report.fingerprints is not None
    assert report.fingerprints.total == 4
    line = index_summary(report)
    head, tail = line.split("; fingerprinting ")
    assert "4 unchanged" in head and "indexed in" in head and "interrupted" not in head
    assert tail.startswith("interrupted after "), line
    assert "2 of 4 fingerprinted" in tail, line
    algorithm = fingerprinter(undecodable)
    assert algorithm is not None and db.fingerprints.count_stale(algorithm) == 2
