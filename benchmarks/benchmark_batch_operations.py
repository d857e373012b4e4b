#!/usr/bin/env python3
"""Benchmark LibraryDatabase's batch operations against its single-row methods and bare sqlite3.

    python benchmarks/benchmark_batch_operations.py --size MEDIUM
    python benchmarks/benchmark_batch_operations.py --size XLARGE --json
    python benchmarks/benchmark_batch_operations.py --size XLARGE --db postgresql://u:pw@host/db

Prints the seed design's table (INSERT, UPDATE, LOOKUP, HASH LOOKUP: sequential and batch
seconds and ops/s, speedup, overall speedup), then, from the same run, bare baselines:
plain `sqlite3` executemany of the same rows into the same schema in one transaction, and
plain IN-list SELECTs returning tuples; our batch calls' ratio to each; and the cost of
committing every 500 rows instead of once.

On PostgreSQL (`--db postgresql://...`) the bare baselines are psycopg's COPY of the same
rows into the same schema and the same `= ANY` lookups on the same table, returning tuples;
the updated table is vacuumed (autovacuum's work) before the lookups. Two more lines show
what our two PostgreSQL techniques are worth: the bare COPY with the secondary indexes built
after the load (as our bulk load does), and our lookup kept to one connection.

Sequential single-row methods (one transaction each) are timed on at most
--sequential-rows rows and their rate reported; the seconds column scales that rate to the
full size. Batch and bare figures are the best of --repeat runs over all rows; lookups and
hash lookups ask for every key in random order.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from music_tools.library import LibraryDatabase, LibraryFile
from music_tools.store import database as database_module
from music_tools.store.rows import COLUMNS, row_of

SIZES = {"SMALL": 100, "MEDIUM": 1_000, "LARGE": 5_000, "XLARGE": 100_000}

_GENRES = ["Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Metal", "Pop"]
_FORMATS = [("flac", "flac", True, 16), ("mp3", "mp3", False, None), ("m4a", "aac", False, None)]


def make_files(count: int, seed: int = 1) -> list[LibraryFile]:
    """Realistic rows: ~100-character paths, full tags, random 128-bit hex keys."""
    rng = random.Random(seed)
    files = []
    now = time.time()
    for i in range(count):
        artist = f"Artist {rng.randrange(count // 10 + 1):05d} and the Band"
        album = f"Album {rng.randrange(count // 8 + 1):05d} (Deluxe Edition)"
        ext, codec, lossless, bits = _FORMATS[i % len(_FORMATS)]
        filename = f"{i % 20 + 1:02d} - Track title number {i:07d}.{ext}"
        directory = f"/srv/music/library/{artist}/{album}"
        files.append(
            LibraryFile(
                file_path=f"{directory}/{filename}",
                filename=filename,
                directory=directory,
                library_root="/srv/music/library",
                artist=artist,
                title=f"Track title number {i:07d}",
                album=album,
                album_artist=artist,
                track_number=i % 20 + 1,
                disc_number=1,
                year=1960 + i % 60,
                genre=_GENRES[i % len(_GENRES)],
                duration=120.0 + rng.random() * 300,
                bitrate=900 if lossless else 320,
                sample_rate=44_100,
                channels=2,
                bits_per_sample=bits,
                file_format=ext,
                codec=codec,
                is_lossless=lossless,
                file_size=rng.randrange(3_000_000, 60_000_000),
                file_mtime_ns=1_600_000_000_000_000_000 + rng.randrange(10**17),
                metadata_hash=f"{rng.getrandbits(128):032x}",
                audio_key=f"{rng.getrandbits(128):032x}",
                indexed_at=now,
                last_seen_at=now,
            )
        )
    return files


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _best(repeat: int, setup: Callable[[], Any], action: Callable[[Any], object]) -> float:
    """Best wall time of `repeat` runs, each on a fresh `setup()` (untimed)."""
    times = []
    for _ in range(repeat):
        state = setup()
        times.append(_timed(lambda state=state: action(state)))
    return min(times)


class Workspace:
    """Fresh database files in one temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def new_path(self) -> Path:
        self.count += 1
        return self.root / f"bench-{self.count}.db"

    def new_db(self) -> LibraryDatabase:
        return LibraryDatabase(self.new_path())

    def new_bare(self) -> sqlite3.Connection:
        """A plain sqlite3 connection on the same schema and pragmas, no music-tools code."""
        path = self.new_path()
        LibraryDatabase(path).close()
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "cache_size=-262144",
            "temp_store=MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        return conn


class PostgresWorkspace:
    """Fresh catalogs on a PostgreSQL server, each in a schema of its own (dropped at the
    end); the bare baseline is plain psycopg on a catalog of the same schema."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.psycopg = psycopg
        self.schemas: list[str] = []
        self.last_url = url

    def _schema_url(self) -> str:
        from benchmark_index import fresh_catalog

        name = f"bench_{os.getpid()}_{len(self.schemas)}"
        self.schemas.append(name)
        self.last_url = fresh_catalog(self.url, name)
        return self.last_url

    def new_db(self) -> LibraryDatabase:
        return LibraryDatabase(self._schema_url(), machine="bench")

    def same_tables(self) -> Any:
        """A plain psycopg connection to the catalog new_db made last: the bare lookups
        read the very table ours read (updated, so with its dead row versions too)."""
        return self.psycopg.connect(self.last_url, autocommit=True)

    def new_bare(self) -> Any:
        url = self._schema_url()
        LibraryDatabase(url, machine="bench").close()  # the same tables and indexes
        return self.psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        with self.psycopg.connect(self.url, autocommit=True) as conn:
            for name in self.schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _pg_rows(files: Sequence[LibraryFile]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows a bare psycopg client would COPY: paths as bytes, flags as 0/1."""
    columns = [c for c in COLUMNS if c != "id"] + ["machine"]
    paths = {"file_path", "filename", "directory", "library_root"}
    rows = []
    for file in files:
        row = []
        for column in columns[:-1]:
            value = getattr(file, column)
            if column in paths and isinstance(value, str):
                value = os.fsencode(value)
            elif isinstance(value, bool):
                value = int(value)
            row.append(value)
        rows.append((*row, "bench"))
    return columns, rows


def _bare_pg_select(conn: Any, column: str, keys: Sequence[Any], where: str) -> int:
    """The same `= ANY(%b)` queries our lookups make (the keys sent as one binary array),
    returning plain tuples."""
    found = 0
    cursor = conn.cursor(binary=True)
    for start in range(0, len(keys), 10_000):
        chunk = list(keys[start : start + 10_000])
        query = (
            f"SELECT {', '.join((*COLUMNS, 'machine'))} FROM library_index "
            f"WHERE {where}{column} = ANY(%b)"
        )
        cursor.execute(query, (chunk,))
        found += len(cursor.fetchall())
    return found


def _bare_select(conn: sqlite3.Connection, column: str, keys: Sequence[str], where: str) -> int:
    """The same IN-list queries our lookups make, returning plain tuples."""
    found = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT {', '.join(COLUMNS)} FROM library_index WHERE {where}{column} IN ({marks})"
        found += len(conn.execute(query, chunk).fetchall())
    return found


def run(
    size: int, repeat: int, sequential_rows: int, workdir: Path, url: str | None = None
) -> dict[str, Any]:
    files = make_files(size)
    rows = [row_of(f) for f in files]
    sample = files[: min(size, sequential_rows)]
    if url is not None:
        pg = PostgresWorkspace(url)
        try:
            return _run(files, sample, size, repeat, pg, postgres=True)
        finally:
            pg.close()
    return _run(files, sample, size, repeat, Workspace(workdir), rows=rows)


def _run(
    files: list[LibraryFile],
    sample: list[LibraryFile],
    size: int,
    repeat: int,
    ws: Any,
    rows: list[Any] | None = None,
    postgres: bool = False,
) -> dict[str, Any]:
    insert_sql = (
        f"INSERT INTO library_index ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    )
    rng = random.Random(2)
    results: dict[str, Any] = {"size": size, "sequential_rows": len(sample), "repeat": repeat}
    results["store"] = "postgresql" if postgres else "sqlite"
    pg_columns, pg_rows = _pg_rows(files) if postgres else ([], [])

    def bare_insert(conn: Any) -> None:
        if postgres:
            with conn.transaction(), conn.cursor() as cursor:
                copy_sql = f"COPY library_index ({', '.join(pg_columns)}) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in pg_rows:
                        copy.write_row(row)
            return
        conn.execute("BEGIN")
        conn.executemany(insert_sql, rows)
        conn.execute("COMMIT")

    def insert_every_500(db: LibraryDatabase) -> None:
        for start in range(0, size, 500):
            db.batch_insert_files(files[start : start + 500])

    def insert_sequential(db: LibraryDatabase) -> None:
        for f in sample:
            db.add_file(f)

    def bare_insert_indexes_after(conn: Any) -> None:
        """The bare COPY with the secondary indexes dropped first and built after, in
        one transaction: what our bulk load does (see PostgresEngine.bulk_load), by hand."""
        with conn.transaction():
            built = conn.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'library_index'::regclass AND NOT i.indisunique"
            ).fetchall()
            for name, _ in built:
                conn.execute(f"DROP INDEX {name}")
            with conn.cursor() as cursor:
                copy_sql = f"COPY library_index ({', '.join(pg_columns)}) FROM STDIN"
                with cursor.copy(copy_sql) as copy:
                    for row in pg_rows:
                        copy.write_row(row)
            for _, definition in built:
                conn.execute(definition)

    seq = _best(1, ws.new_db, insert_sequential)
    batch = _best(repeat, ws.new_db, lambda db: db.batch_insert_files(files))
    bare = _best(repeat, ws.new_bare, bare_insert)
    per_500 = _best(1, ws.new_db, insert_every_500)
    results["insert"] = _phase(size, len(sample), seq, batch, bare)
    results["insert"]["commit_every_500_s"] = per_500
    if postgres:
        results["insert"]["bare_indexes_after_s"] = _best(
            repeat, ws.new_bare, bare_insert_indexes_after
        )

    db = ws.new_db()
    db.batch_insert_files(files)
    changed = [replace(f, year=(f.year or 0) + 1, last_seen_at=time.time()) for f in files]
    seq = _timed(lambda: [db.update_file(f) for f in changed[: len(sample)]])
    batch = min(_timed(lambda: db.batch_update_files(changed)) for _ in range(repeat))
    results["update"] = _phase(size, len(sample), seq, batch)
    if postgres:
        # Each update leaves the old row version behind until a vacuum: autovacuum's job in
        # a running catalog, done here at once so the lookups read the table it leaves.
        db.engine.run("VACUUM ANALYZE library_index")

    paths = [f.file_path for f in files]
    rng.shuffle(paths)
    if postgres:
        bare_conn = ws.same_tables()
        select: Callable[..., int] = _bare_pg_select
        path_keys: list[Any] = [os.fsencode(p) for p in paths]
        own = "machine = 'bench' AND "  # ours reads this machine's rows by path, too
    else:
        bare_conn = sqlite3.connect(db.path)
        bare_conn.execute("PRAGMA cache_size=-262144")
        select, path_keys, own = _bare_select, paths, ""
    select(bare_conn, "file_path", path_keys, own)  # warm both caches right before timing
    db.batch_get_files_by_paths(paths)
    seq = _timed(lambda: [db.get_file_by_path(p) for p in paths[: len(sample)]])
    batch = min(_timed(lambda: db.batch_get_files_by_paths(paths)) for _ in range(repeat))
    bare = min(
        _timed(lambda: select(bare_conn, "file_path", path_keys, own)) for _ in range(repeat)
    )
    results["lookup"] = _phase(size, len(sample), seq, batch, bare)
    results["lookup"]["gc_on_s"] = _with_gc_on(
        lambda: min(_timed(lambda: db.batch_get_files_by_paths(paths)) for _ in range(repeat))
    )
    if postgres:
        results["lookup"]["one_connection_s"] = _on_one_connection(
            lambda: min(_timed(lambda: db.batch_get_files_by_paths(paths)) for _ in range(repeat))
        )

    hashes = [f.metadata_hash for f in files if f.metadata_hash]
    rng.shuffle(hashes)
    seq = _timed(lambda: [db.get_files_by_hash(h, "metadata") for h in hashes[: len(sample)]])
    batch = min(
        _timed(lambda: db.batch_get_files_by_hashes(hashes, "metadata")) for _ in range(repeat)
    )
    bare = min(
        _timed(lambda: select(bare_conn, "metadata_hash", hashes, "is_active = 1 AND "))
        for _ in range(repeat)
    )
    results["hash_lookup"] = _phase(size, len(sample), seq, batch, bare)
    bare_conn.close()
    db.close()

    total_seq = sum(results[k]["sequential_s"] for k in _PHASES)
    total_batch = sum(results[k]["batch_s"] for k in _PHASES)
    results["overall_speedup"] = total_seq / total_batch
    return results


_PHASES = ("insert", "update", "lookup", "hash_lookup")


def _with_gc_on(run: Callable[[], float]) -> float:
    """Time `run` with the store's garbage-collector pause replaced by nothing: what the
    pause buys (see `store/rows.gc_paused`)."""
    original = database_module.gc_paused
    database_module.gc_paused = contextlib.nullcontext  # type: ignore[assignment]
    try:
        return run()
    finally:
        database_module.gc_paused = original


def _on_one_connection(run: Callable[[], float]) -> float:
    """Time `run` with PostgreSQL's two-connection lookups turned off (see
    store/postgres/lookups.SecondConnection): what the second connection buys."""
    from music_tools.store.postgres import lookups

    original = lookups.PARALLEL_KEYS
    lookups.PARALLEL_KEYS = sys.maxsize
    try:
        return run()
    finally:
        lookups.PARALLEL_KEYS = original


def _phase(
    size: int, sampled: int, seq_s: float, batch_s: float, bare_s: float | None = None
) -> dict[str, Any]:
    seq_rate = sampled / seq_s
    phase: dict[str, Any] = {
        "sequential_s": size / seq_rate,
        "sequential_ops_s": seq_rate,
        "batch_s": batch_s,
        "batch_ops_s": size / batch_s,
        "speedup": (size / seq_rate) / batch_s,
    }
    if bare_s is not None:
        phase["bare_s"] = bare_s
        phase["bare_ops_s"] = size / bare_s
        phase["batch_vs_bare"] = bare_s / batch_s
    return phase


def render(results: dict[str, Any]) -> str:
    size = results["size"]
    store = "PostgreSQL" if results.get("store") == "postgresql" else "SQLite"
    lines = [f"Batch operations benchmark: {size:,} rows ({store})", ""]
    for key, title in zip(_PHASES, ("INSERT", "UPDATE", "LOOKUP", "HASH LOOKUP"), strict=True):
        p = results[key]
        lines += [
            f"{title}:",
            f"  Sequential: {p['sequential_s']:.3f}s ({p['sequential_ops_s']:,.0f} ops/sec)",
            f"  Batch:      {p['batch_s']:.3f}s ({p['batch_ops_s']:,.0f} ops/sec)",
            f"  Speedup:    {p['speedup']:.1f}x",
        ]
        if "bare_s" in p:
            if results.get("store") == "postgresql":
                who = "psycopg"
                what = "COPY, one transaction" if key == "insert" else "= ANY(%b), tuples"
            else:
                who = "sqlite3"
                what = "executemany, one transaction" if key == "insert" else "IN-list, tuples"
            lines.append(
                f"  Bare {who} ({what}): {p['bare_s']:.3f}s ({p['bare_ops_s']:,.0f} ops/sec);"
                f" batch/bare {p['batch_vs_bare']:.2f}x"
            )
        if "bare_indexes_after_s" in p:
            late = p["bare_indexes_after_s"]
            lines.append(
                f"  Bare psycopg (COPY, secondary indexes built after): {late:.3f}s"
                f" ({size / late:,.0f} ops/sec); batch/bare {late / p['batch_s']:.2f}x"
            )
        if "one_connection_s" in p:
            one = p["one_connection_s"]
            lines.append(
                f"  Batch on one connection: {one:.3f}s ({size / one:,.0f} ops/sec);"
                f" the second connection saves {1 - p['batch_s'] / one:.0%}"
            )
        if "gc_on_s" in p:
            on = p["gc_on_s"]
            lines.append(
                f"  Batch with the garbage collector left on: {on:.3f}s"
                f" ({size / on:,.0f} ops/sec); the pause saves {1 - p['batch_s'] / on:.0%}"
            )
        if key == "insert":
            per = p["commit_every_500_s"]
            lines.append(
                f"  Batch committing every 500 rows: {per:.3f}s ({size / per:,.0f} ops/sec);"
                f" {per / p['batch_s']:.1f}x slower than one transaction"
            )
        lines.append("")
    lines.append(f"Overall Speedup: {results['overall_speedup']:.1f}x")
    lines.append(
        f"(sequential timed on {results['sequential_rows']:,} rows; batch and bare:"
        f" best of {results['repeat']})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="MEDIUM", type=str.upper)
    parser.add_argument("--repeat", type=int, default=3, help="batch runs; the best counts")
    parser.add_argument(
        "--sequential-rows", type=int, default=10_000, help="rows for the single-row methods"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: a temp dir)")
    parser.add_argument(
        "--db",
        help="a postgresql:// URL: benchmark a PostgreSQL catalog there (fresh schemas, "
        "dropped after) instead of SQLite files",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="mt-bench-") as tmp:
        results = run(SIZES[args.size], args.repeat, args.sequential_rows, Path(tmp), args.db)
    results["size_name"] = args.size
    results["python"] = sys.version.split()[0]
    results["sqlite"] = sqlite3.sqlite_version
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
