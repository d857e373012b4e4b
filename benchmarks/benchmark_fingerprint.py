#!/usr/bin/env python3
"""Benchmark acoustic fingerprints: making them, and finding candidates among 100,000.

    python benchmarks/benchmark_fingerprint.py          # --songs 24 --rows 100000 --workers 2

Part 1, real files: --songs music-like songs of 3 to 5 minutes (tests/support/music_factory.py),
each as an MP3 (ffmpeg's libmp3lame, 192 kbps) and a FLAC, cached under
.cache/fingerprint-bench. They are indexed, then fingerprinted by `index --fingerprint`'s
own code (`fingerprint_library`, the worker pool, the writes and the term index included)
with --workers processes, beside a bare loop of `fpcalc -raw -length 120 FILE` over the same
files, --workers at a time, in the same run: --rounds rounds of (bare, ours), the ratio
of each round and their median. The accuracy of real fingerprints is the tests' job
(tests/dupes/test_recordings.py, whose labelled corpus this benchmark also scores).

Part 2, the index at size: --rows synthetic library rows, each with a synthetic
fingerprint of 969 random 32-bit values (120 s), stored through the same code; 1% of them
are other copies of another row (2% of bits flipped, shifted by up to 2 s), as planted
duplicates. Reported: storage per file (the fingerprint and the term index, from SQLite's
dbstat), the time of one candidate lookup (`candidates_by_terms` with a perturbed copy of a
stored fingerprint; median and 95th percentile of 200), and `find_duplicates(db,
["same_recording"])` over the whole library, with the planted pairs it found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import warm_page_cache
from music_tools.identity.fingerprint import ITEM_S, terms
from music_tools.identity.fpcalc import DEFAULT_FPCALC, fingerprinter
from music_tools.index.fingerprinting import fingerprint_library
from music_tools.library import LibraryDatabase, LibraryIndexer, find_duplicates
from music_tools.store.fingerprints import FingerprintRow
from support.factories import library_file
from support.music_factory import song, write_song

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "fingerprint-bench"
VALUES = 969  # 120 s at one value per 0.1238 s
RATE = 44_100


def make_songs(count: int) -> list[Path]:
    """MP3 and FLAC of `count` songs of 3-5 minutes, made once and cached."""
    folder = CACHE / f"{count}-songs"
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for n in range(count):
        seconds = 180 + (n * 37) % 121
        flac, mp3 = folder / f"song{n:02d}.flac", folder / f"song{n:02d}.mp3"
        if not (flac.exists() and mp3.exists()):
            write_song(flac, song(1000 + n, seconds), "flac")
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    flac,
                    "-c:a",
                    "libmp3lame",
                    "-b:a",
                    "192k",
                    mp3,
                ],
                check=True,
            )
        paths += [mp3, flac]
    return paths


def bare_fpcalc(paths: list[Path], workers: int) -> float:
    """Files/s of a bare fpcalc loop, `workers` processes at a time."""
    program = DEFAULT_FPCALC.path() or "fpcalc"

    def run(path: Path) -> None:
        subprocess.run([program, "-raw", "-length", "120", path], capture_output=True, check=False)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as threads:
        list(threads.map(run, paths))
    return len(paths) / (time.perf_counter() - started)


def ours(paths: list[Path], workers: int, folder: Path) -> float:
    """Files/s of fingerprint_library over freshly indexed rows of `paths`."""
    db_path = folder / f"real-{time.monotonic_ns()}.db"
    with LibraryDatabase(db_path) as db:
        LibraryIndexer(db, 1).index([paths[0].parent])
        started = time.perf_counter()
        report = fingerprint_library(db, workers)
        elapsed = time.perf_counter() - started
    assert report.made == len(paths) and not report.without, report
    return report.made / elapsed


def part_real(count: int, workers: int, folder: Path, rounds: int) -> dict[str, Any]:
    """`rounds` rounds of (bare loop, ours), in turn: the machine is shared, and a load
    that comes or goes then falls on both sides of a round alike."""
    paths = make_songs(count)
    bare: list[float] = []
    mine: list[float] = []
    for _ in range(rounds):
        warm_page_cache(paths)
        bare.append(bare_fpcalc(paths, workers))
        mine.append(ours(paths, workers, folder))
    ratios = sorted(m / b for m, b in zip(mine, bare, strict=True))
    return {
        "files": len(paths),
        "workers": workers,
        "bare_fpcalc_files_per_s": [round(b, 2) for b in bare],
        "fingerprint_library_files_per_s": [round(m, 2) for m in mine],
        "ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
    }


def _perturb(values: Any, rng: np.random.Generator, shift: int, flips: float) -> Any:
    """A copy as another encoding would give it: `flips` of the bits flipped, shifted."""
    lead = rng.integers(0, 2**32, max(0, -shift), dtype=np.uint32)
    copy = values[shift:].copy() if shift >= 0 else np.concatenate([lead, values])
    mask = np.zeros(copy.size, dtype=np.uint32)
    for bit in range(32):
        mask |= (rng.random(copy.size) < flips).astype(np.uint32) << np.uint32(bit)
    return (copy ^ mask)[:VALUES]


def build_index(db: LibraryDatabase, rows: int, seed: int = 5) -> dict[int, Any]:
    """`rows` library rows with synthetic fingerprints; returns the planted copies by id."""
    rng = np.random.default_rng(seed)
    algorithm = fingerprinter() or "chromaprint2/fpcalc ?"
    db.batch_insert_files(library_file(i) for i in range(rows))
    ids = [
        row_id for (row_id,) in db.connection.execute("SELECT id FROM library_index ORDER BY id")
    ]
    originals: dict[int, Any] = {}
    planted: dict[int, int] = {}
    lengths: dict[int, float] = {}
    batch: list[tuple[FingerprintRow, list[int]]] = []
    for i, row_id in enumerate(ids):
        if i % 100 == 99:  # a copy of an earlier row
            source = ids[i - 1 - int(rng.integers(0, 98))]
            shift = int(rng.integers(-16, 17))
            values = _perturb(originals[source], rng, shift, 0.02)
            planted[row_id] = source
            # the start cut (or silence added) shortens (or lengthens) the copy alike, so
            # its audio ends where the source's does, as same_recording asks
            lengths[i] = library_file(0).duration - shift * ITEM_S
        else:
            values = rng.integers(0, 2**32, VALUES, dtype=np.uint32)
            originals[row_id] = values
        data = values.astype("<u4").tobytes()
        size, mtime = 30_000_000 + i, 1_700_000_000_000_000_000 + i
        batch.append(
            (FingerprintRow(row_id, size, mtime, algorithm, 120.0, data, None), terms(data))
        )
        if len(batch) == 2_000:
            db.fingerprints.save(batch)
            batch = []
    db.fingerprints.save(batch)
    db.batch_update_files(library_file(i, duration=length) for i, length in lengths.items())
    return {"originals": originals, "planted": planted}


def _bytes_of(db: LibraryDatabase, names: tuple[str, ...]) -> int:
    marks = ", ".join("?" * len(names))
    query = f"SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ({marks})"
    return int(db.connection.execute(query, names).get)


def part_index(rows: int, folder: Path) -> dict[str, Any]:
    db_path = folder / "index.db"
    with LibraryDatabase(db_path) as db:
        started = time.perf_counter()
        made = build_index(db, rows)
        build_s = time.perf_counter() - started
        db.optimize()
        term_rows = db.connection.execute("SELECT count(*) FROM fingerprint_terms").get
        prints = _bytes_of(db, ("fingerprints",))
        index = _bytes_of(db, ("fingerprint_terms", "idx_fingerprint_terms_file"))
        rng = np.random.default_rng(9)
        originals = list(made["originals"].items())
        lookups: list[float] = []
        hits = 0
        for _ in range(200):
            row_id, values = originals[int(rng.integers(0, len(originals)))]
            query = _perturb(values, rng, int(rng.integers(-16, 17)), 0.02).astype("<u4").tobytes()
            started = time.perf_counter()
            found = db.fingerprints.candidates_by_terms(terms(query))
            lookups.append(time.perf_counter() - started)
            hits += bool(found) and found[0][0] == row_id
        started = time.perf_counter()
        groups = list(find_duplicates(db, ["same_recording"]))
        dupes_s = time.perf_counter() - started
    pairs = {(g.keeper.id, o.file.id) for g in groups for o in g.others}
    pairs |= {(b, a) for a, b in pairs}
    found_planted = sum((copy, source) in pairs for copy, source in made["planted"].items())
    lookups.sort()
    return {
        "rows": rows,
        "build_s": round(build_s, 1),
        "term_rows": term_rows,
        "term_rows_per_file": round(term_rows / rows, 1),
        "fingerprint_bytes_per_file": round(prints / rows),
        "term_index_bytes_per_file": round(index / rows),
        "lookup_ms_median": round(1000 * statistics.median(lookups), 2),
        "lookup_ms_p95": round(1000 * lookups[int(0.95 * len(lookups))], 2),
        "lookup_top_candidate_right": f"{hits}/200",
        "dupes_same_recording_s": round(dupes_s, 2),
        "groups": len(groups),
        "planted_pairs_found": f"{found_planted}/{len(made['planted'])}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=24, help="songs (an MP3 and a FLAC each)")
    parser.add_argument("--rows", type=int, default=100_000, help="fingerprints in the index")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare loop, ours")
    parser.add_argument("--skip-real", action="store_true", help="only the index at size")
    parser.add_argument("--skip-index", action="store_true", help="only the real files")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if DEFAULT_FPCALC.path() is None:
        sys.exit("fpcalc not found: apt install libchromaprint-tools")
    folder = Path(tempfile.mkdtemp(prefix="fp-bench-"))
    try:
        result: dict[str, Any] = {"cores": os.cpu_count()}
        if not args.skip_real:
            result["fingerprinting"] = part_real(args.songs, args.workers, folder, args.rounds)
            if not args.json:  # --json prints one object, at the end
                _show(result, as_json=False)
        if not args.skip_index:
            result["index"] = part_index(args.rows, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _show(result, args.json)


def _show(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    for part, values in result.items():
        if isinstance(values, dict):
            print(f"{part}:")
            for key, value in values.items():
                print(f"  {key}: {value}")


if __name__ == "__main__":
    random.seed(0)
    main()
