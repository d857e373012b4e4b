#!/usr/bin/env python3
"""Benchmark `music-tools index` against a bare pipeline on the same files, in one run.

    python benchmarks/benchmark_index.py --files 20000
    python benchmarks/benchmark_index.py --files 100000 --json
    python benchmarks/benchmark_index.py --files 20000 --db postgresql://u:pw@host/db

The corpus (mixed formats of real audio from tests/support/audio_factory.py, 1% of them 3-4 MB
FLAC, WAV, MP3 and AAC M4A files, the M4A made by ffmpeg) is generated once under --corpus:
a set of distinct files, then copies of it into numbered folders up to --files. Reported,
from one run, each cold figure on a fresh database and a warm page cache (every file is
re-read right before each timed pass); the first index runs --repeat times on each side, in
interleaved pairs, and the medians are compared (a run of two seconds on a shared machine
moves by a quarter from one pass to the next):

- cold index files/s of `music-tools index` (a subprocess, as a user runs it; the time is
  the indexer's own, without interpreter start-up) with 1 and with N workers, and the same
  for a bare pipeline over the same files: os.walk + mutagen.File + executemany into SQLite
  in one process pool of the same size, with no identity keys; their ratio;
- an unchanged rescan against a bare os.scandir walk that stats every file;
- a rescan after 1% of the files changed (their mtime moved);
- the indexer's peak RSS (its own process; workers are smaller) and bytes read per file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import bytes_read_so_far, warm_page_cache
from support.audio_factory import (
    ALL_FORMATS,
    Tags,
    encode_with_ffmpeg,
    ffmpeg_encoders,
    file_name,
    make_audio,
    write_tags,
)

DISTINCT = 2_000
#: seconds: 3-4 MB each; the M4A (AAC, 192 kbps) made by ffmpeg, which this benchmark needs
LARGE = {"flac": 25.0, "wav": 20.0, "mp3": 180.0, "m4a": 160.0}


def build_distinct(root: Path) -> list[Path]:
    """The DISTINCT generated files (1% large), made once under `root`/base."""
    base = root / "base"
    marker = base / ".complete"
    if not marker.exists():
        if "m4a" not in ffmpeg_encoders():
            raise SystemExit("the corpus's large M4A files need ffmpeg (apt install ffmpeg)")
        shutil.rmtree(base, ignore_errors=True)
        rng = random.Random(7)
        for i in range(DISTINCT):
            large = i % 100 == 0
            fmt = list(LARGE)[i // 100 % len(LARGE)] if large else ALL_FORMATS[i % len(ALL_FORMATS)]
            seconds = LARGE[fmt] if large else rng.uniform(0.2, 0.6)
            tags = Tags(artist=f"Artist {i % 97}", title=f"Song {i}", album=f"Album {i % 211}")
            folder = base / f"Artist {i % 97}" / f"Album {i % 211}"
            path = folder / file_name(fmt, f"{i:05d} Song {i}")
            if large and fmt == "m4a":
                encode_with_ffmpeg(path, fmt, seed=i, seconds=seconds)
                write_tags(path, fmt, tags, picture=i % 5 == 0)
            else:
                make_audio(path, fmt, seed=i, seconds=seconds, tags=tags, picture=i % 5 == 0)
        marker.touch()
    return sorted(p for p in base.rglob("*") if p.is_file() and p.name != ".complete")


def build_corpus(root: Path, files: int) -> list[Path]:
    """`files` paths: the distinct files and copies of them."""
    base = root / "base"
    originals = build_distinct(root)
    library = root / f"library-{files}"
    if not (library / ".complete").exists():
        shutil.rmtree(library, ignore_errors=True)
        for copy in range(-(-files // len(originals))):
            for path in originals[: files - copy * len(originals)]:
                target = library / f"copy{copy:02d}" / path.relative_to(base)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        (library / ".complete").touch()
    return sorted(p for p in library.rglob("*") if p.is_file() and p.name != ".complete")


_RUN_CLI = """
import sys
from music_tools.cli import cli
try:
    cli.main(args=sys.argv[1:])
except SystemExit as exit:
    code = exit.code
finally:
    # VmHWM, unlike ru_maxrss, starts afresh at exec: the peak of this process alone.
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"peak-rss-kib: {peak}", file=sys.stderr)
sys.exit(code)
"""


def fresh_catalog(url: str, name: str) -> str:
    """A URL of `url`'s server whose tables live in a new, empty schema `name`."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{name}"


def drop_catalogs(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        schemas = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (f"bench_index_{os.getpid()}_%",),
        ).fetchall()
        for (name,) in schemas:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def run_index(db: Path | str, root: Path, workers: int) -> tuple[dict[str, Any], int]:
    """`music-tools index --json` in a subprocess: (its report, its peak RSS in KiB)."""
    command = [
        sys.executable,
        "-c",
        _RUN_CLI,
        "index",
        "--db",
        str(db),
        str(root),
        "--json",
        "--workers",
        str(workers),
    ]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"index failed: {done.stderr.decode()}")
    peak = done.stderr.decode().strip().splitlines()[-1]
    return json.loads(done.stdout), int(peak.split()[-1])


def _first(tags: Any, *keys: str) -> str | None:
    for key in keys:
        try:
            value = tags.get(key) if tags is not None else None
        except Exception:
            value = None
        if hasattr(value, "text"):  # an ID3 frame
            value = value.text
        if isinstance(value, list) and value:
            return str(value[0])
    return None


def _bare_read(paths: list[str]) -> list[tuple[Any, ...]]:
    """What a plain indexer does per file: mutagen.File and a few tags, no keys."""
    rows = []
    for path in paths:
        try:
            audio = mutagen.File(path)
        except Exception:
            continue
        if audio is None:
            continue
        tags, info = audio.tags, audio.info
        rows.append(
            (
                path,
                _first(tags, "artist", "TPE1"),
                _first(tags, "title", "TIT2"),
                _first(tags, "album", "TALB"),
                getattr(info, "length", None),
                getattr(info, "bitrate", None),
                os.path.getsize(path),
            )
        )
    return rows


def bare_pipeline(root: Path, db: Path | str, workers: int) -> float:
    """os.walk + mutagen.File + executemany (or, for a PostgreSQL URL, psycopg COPY), in a
    pool like ours; returns seconds."""
    start = time.perf_counter()
    paths = [
        os.path.join(d, f) for d, _, names in os.walk(root) for f in names if not f.startswith(".")
    ]
    chunks = [paths[i : i + 64] for i in range(0, len(paths), 64)]
    if isinstance(db, str):
        return _bare_postgres(db, chunks, workers, start)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE files (path TEXT PRIMARY KEY, artist, title, album, length, bitrate, size)"
    )
    insert = "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)"
    conn.execute("BEGIN")
    if workers == 1:
        for chunk in chunks:
            conn.executemany(insert, _bare_read(chunk))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for rows in pool.map(_bare_read, chunks):
                conn.executemany(insert, rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - start


def _bare_postgres(url: str, chunks: list[list[str]], workers: int, start: float) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE files (path BYTEA PRIMARY KEY, artist TEXT, title TEXT, album TEXT, "
            "length DOUBLE PRECISION, bitrate BIGINT, size BIGINT)"
        )
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy("COPY files FROM STDIN") as copy,
        ):
            if workers == 1:
                results: Any = map(_bare_read, chunks)
            else:
                context = multiprocessing.get_context("spawn")
                pool = ProcessPoolExecutor(workers, mp_context=context)
                results = pool.map(_bare_read, chunks)
            for rows in results:
                for path, *rest in rows:
                    copy.write_row((os.fsencode(path), *rest))
            if workers != 1:
                pool.shutdown()
    return time.perf_counter() - start


def bare_walk(root: Path) -> float:
    start = time.perf_counter()
    stack, count = [str(root)], 0
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return time.perf_counter() - start


def bytes_read_per_file(root: Path, paths: Sequence[Path], workdir: Path) -> float:
    from music_tools.library import LibraryDatabase, LibraryIndexer

    sample = workdir / "sample"
    for path in paths[:: max(1, len(paths) // 500)]:
        target = sample / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    with LibraryDatabase(workdir / "bytes.db") as db:
        before = bytes_read_so_far()
        report = LibraryIndexer(db, 1).index([sample])
        return (bytes_read_so_far() - before) / max(1, report.new)


def run(
    files: int, workers: int, corpus: Path, url: str | None = None, repeat: int = 3
) -> dict[str, Any]:
    paths = build_corpus(corpus, files)
    root = corpus / f"library-{files}"
    total_bytes = sum(p.stat().st_size for p in paths)
    result: dict[str, Any] = {"files": len(paths), "bytes": total_bytes, "workers": workers}
    result["repeat"] = repeat
    result["store"] = "postgresql" if url else "sqlite"
    try:
        with tempfile.TemporaryDirectory(prefix="mt-bench-index-") as tmp:
            _run(result, paths, root, workers, Path(tmp), url, repeat)
    finally:
        if url:
            drop_catalogs(url)
    return result


def _run(
    result: dict[str, Any],
    paths: list[Path],
    root: Path,
    workers: int,
    work: Path,
    url: str | None,
    repeat: int,
) -> None:
    def target(name: str) -> Path | str:
        if url:
            return fresh_catalog(url, f"bench_index_{os.getpid()}_{name.replace('-', '_')}")
        return work / f"{name}.db"

    total_bytes = result["bytes"]
    ours: dict[int, Path | str] = {}
    for n in sorted({1, workers}):
        reports, rss_peaks, bare_times = [], [], []
        for attempt in range(repeat):  # pairs interleaved: this machine's speed drifts
            warm_page_cache(paths)
            ours[n] = target(f"ours-{n}-{attempt}")
            report, rss = run_index(ours[n], root, n)
            reports.append(report)
            rss_peaks.append(rss)
            warm_page_cache(paths)
            bare_times.append(bare_pipeline(root, target(f"bare-{n}-{attempt}"), n))
        ours_s = statistics.median(r["elapsed_s"] for r in reports)
        bare_s = statistics.median(bare_times)
        result[f"cold_{n}"] = {
            "ours_files_s": len(paths) / ours_s,
            "ours_s": ours_s,
            "bare_files_s": len(paths) / bare_s,
            "bare_s": bare_s,
            "ratio": bare_s / ours_s,
            "pair_ratios": [b / r["elapsed_s"] for r, b in zip(reports, bare_times, strict=True)],
            "peak_rss_mib": max(rss_peaks) / 1024,
            "new": reports[-1]["new"],
            "errors": reports[-1]["errors"],
        }
    db = ours[workers]
    warm_page_cache(paths)
    rescan, rescan_rss = run_index(db, root, workers)
    walk_s = min(bare_walk(root) for _ in range(3))
    result["unchanged_rescan"] = {
        "ours_files_s": rescan["files_per_s"],
        "ours_s": rescan["elapsed_s"],
        "bare_walk_files_s": len(paths) / walk_s,
        "ratio": rescan["files_per_s"] / (len(paths) / walk_s),
        "peak_rss_mib": rescan_rss / 1024,
        "unchanged": rescan["unchanged"],
    }
    changed = random.Random(1).sample(paths, max(1, len(paths) // 100))
    now = time.time_ns()
    for path in changed:
        os.utime(path, ns=(now, now))
    warm_page_cache(paths)
    after, _ = run_index(db, root, workers)
    result["rescan_after_1pct_changed"] = {
        "changed": len(changed),
        "updated": after["updated"],
        "ours_s": after["elapsed_s"],
        "ours_files_s": after["files_per_s"],
    }
    result["bytes_read_per_file"] = bytes_read_per_file(root, paths, work)
    result["mean_file_size"] = total_bytes / len(paths)


def render(r: dict[str, Any]) -> str:
    store = "PostgreSQL" if r.get("store") == "postgresql" else "SQLite"
    bare = "COPY" if r.get("store") == "postgresql" else "executemany"
    lines = [
        f"index benchmark: {r['files']:,} files, {r['bytes'] / 1e9:.2f} GB, "
        f"{os.cpu_count()} cores (warm page cache), into {store}",
        "",
    ]
    for key in sorted(k for k in r if k.startswith("cold_")):
        c = r[key]
        lines.append(
            f"cold index, {key[5:]} worker(s): {c['ours_files_s']:8,.0f} files/s "
            f"({c['ours_s']:.1f}s)"
            f" | bare walk+mutagen+{bare} {c['bare_files_s']:8,.0f} files/s"
            f" | ratio {c['ratio']:.2f}x | peak RSS {c['peak_rss_mib']:.0f} MiB"
        )
        if len(c.get("pair_ratios", ())) > 1:
            pairs = ", ".join(f"{x:.2f}x" for x in c["pair_ratios"])
            lines.append(
                f"    median of {len(c['pair_ratios'])} interleaved pairs; each pair: {pairs}"
            )
    u = r["unchanged_rescan"]
    lines.append(
        f"unchanged rescan:          {u['ours_files_s']:8,.0f} files/s ({u['ours_s']:.2f}s)"
        f" | bare scandir+stat walk {u['bare_walk_files_s']:8,.0f} files/s"
        f" | ratio {u['ratio']:.2f}x | peak RSS {u['peak_rss_mib']:.0f} MiB"
    )
    c1 = r["rescan_after_1pct_changed"]
    lines.append(
        f"rescan after 1% changed:   {c1['ours_s']:.2f}s, {c1['updated']:,} of "
        f"{c1['changed']:,} changed files re-read"
    )
    lines.append(
        f"bytes read per file (default path): {r['bytes_read_per_file'] / 1024:.0f} KiB "
        f"(mean file size {r['mean_file_size'] / 1024:.0f} KiB)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/bench-index"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--db",
        help="a postgresql:// URL: index into a PostgreSQL catalog there (fresh schemas, "
        "dropped after), the bare pipeline COPYing into the same server",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="first-index runs of each side, interleaved in pairs; the medians are compared",
    )
    args = parser.parse_args(argv)
    result = run(args.files, args.workers, args.corpus, args.db, max(1, args.repeat))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
