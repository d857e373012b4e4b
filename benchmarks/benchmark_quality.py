#!/usr/bin/env python3
"""Benchmark the quality verdict: its cost beside a bare decode, and its accuracy at size.

    python benchmarks/benchmark_quality.py                  # --files 8 --seconds 90 --rounds 5
    python benchmarks/benchmark_quality.py --corpus 200     # and score 200 files a class
    python benchmarks/benchmark_quality.py --skip-cost --corpus 600 --classes genuine dark

Part 1, cost: --files files of each kind, --seconds long (music-like, tests/quality's
signals): a 16-bit 44.1 kHz FLAC, a 16-bit FLAC made from a 128 kbps MP3, a 24-bit 96 kHz
FLAC, a 16-bit WAV and a 192 kbps MP3 (ffmpeg's libmp3lame), cached under
.cache/quality-bench. Timed in --rounds rounds of (bare, ours), the page cache warmed before
each pass: the bare pass opens each file with soundfile and reads the very frames the
verdict decodes (`decode_plan`: the same stretches, the same dtype); ours is `analyse(path)`.
Reported per kind and for all: files/s of each, the ratio of each round and their median;
and the CPU ms a file of each (this process's, by `time.process_time`: the machine is shared,
and CPU time carries less of the other processes' noise) with their ratio.

Part 2, accuracy (--corpus N): N files of every class of tests/support/quality_corpus.py
(genuine full-band, dark/vinyl/tape-like, lossless from MP3 128k/192k/V2 and AAC 128k,
upsampled, padded; 4 s each), each judged; reported: the verdicts by class, the recall and
precision of `lossy_source` on the lossy classes, how many genuine and dark files were called
lossy, and the recall of `upsampled` and `padded`.

Part 3, `index --quality` (--index N): N lossless files (--index-seconds long, half 16-bit
FLACs, half FLACs made from a 128 kbps MP3; cached) indexed once into a temporary SQLite
library; then, in --rounds rounds, a bare decode of the frames the verdict decodes (this
process, one file after another) beside the quality pass of `LibraryIndexer(quality=True)`
with each of --index-workers workers (the verdicts cleared before each pass): files/s of
each, as its summary reports them, and their ratio to the bare decode of the same round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import warm_page_cache
from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.quality import DEFAULT_SECONDS, analyse
from music_tools.quality.analyse import decode_plan
from support.quality_corpus import CLASSES, LOSSY_CLASSES, build, ffmpeg_missing, music

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "quality-bench"
KINDS = ("flac16", "flac16-from-mp3", "flac24-96k", "wav16", "mp3-192k")


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def _make(kind: str, seed: int, seconds: float, folder: Path) -> Path:
    source = folder / f"source-{seed}.flac"
    if kind == "flac24-96k":
        path = folder / f"{kind}-{seed}.flac"
        soundfile.write(path, music(seed, seconds, 96_000), 96_000, subtype="PCM_24")
        return path
    soundfile.write(source, music(seed, seconds), 44_100, subtype="PCM_16")
    if kind == "flac16":
        return source.rename(folder / f"{kind}-{seed}.flac")
    if kind == "wav16":
        path = folder / f"{kind}-{seed}.wav"
        _ffmpeg("-i", source, "-c:a", "pcm_s16le", path)
    elif kind == "mp3-192k":
        path = folder / f"{kind}-{seed}.mp3"
        _ffmpeg("-i", source, "-c:a", "libmp3lame", "-b:a", "192k", path)
    else:
        mp3, path = folder / f"tmp-{seed}.mp3", folder / f"{kind}-{seed}.flac"
        _ffmpeg("-i", source, "-c:a", "libmp3lame", "-b:a", "128k", mp3)
        _ffmpeg("-i", mp3, "-sample_fmt", "s16", path)
        mp3.unlink()
    source.unlink()
    return path


def make_files(count: int, seconds: float) -> dict[str, list[Path]]:
    """`count` files of each kind, `seconds` long, made once and cached."""
    folder = CACHE / f"{count}x{seconds:g}s"
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for number, kind in enumerate(KINDS):
        files[kind] = []
        for n in range(count):
            seed = 500 + 100 * number + n
            found = sorted(folder.glob(f"{kind}-{seed}.*"))
            files[kind].append(found[0] if found else _make(kind, seed, seconds, folder))
    return files


def bare_decode(paths: list[Path], seconds: float) -> tuple[float, float]:
    """Files/s and CPU ms a file of opening each file and reading the frames the verdict
    decodes."""
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with soundfile.SoundFile(path) as sound:
            plan, dtype = decode_plan(sound, seconds)
            for start, count in plan:
                sound.seek(start)
                sound.read(count, dtype=dtype, always_2d=True)
    return _rates(len(paths), started, cpu)


def ours(paths: list[Path], seconds: float) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        analyse(path, seconds=seconds)
    return _rates(len(paths), started, cpu)


def _rates(files: int, started: float, cpu: float) -> tuple[float, float]:
    """Files/s by the clock, and CPU ms a file (this process's own: on a shared machine
    it shows the cost with less of the other processes' noise)."""
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    return files / elapsed, 1000 * used / files


def part_cost(files: dict[str, list[Path]], seconds: float, rounds: int) -> dict[str, Any]:
    """Per kind and for all: `rounds` rounds of (bare, ours) in turn, so that a load that
    comes or goes on this shared machine falls on both sides of a round alike."""
    analyse(files[KINDS[0]][0], seconds=seconds)  # the imports, once
    result: dict[str, Any] = {}
    everything = [p for paths in files.values() for p in paths]
    for kind, paths in [*files.items(), ("all", everything)]:
        bare: list[tuple[float, float]] = []
        mine: list[tuple[float, float]] = []
        for _ in range(rounds):
            warm_page_cache(paths)
            bare.append(bare_decode(paths, seconds))
            warm_page_cache(paths)
            mine.append(ours(paths, seconds))
        ratios = sorted(m[0] / b[0] for m, b in zip(mine, bare, strict=True))
        cpu_ratios = sorted(b[1] / m[1] for m, b in zip(mine, bare, strict=True))
        result[kind] = {
            "files": len(paths),
            "bare_decode_files_per_s": [round(b[0], 1) for b in bare],
            "verdict_files_per_s": [round(m[0], 1) for m in mine],
            "ratios": [round(r, 3) for r in ratios],
            "median_ratio": round(statistics.median(ratios), 3),
            "bare_cpu_ms_per_file": round(statistics.median(b[1] for b in bare), 2),
            "verdict_cpu_ms_per_file": round(statistics.median(m[1] for m in mine), 2),
            "median_cpu_ratio": round(statistics.median(cpu_ratios), 3),
        }
    return result


def part_accuracy(per_class: int, folder: Path, classes: tuple[str, ...]) -> dict[str, Any]:
    started = time.perf_counter()
    corpus = build(folder, per_class, seconds=4.0, first_seed=10_000, classes=classes)
    built_s = time.perf_counter() - started
    verdicts = [(item.label, analyse(item.path).verdict) for item in corpus]
    by_class: dict[str, Counter[str]] = {}
    for label, verdict in verdicts:
        by_class.setdefault(label, Counter())[verdict] += 1
    lossy = [v for label, v in verdicts if label in LOSSY_CLASSES]
    called = [label for label, v in verdicts if v == "lossy_source"]
    found = sum(v == "lossy_source" for v in lossy)

    def share(label: str, verdict: str) -> float | None:
        counts = by_class.get(label)
        return round(counts[verdict] / sum(counts.values()), 4) if counts else None

    figures: dict[str, Any] = {
        "per_class": per_class,
        "build_s": round(built_s, 1),
        "verdicts": {label: dict(counts) for label, counts in by_class.items()},
    }
    if lossy:
        figures["lossy_source_recall"] = round(found / len(lossy), 4)
        figures["recall_by_class"] = {
            label: share(label, "lossy_source") for label in LOSSY_CLASSES if label in by_class
        }
    if called:
        precision = sum(label in LOSSY_CLASSES for label in called) / len(called)
        figures["lossy_source_precision"] = round(precision, 4)
    for name, label, verdict in [
        ("genuine_called_lossy", "genuine", "lossy_source"),
        ("genuine_unsure", "genuine", "unsure"),
        ("dark_called_lossy", "dark", "lossy_source"),
        ("dark_unsure", "dark", "unsure"),
        ("upsampled_recall", "upsampled", "upsampled"),
        ("padded_recall", "padded", "padded"),
    ]:
        if label in by_class:
            figures[name] = share(label, verdict)
    return figures


def make_lossless(count: int, seconds: float) -> list[Path]:
    """`count` lossless files, half genuine and half made from an MP3, made once."""
    folder = CACHE / f"index-{count}x{seconds:g}s"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        kind = ("flac16", "flac16-from-mp3")[n % 2]
        found = sorted(folder.glob(f"{kind}-{900 + n}.*"))
        paths.append(found[0] if found else _make(kind, 900 + n, seconds, folder))
    return paths


def part_index(count: int, seconds: float, rounds: int, workers: list[int]) -> dict[str, Any]:
    """`index --quality`'s pass beside a bare decode of the same frames, in each round."""
    paths = make_lossless(count, seconds)
    folder = Path(tempfile.mkdtemp(prefix="quality-index-"))
    result: dict[str, Any] = {"files": count, "seconds_long": seconds}
    try:
        with LibraryDatabase(folder / "lib.db") as db:
            LibraryIndexer(db, 1).index([paths[0].parent])
            bare: list[float] = []
            passes: dict[int, list[float]] = {w: [] for w in workers}
            for _ in range(rounds):
                warm_page_cache(paths)
                bare.append(bare_decode(paths, DEFAULT_SECONDS)[0])
                for count_workers in workers:
                    db.connection.execute("UPDATE library_index SET quality_version = NULL")
                    warm_page_cache(paths)
                    report = LibraryIndexer(db, count_workers, quality=True).index(
                        [paths[0].parent]
                    )
                    assert report.quality is not None and report.quality.done == count
                    passes[count_workers].append(report.quality.files_per_s)
        result["bare_decode_files_per_s"] = [round(b, 1) for b in bare]
        for count_workers, rates in passes.items():
            ratios = sorted(r / b for r, b in zip(rates, bare, strict=True))
            result[f"index_quality_{count_workers}w_files_per_s"] = [round(r, 1) for r in rates]
            result[f"index_quality_{count_workers}w_median_ratio"] = round(
                statistics.median(ratios), 3
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=8, help="files of each kind (cost)")
    parser.add_argument("--seconds", type=float, default=90.0, help="length of those files")
    parser.add_argument("--decode", type=float, default=DEFAULT_SECONDS, help="seconds judged")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of bare, ours")
    parser.add_argument("--corpus", type=int, default=0, help="files a class to score (0: no)")
    parser.add_argument(
        "--classes", nargs="+", choices=CLASSES, default=CLASSES, help="classes to score"
    )
    parser.add_argument("--index", type=int, default=0, help="files for index --quality (0: no)")
    parser.add_argument("--index-seconds", type=float, default=30.0, help="their length")
    parser.add_argument(
        "--index-workers", type=int, nargs="+", default=[1, 2], help="workers to time it with"
    )
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    missing = ffmpeg_missing()
    if missing is not None:
        sys.exit(missing)
    result: dict[str, Any] = {"cores": os.cpu_count(), "seconds_judged": args.decode}
    if not args.skip_cost:
        files = make_files(args.files, args.seconds)
        result["cost"] = part_cost(files, args.decode, args.rounds)
    if args.index:
        result["index"] = part_index(
            args.index, args.index_seconds, args.rounds, args.index_workers
        )
    if args.corpus:
        folder = Path(tempfile.mkdtemp(prefix="quality-corpus-"))
        try:
            result["accuracy"] = part_accuracy(args.corpus, folder, tuple(args.classes))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    for part, values in result.items():
        if not isinstance(values, dict):
            print(f"{part}: {values}")
            continue
        print(f"{part}:")
        for key, value in values.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
