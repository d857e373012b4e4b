"""What only a PostgreSQL catalog does: machines that share it, processes that write it at
once, a server that cannot be reached. Against the real server `.ci/run` starts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from music_tools.dupes import find_duplicates
from music_tools.errors import NotALibraryError, SchemaError, StoreError
from music_tools.library import LibraryDatabase, LibraryFile, LibraryIndexer, ScanFailure
from music_tools.queries import library_stats
from support.audio_factory import Tags, file_name, make_audio
from support.factories import library_file

COMMAND = [sys.executable, "-m", "music_tools"]


def make_folder(root: Path, count: int, seed: int = 0) -> Path:
    for i in range(count):
        fmt = ("flac", "mp3", "wav")[i % 3]
        tags = Tags(artist=f"Artist {i % 7}", title=f"Song {seed}-{i}", album="Album")
        make_audio(
            root / f"Disc {i % 4}" / file_name(fmt, f"{i:04d}"), fmt, seed=seed * 10_000 + i,
            seconds=0.2, tags=tags,
        )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("music"), 60)


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess (in `cwd`, where an action log of a catalog goes)."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env or dict(os.environ),
        cwd=cwd,
    )


def test_two_machines_same_paths_never_collide(postgres_url: str, folder: Path) -> None:
    for machine in ("alpha", "beta"):
        with LibraryDatabase(postgres_url, machine=machine) as db:
            LibraryIndexer(db, workers=1).index([folder])
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert db.count_files() == 120
        stats = library_stats(db)
        assert stats.machines == {"alpha": 60, "beta": 60}
        db.view = "beta"
        assert db.count_files() == 60


def test_a_rescan_on_one_machine_never_marks_anothers_files_missing(
    postgres_url: str, folder: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "music"
    shutil.copytree(folder, mine)
    with LibraryDatabase(postgres_url, machine="beta") as db:
        LibraryIndexer(db, workers=1).index([mine])
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        LibraryIndexer(db, workers=1).index([mine])
        gone = sorted(mine.rglob("*.flac"))[:5]
        for path in gone:
            path.unlink()
        report = LibraryIndexer(db, workers=1).index([mine])
        assert report.missing == 5
        assert db.count_files() == 55 + 60  # beta's rows all still active
        db.view = "beta"
        assert db.count_files() == 60


def test_dupes_finds_duplicates_across_machines_and_acts_only_on_this_ones(
    postgres_url: str, folder: Path, tmp_path: Path
) -> None:
    for machine in ("alpha", "beta"):
        with LibraryDatabase(postgres_url, machine=machine) as db:
            LibraryIndexer(db, workers=1).index([folder])
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        groups = list(find_duplicates(db, ["exact"], []))
    assert len(groups) == 60
    for group in groups:
        assert {group.keeper.machine, *(m.file.machine for m in group.others)} == {
            "alpha",
            "beta",
        }
    env = {**os.environ, "MUSIC_TOOLS_MACHINE": "alpha"}
    done = run(
        "dupes",
        "--db",
        postgres_url,
        "--kinds",
        "exact",
        "--trash",
        "--apply",
        env=env,
        cwd=tmp_path,
    )
    assert list(tmp_path.glob("music-tools-actions-*.jsonl"))  # the log, where it was run
    assert done.returncode == 0, done.stderr
    assert "left alone" in done.stderr
    # says what this machine is called: `dupes --machine` chooses whose files to show, and a
    # user who indexed under another name than the host's must know how to act as it
    assert "(this is alpha: MUSIC_TOOLS_MACHINE names it)" in done.stderr
    assert all(p.exists() for p in folder.rglob("*.*"))  # not one file was trashed
    assert len(list(folder.rglob("*.*"))) == 60


def test_two_indexers_of_two_machines_at_once_write_every_row_once(
    postgres_url: str, folder: Path, tmp_path: Path
) -> None:
    second = make_folder(tmp_path / "second", 60, seed=1)
    started = [
        subprocess.Popen(
            [*COMMAND, "index", "--db", postgres_url, "--machine", machine, "-q", str(path)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for machine, path in (("alpha", folder), ("beta", second))
    ]
    for process in started:
        assert process.wait(timeout=300) == 0, process.stderr.read() if process.stderr else ""
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert db.count_files() == 120
        assert db.count_files(active_only=False) == 120


def test_one_root_indexed_by_two_processes_at_once_has_each_file_once(
    postgres_url: str, folder: Path
) -> None:
    started = [
        subprocess.Popen(
            [*COMMAND, "index", "--db", postgres_url, "--machine", "alpha", str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in started:
        assert process.wait(timeout=300) == 0
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert db.count_files(active_only=False) == 60
        assert db.count_files() == 60


def test_a_second_indexer_of_the_same_machine_waits_for_the_first(
    postgres_url: str, folder: Path
) -> None:
    with LibraryDatabase(postgres_url, machine="alpha") as holder:
        with holder.run_lock("test", None):
            process = subprocess.Popen(
                [*COMMAND, "index", "--db", postgres_url, "--machine", "alpha", str(folder)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(3)
            assert process.poll() is None  # still waiting
            assert holder.count_files() == 0
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0
        assert "waiting for another music-tools" in err
        assert holder.count_files() == 60


def test_concurrent_upserts_of_the_same_rows_neither_lose_nor_double(postgres_url: str) -> None:
    files = [library_file(i) for i in range(3_000)]
    with LibraryDatabase(postgres_url, machine="alpha") as first:
        first.batch_insert_files(files[:100])
    script = (
        "import sys\n"
        "from support.factories import library_file\n"
        "from music_tools.library import LibraryDatabase\n"
        "with LibraryDatabase(sys.argv[1], machine='alpha') as db:\n"
        "    for start in range(0, 3000, 500):\n"
        "        db.batch_insert_files([library_file(i, title=sys.argv[2]) "
        "for i in range(start, start + 500)])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    writers = [
        subprocess.Popen([sys.executable, "-c", script, postgres_url, name], env=env)
        for name in ("one", "two")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert db.count_files(active_only=False) == 3_000
        titles = {row[0] for row in db.engine.fetch("SELECT DISTINCT title FROM library_index")}
        assert titles <= {"one", "two"}


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    done = run("stats", "--db", "postgresql://someone:s3cret-pw@127.0.0.1:1/music")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("music-tools: error: cannot reach PostgreSQL at 127.0.0.1:1: ")
    assert "s3cret-pw" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_wrong_password_is_one_line_without_it(postgres_url: str) -> None:
    url = postgres_url.replace(":music_tools@", ":not-the-pw-42@", 1)
    if url == postgres_url:
        pytest.skip("the test URL has no password to change")
    done = run("index", "--db", url, str(Path(__file__).parent))
    assert done.returncode == 1
    assert "cannot reach PostgreSQL" in done.stderr
    assert "not-the-pw-42" not in done.stderr


def test_a_reading_command_never_creates_a_catalog(postgres_url: str) -> None:
    done = run("stats", "--db", postgres_url)
    assert done.returncode == 1
    assert "no music-tools catalog here yet" in done.stderr
    with pytest.raises(NotALibraryError):
        LibraryDatabase(postgres_url, readonly=True)
    with LibraryDatabase(postgres_url) as db:  # created only now, by a writer
        assert db.count_files() == 0


def test_machine_names_are_checked(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="machine name"):
        LibraryDatabase(postgres_url, machine="no spaces'; DROP")
    with LibraryDatabase(postgres_url, machine="alpha"):
        pass
    done = run("stats", "--db", postgres_url, "--machine", "x y")
    assert done.returncode == 1
    assert "machine name" in done.stderr


def test_the_library_takes_its_machine_as_told_not_from_the_environment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MUSIC_TOOLS_MACHINE is the command line's to read (the dupes test above runs it);
    the library is told `machine=`, else it is the host."""
    import socket

    monkeypatch.setenv("MUSIC_TOOLS_MACHINE", "from-the-environment")
    with LibraryDatabase(postgres_url) as db:
        assert db.machine == (socket.gethostname().split(".")[0] or "localhost")
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        assert db.machine == "alpha"


def test_machine_on_an_sqlite_library_is_a_usage_error(tmp_path: Path) -> None:
    done = run("stats", "--db", str(tmp_path / "x.db"), "--machine", "alpha")
    assert done.returncode == 2
    assert "PostgreSQL" in done.stderr


def test_one_folder_indexed_into_both_stores_gives_the_same_rows(
    postgres_url: str, folder: Path, tmp_path: Path
) -> None:
    odd = folder.parent / "odd-names"
    if not odd.exists():
        plain = make_audio(odd / "plain.flac", "flac", seed=7, seconds=0.2)
        os.rename(plain, bytes(odd) + b"/caf\xe9 \xff.flac")  # a name that is not UTF-8
    rows = []
    for target in (tmp_path / "library.db", postgres_url):
        with LibraryDatabase(target, machine="alpha") as db:
            LibraryIndexer(db, workers=2).index([folder, odd])
            rows.append(
                {
                    f.file_path: replace(
                        f, id=None, machine=None, indexed_at=None, last_seen_at=None
                    )
                    for f in db.iter_files()
                }
            )
    sqlite_rows, postgres_rows = rows
    assert len(sqlite_rows) == 61
    assert postgres_rows == sqlite_rows


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://someone:s3cret-pw@[broken/db",
        "postgresql://someone:s3cret-pw@host:notaport/db",
        "postgresql://someone:s3cret-pw@localhost/db?nonsense=1",
        "postgresql+psycopg://someone:s3cret-pw@localhost/db",  # SQLAlchemy's form
        "mysql://someone:s3cret-pw@localhost/db",
        "PostgreSQL://someone:s3cret-pw@localhost:1/db",  # a scheme is case-insensitive
    ],
)
@pytest.mark.parametrize("command", ["stats", "index"])
def test_an_unusable_url_is_one_line_without_the_password(
    url: str, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = run(command, "--db", url, *([str(tmp_path)] if command == "index" else []))
    assert list(tmp_path.iterdir()) == []  # no file made of a URL
    assert done.returncode in (1, 2)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("music-tools: error: ")
    assert "s3cret-pw" not in done.stderr


def _catalog_of_version_6(url: str) -> None:
    """A catalog as the first PostgreSQL version of music-tools left it, with one row."""
    import psycopg

    from music_tools.store.postgres.schema import BASELINE, MIGRATIONS, VERSION_TABLE

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
        conn.execute(str(MIGRATIONS[BASELINE]))
        conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({BASELINE})")
        conn.execute(
            "INSERT INTO library_index (machine, file_path, is_active) VALUES ('alpha', %s, 1)",
            (b"/music/a.mp3",),
        )


def test_a_catalog_of_an_older_version_is_upgraded_in_place(postgres_url: str) -> None:
    from music_tools.store.postgres.schema import MIGRATIONS, VERSION_TABLE

    _catalog_of_version_6(postgres_url)
    with pytest.raises(SchemaError, match="older than this music-tools uses"):
        LibraryDatabase(postgres_url, readonly=True)  # a reading command never upgrades
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        row = db.get_file_by_path("/music/a.mp3")
        assert row is not None and row.reader_version == 0  # read again by the next index
        assert row.quality_verdict is None and row.quality_version is None  # not analysed
        assert row.bitrate_mode is None  # unknown until the next index reads it again
        assert db.quality.count_stale(1) == 1
        assert db.engine.fetch(f"SELECT version FROM {VERSION_TABLE}") == [(max(MIGRATIONS),)]
        assert db.engine.fetch("SELECT count(*) FROM fingerprints") == [(0,)]


def test_an_upgrade_that_fails_leaves_the_catalog_as_it_was(postgres_url: str) -> None:
    import psycopg

    from music_tools.store.postgres.schema import BASELINE, VERSION_TABLE

    _catalog_of_version_6(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE VIEW fingerprint_terms AS SELECT 1 AS term")  # in version 7's way
    with pytest.raises(StoreError, match="already exists"):
        LibraryDatabase(postgres_url, machine="alpha")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchall() == [(BASELINE,)]
        assert conn.execute("SELECT to_regclass('fingerprints')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM library_index").fetchone() == (1,)


def test_undo_waits_for_an_indexer_of_the_same_machine(postgres_url: str, tmp_path: Path) -> None:
    """undo moves files and rows as `dupes --apply` does: it takes the machine's lock too."""
    source, target = tmp_path / "song.flac", tmp_path / "dupes" / "song.flac"
    target.parent.mkdir()
    target.write_bytes(b"audio")
    record = {
        "run": "r", "step": 0, "status": "done", "op": "move", "path": str(source),
        "target": str(target), "size": 5, "mtime_ns": target.stat().st_mtime_ns,
        "keep": str(tmp_path / "keep.flac"), "keep_size": None, "keep_mtime_ns": None,
        "row_id": None, "root": None, "target_root": str(target.parent),
    }  # fmt: skip
    log = tmp_path / "actions.jsonl"
    log.write_text(json.dumps(record) + "\n")
    with LibraryDatabase(postgres_url, machine="alpha") as holder:
        with holder.run_lock("test", None):
            process = subprocess.Popen(
                [*COMMAND, "undo", str(log), "--db", postgres_url, "--machine", "alpha"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(2.5)
            assert process.poll() is None  # still waiting
            assert target.exists()
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "waiting for another music-tools" in err
    assert source.exists() and not target.exists()


def test_stats_counts_the_errors_of_the_machines_it_shows(postgres_url: str) -> None:
    """Files and errors of the same machines: the catalog's, or `--machine`'s."""
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        db.batch_insert_files([library_file(1)])
        db.scan_errors.record([ScanFailure("/m/bad.flac", "truncated", 1, 1, "/m", 1.0, 1.0)])
    with LibraryDatabase(postgres_url, machine="beta", readonly=True) as db:
        assert (library_stats(db).files, library_stats(db).errors) == (1, 1)
        db.view = "alpha"
        assert (library_stats(db).files, library_stats(db).errors) == (1, 1)
        db.view = "beta"
        assert (library_stats(db).files, library_stats(db).errors) == (0, 0)


def test_a_search_of_thousands_of_terms_is_refused_at_once(postgres_url: str) -> None:
    from music_tools.queries import SearchError, search

    with LibraryDatabase(postgres_url, machine="alpha") as db:
        db.batch_insert_files([library_file(1)])
        with pytest.raises(SearchError, match="too many search terms"):  # before any query
            list(search(db, [f"word{i}" for i in range(9_000)]))


def _index_names(db: LibraryDatabase) -> set[str]:
    return {
        row[0]
        for row in db.engine.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'library_index'"
        )
    }


def test_a_large_first_load_builds_the_same_indexes_and_rows(postgres_url: str) -> None:
    """A load of BULK_LOAD_ROWS rows or more into an empty catalog builds its secondary
    indexes after the rows: the same indexes, the same rows, the bad rows still isolated,
    a path given twice still written once (the later one), and the lookups use them."""
    from music_tools.store.postgres.writes import BULK_LOAD_ROWS

    count = BULK_LOAD_ROWS + 2_000
    files = [library_file(i) for i in range(count)]
    files[7_000] = replace(files[7_000], track_number=2**70)  # the server refuses it
    files[15_000] = replace(files[15_000], file_path=files[3].file_path, title="again")
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        before = _index_names(db)
        result = db.batch_insert_files(files)
        assert _index_names(db) == before and len(before) == 10
        assert int(result) == count - 1
        assert [failure.key for failure in result.failures] == [files[7_000].file_path]
        assert "too large" in result.failures[0].reason
        assert db.count_files() == count - 2  # one refused, one path given twice
        again = db.get_file_by_path(files[3].file_path)
        assert again is not None and again.title == "again"
        found = db.batch_get_files_by_hashes([files[20_000].metadata_hash], "metadata")
        assert [f.file_path for f in found[files[20_000].metadata_hash]] == [
            files[20_000].file_path
        ]
        plan = "\n".join(
            row[0]
            for row in db.engine.fetch(
                "EXPLAIN SELECT id FROM library_index WHERE is_active = 1 AND metadata_hash = 'x'"
            )
        )
        assert "idx_active_metadata_hash" in plan


def test_a_large_load_that_fails_leaves_the_indexes(postgres_url: str) -> None:
    from music_tools.store.postgres.writes import BULK_LOAD_ROWS

    files = [library_file(i) for i in range(BULK_LOAD_ROWS + 10)]

    def then_fail() -> Iterator[LibraryFile]:
        yield from files
        raise RuntimeError("the caller's own failure, after the rows were written")

    with LibraryDatabase(postgres_url, machine="alpha") as db:
        before = _index_names(db)

        class Known(list[LibraryFile]):  # a sized iterable that fails once consumed
            def __iter__(self) -> Iterator[LibraryFile]:
                return then_fail()

        with pytest.raises(RuntimeError):
            db.batch_insert_files(Known(files))
        assert _index_names(db) == before
        assert db.count_files(active_only=False) == 0


def test_a_large_load_into_a_catalog_with_rows_keeps_its_indexes(postgres_url: str) -> None:
    """Another machine's rows are there (or its reader holds the table): the indexes stay,
    since others may be reading through them while this load runs."""
    from music_tools.store.postgres.writes import BULK_LOAD_ROWS

    with LibraryDatabase(postgres_url, machine="beta") as other:
        other.batch_insert_files([library_file(i, root="/other") for i in range(10)])
    seen: list[str] = []
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        writer = db.engine._writer  # type: ignore[attr-defined]
        drop = writer._drop_secondary_indexes

        def watched(table: str) -> list[str] | None:
            statements: list[str] | None = drop(table)
            seen.append("dropped" if statements is not None else "kept")
            return statements

        writer._drop_secondary_indexes = watched
        db.batch_insert_files([library_file(i) for i in range(BULK_LOAD_ROWS)])
        assert db.count_files(active_only=False) == BULK_LOAD_ROWS + 10
    assert seen == ["kept"]


def test_a_large_first_load_while_another_session_reads_keeps_the_indexes(
    postgres_url: str,
) -> None:
    import psycopg

    from music_tools.store.postgres.writes import BULK_LOAD_ROWS

    with LibraryDatabase(postgres_url, machine="alpha") as db:
        before = _index_names(db)
        with psycopg.connect(postgres_url) as reader:  # a transaction that read the table
            reader.execute("SELECT count(*) FROM library_index").fetchone()
            result = db.batch_insert_files([library_file(i) for i in range(BULK_LOAD_ROWS)])
            assert int(result) == BULK_LOAD_ROWS
            assert _index_names(db) == before
            reader.rollback()
        assert db.count_files() == BULK_LOAD_ROWS


def test_a_large_lookup_reads_one_snapshot_on_two_connections(postgres_url: str) -> None:
    """A lookup of PARALLEL_KEYS keys or more runs on a second connection too: every row
    found, and inside a read snapshot both connections see that snapshot, not a change
    another process committed meanwhile."""
    import psycopg

    from music_tools.store.postgres.lookups import PARALLEL_KEYS

    files = [library_file(i) for i in range(PARALLEL_KEYS + 5_000)]
    paths = [f.file_path for f in files]
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        db.batch_insert_files(files)
        second = db.engine._second  # type: ignore[attr-defined]
        lookup = second.lookup
        parts_run: list[int] = []

        def watched(main: object, helper: object, sql: str, parts: list[object]) -> object:
            parts_run.append(len(parts))
            return lookup(main, helper, sql, parts)

        second.lookup = watched
        found = db.batch_get_files_by_paths([*paths, "/music/not/there.flac"])
        assert sum(f is not None for f in found.values()) == len(files)
        assert found["/music/not/there.flac"] is None
        assert parts_run and parts_run[0] >= 2  # the two connections took part
        with db.reading():
            db.get_file_by_path(paths[0])  # the snapshot starts here
            with psycopg.connect(postgres_url, autocommit=True) as other:
                other.execute("UPDATE library_index SET title = 'changed'")
            seen = db.batch_get_files_by_paths(paths)
            assert not any(f is not None and f.title == "changed" for f in seen.values())
            by_hash = db.batch_get_files_by_hashes(
                [f.metadata_hash or "" for f in files], "metadata"
            )
            assert sum(len(group) for group in by_hash.values()) == len(files)
        assert len(parts_run) == 3
        after = db.batch_get_files_by_paths(paths)
        assert {f.title for f in after.values() if f is not None} == {"changed"}


def test_a_large_lookup_inside_a_write_sees_its_own_rows(postgres_url: str) -> None:
    from music_tools.store.postgres.lookups import PARALLEL_KEYS

    files = [library_file(i) for i in range(PARALLEL_KEYS + 1_000)]
    with LibraryDatabase(postgres_url, machine="alpha") as db, db.atomic():
        db.batch_insert_files(files)  # not committed yet: only this connection sees them
        found = db.batch_get_files_by_paths(f.file_path for f in files)
        assert all(f is not None for f in found.values())


def test_a_large_lookup_without_a_second_connection_keeps_to_one(postgres_url: str) -> None:
    """The server has no connection to spare (here: the second one cannot log in): the
    lookup runs on the one it has, all rows found, no error."""
    from psycopg.conninfo import make_conninfo

    from music_tools.store.postgres.connect import Server
    from music_tools.store.postgres.lookups import PARALLEL_KEYS

    files = [library_file(i) for i in range(PARALLEL_KEYS + 10)]
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        db.batch_insert_files(files)
        second = db.engine._second  # type: ignore[attr-defined]
        second._server = Server(make_conninfo(postgres_url, password="not the password"))
        found = db.batch_get_files_by_paths(f.file_path for f in files)
        assert all(f is not None for f in found.values())
        assert second._conn is None


def test_an_integer_too_large_for_its_column_is_refused_not_wrapped(postgres_url: str) -> None:
    """Binary COPY sends an INTEGER column's value in 4 bytes: a larger one must be
    refused with the reason, as before, not stored as its low 32 bits."""
    big = replace(library_file(1), metadata_version=2**32 + 7)
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        result = db.batch_insert_files([library_file(0), big])
        assert int(result) == 1
        assert [f.key for f in result.failures] == [big.file_path]
        assert "too large" in result.failures[0].reason
        assert db.get_file_by_path(big.file_path) is None


def test_a_large_lookup_never_waits_behind_a_lock_queued_for_its_own_table(
    postgres_url: str,
) -> None:
    """Another session queues for the table's exclusive lock while this snapshot holds a
    share lock: the second connection must not queue behind it (a cycle through the
    client the server cannot see); the lookup finishes at once on the first."""
    import threading

    import psycopg

    from music_tools.store.postgres.lookups import PARALLEL_KEYS

    files = [library_file(i) for i in range(PARALLEL_KEYS + 10)]
    with LibraryDatabase(postgres_url, machine="alpha", busy_timeout=5) as db:
        db.batch_insert_files(files)
        with db.reading():
            db.count_files()  # this snapshot's share lock on the table

            def lock_it() -> None:
                with psycopg.connect(postgres_url) as other:
                    other.execute("SET lock_timeout = 10000")
                    other.execute("LOCK TABLE library_index IN ACCESS EXCLUSIVE MODE")

            locker = threading.Thread(target=lock_it)
            locker.start()
            time.sleep(0.5)  # its request is queued now
            started = time.monotonic()
            found = db.batch_get_files_by_paths(f.file_path for f in files)
            took = time.monotonic() - started
        locker.join(timeout=15)
        assert all(f is not None for f in found.values())
        assert took < 3


def test_a_large_first_load_leaves_indexes_it_cannot_drop_and_still_loads(
    postgres_url: str,
) -> None:
    """An index the catalog did not make (here one behind a constraint) cannot be dropped:
    the load goes the usual way instead of failing."""
    from music_tools.store.postgres.writes import BULK_LOAD_ROWS

    with LibraryDatabase(postgres_url, machine="alpha") as db:
        db.engine.run(
            "ALTER TABLE library_index ADD CONSTRAINT one_id EXCLUDE USING btree (id WITH =)"
        )
        result = db.batch_insert_files([library_file(i) for i in range(BULK_LOAD_ROWS)])
        assert int(result) == BULK_LOAD_ROWS
        assert "one_id" in _index_names(db)


def test_check_moves_beside_another_machines_copy_say_so_in_the_dry_run_too(
    postgres_url: str, tmp_path: Path
) -> None:
    """review D8: the dry run said "would move" where --apply said the copy that stays "is no
    longer in the library": a copy on another machine cannot be checked from here, and
    both say so."""
    kept = make_audio(tmp_path / "nas" / "song.wav", "wav", seconds=0.05, tags=Tags(mbid=None))
    new = tmp_path / "new" / "song.wav"
    new.parent.mkdir()
    shutil.copy2(kept, new)
    assert (
        run("index", "--db", postgres_url, "--machine", "nas", "-q", str(kept.parent)).returncode
        == 0
    )
    env = {**os.environ, "MUSIC_TOOLS_MACHINE": "new"}
    said = {}
    for apply in ([], ["--apply"]):
        args = ["check", "-q", "--db", postgres_url, "--move-dupes-to", str(tmp_path / "spare")]
        done = run(*args, *apply, str(new), env=env, cwd=tmp_path)
        assert done.returncode in (0, 3), done.stderr
        (line,) = [line for line in done.stderr.splitlines() if str(new) in line]
        said[bool(apply)] = line
    assert "the copy that stays is on machine nas" in said[False], said
    assert said[False] == said[True], said
    assert new.exists()
