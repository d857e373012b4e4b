"""Files that change between the scan and the read: deleted, truncated, replaced by a FIFO,
made unreadable. Each is a recorded error (or the file as it now is), nothing blocks, and
every other file is stored."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from music_tools.index import Progress, ScanOptions
from music_tools.library import LibraryDatabase, LibraryIndexer
from support.audio_factory import Tags, make_audio
from support.nobody import as_nobody, shared_folder

FILES = 480  # above the in-process threshold: the worker pool reads them


@pytest.fixture
def library(big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path) -> Path:
    source, _ = big_library
    root = tmp_path / "lib"
    root.mkdir()
    for i, path in enumerate(sorted(source.rglob("*.*"))[:FILES]):
        shutil.copyfile(path, root / f"{i:03d}{path.suffix}")
    return root


def _sabotage(root: Path) -> dict[str, str]:
    """Change three files after the scan found them and before they are read (the last
    three of the walk: reading streams behind the walk); return name -> what was done."""
    names = sorted(p.name for p in root.iterdir())
    deleted, truncated, fifo = (root / names[i] for i in (-3, -2, -1))
    deleted.unlink()
    truncated.write_bytes(truncated.read_bytes()[:300])
    fifo.unlink()
    os.mkfifo(fifo)
    return {deleted.name: "deleted", truncated.name: "truncated", fifo.name: "fifo"}


@pytest.mark.slow
def test_files_changed_after_the_scan_are_errors_and_the_rest_is_stored(
    library: Path, tmp_path: Path
) -> None:
    done: dict[str, str] = {}

    def between(event: Progress) -> None:
        if event.found == FILES and not done:  # the walk is over; the last task waits
            done.update(_sabotage(library))

    with LibraryDatabase(tmp_path / "lib.db") as db:
        report = LibraryIndexer(db, 2, on_progress=between).index([library])
        reasons = {os.path.basename(f.file_path): f.reason for f in report.failures}
        assert set(reasons) == set(done), reasons
        by_kind = {done[name]: reason for name, reason in reasons.items()}
        assert by_kind["deleted"].startswith("no such file")
        assert by_kind["fifo"] == "not a regular file (a FIFO)"
        assert "truncated" in by_kind["truncated"] or "damaged" in by_kind["truncated"]
        assert report.new == FILES - 3 and db.count_files() == FILES - 3
        recorded = {os.path.basename(f.file_path) for f in db.scan_errors}
        assert recorded == set(done)


def _index_as_nobody(db: str, root: str, victim: str) -> list[object]:
    def between(event: Progress) -> None:
        if event.phase == "read" and event.done == 0:
            os.chmod(victim, 0o000)

    with LibraryDatabase(db) as store:
        report = LibraryIndexer(store, 1, on_progress=between, options=ScanOptions()).index([root])
    return [report.new, [(f.file_path, f.reason) for f in report.failures]]


def test_a_file_made_unreadable_after_the_scan_is_permission_denied() -> None:
    with shared_folder("mt-unreadable-") as shared:
        shared.chmod(0o777)
        root = shared / "lib"
        for i in range(3):
            make_audio(root / f"{i}.flac", "flac", seed=i, seconds=0.1, tags=Tags())
        root.chmod(0o777)
        for path in root.iterdir():
            path.chmod(0o666)  # nobody's chmod below needs to own it: give it away
            os.chown(path, 65534, 65534)
        victim = str(root / "1.flac")
        new, failures = as_nobody(_index_as_nobody, str(shared / "lib.db"), str(root), victim)
        assert new == 2 and failures == [[victim, "permission denied"]]
