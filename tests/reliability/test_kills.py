"""SIGKILL of `index` at seeded moments: the database stays sound after each, and a rerun
ends with exactly the rows of an uninterrupted run.

The kills follow one another on one database, as a user retrying would: each run resumes
what the last one committed and is killed at the next moment (a seeded delay after start,
some before the first commit, or a seeded number of rows), so twenty kills cost about one
full index. MUSIC_TOOLS_LONG=1 runs 60 kills over a bigger library.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import apsw
import pytest

from conftest import (
    LONG,
    integrity,
    kill_group,
    rows,
    run_index,
    start_index,
    wait_for_rows,
    wait_until_gone,
)

KILLS = 60 if LONG else 20
SEED = 20_261_126


@pytest.mark.slow
def test_sigkill_at_seeded_moments_loses_nothing(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    root, expected = big_library
    db = tmp_path / "killed.db"
    rng = random.Random(SEED)
    committed = 0
    for trial in range(KILLS):
        process = start_index(db, root)
        try:
            if trial % 4 == 0:  # a seeded moment in time, often before the first commit
                time.sleep(rng.uniform(0.0, 0.6))
            else:  # a seeded number of rows further on
                step = rng.randint(1, max(1, 2 * len(expected) // KILLS))
                wait_for_rows(db, process, committed + step)
            kill_group(process.pid)
            process.wait()
        finally:
            kill_group(process.pid)
        assert wait_until_gone(process.pid, 3.0) == []
        if db.exists():
            assert integrity(db) == "ok", f"trial {trial}"
            # killed before its first commit, an index leaves a database without its schema
            committed = len(rows(db)) if has_schema(db) else 0
    done = run_index(db, root)
    assert done.returncode == 0, done.stderr
    assert rows(db) == expected


def has_schema(db: Path) -> bool:
    """Whether the database has any table; one without is what a kill before the schema's
    first commit leaves, and it must then be empty: no table, version 0."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchall()[0][0]
        version = conn.execute("PRAGMA user_version").fetchall()[0][0]
    finally:
        conn.close()
    assert tables or version == 0, "a schema version without tables"
    return bool(tables)
