"""Several processes on one database file: no lost rows, no torn reads."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path

from music_tools.library import LibraryDatabase
from support.factories import library_file


def _writer(path: str, offset: int, rows: int) -> int:
    written = 0
    with LibraryDatabase(path, busy_timeout=60) as db:
        for start in range(offset, offset + rows, 250):
            result = db.batch_insert_files(library_file(i) for i in range(start, start + 250))
            written += result.written
    return written


def test_two_writer_processes_at_once_lose_no_rows(db_path: Path) -> None:
    LibraryDatabase(db_path).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_writer, [(str(db_path), 0, 5_000), (str(db_path), 5_000, 5_000)])
    assert results == [5_000, 5_000]
    with LibraryDatabase(db_path) as db:
        assert db.count_files() == 10_000
        assert db.connection.execute("PRAGMA integrity_check").get == "ok"


def _rewrite_years(path: str, rounds: int) -> None:
    with LibraryDatabase(path) as db:
        files = list(db.iter_files())
        for year in range(1, rounds + 1):
            db.batch_update_files(replace(f, year=year) for f in files)


def test_a_reader_sees_every_batch_lookup_from_one_consistent_state(db_path: Path) -> None:
    with LibraryDatabase(db_path) as db:
        db.batch_insert_files(library_file(i, year=0) for i in range(3_000))
        paths = [f.file_path for f in db.iter_files()]
        ctx = multiprocessing.get_context("spawn")
        writer = ctx.Process(target=_rewrite_years, args=(str(db_path), 40))
        writer.start()
        seen_years: set[int] = set()
        try:
            while writer.is_alive():
                # 60 separate IN-list queries; a writer commit between them would tear the view
                found = db.batch_get_files_by_paths(paths, batch_size=50)
                years = {f.year for f in found.values() if f is not None}
                assert len(years) == 1, f"torn read: {sorted(years)}"  # type: ignore[type-var]
                seen_years |= years  # type: ignore[arg-type]
        finally:
            writer.join()
        assert writer.exitcode == 0
        assert len(seen_years) > 1  # the reader really ran while the writer worked
