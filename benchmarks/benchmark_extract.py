#!/usr/bin/env python3
"""Benchmark music_tools.extract against a bare mutagen.File loop, per format.

    python benchmarks/benchmark_extract.py            # 100 files per format
    python benchmarks/benchmark_extract.py --files 500 --json

For each format: files/s of our `extract` (tags, properties, metadata_hash, audio_key), files/s
of a bare `mutagen.File(path)` loop over the same files in the same run, their ratio, bytes
read per file by our default path, and the bytes it reads from one large (about 10 MB) file
where this machine can make one of that format. The corpus is generated once (real audio from
tests/audio_factory.py) under --corpus and reused. Every file is re-read right before each
timed pass, so both sides run on a warm page cache; each figure is the best of --repeat passes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import bytes_read_so_far, warm_page_cache
from audio_factory import ALL_FORMATS, SAMPLE_FORMATS, Tags, file_name, make_audio
from music_tools import extract

#: seconds of audio per corpus file: long enough that each file is a few hundred KB, so the
#: key's first and last 64 KiB are separate reads, as they are in a real collection
SECONDS = {"mp3": 20, "ogg": 20, "opus": 20, "flac": 4, "wav": 2, "aiff": 2, "dsf": 1, "ape": 30}
#: seconds of audio for the large file of each format we can write at that size (~10 MB)
LARGE_SECONDS = {
    "wav": 60,
    "aiff": 60,
    "flac": 75,
    "mp3": 560,
    "ogg": 650,
    "opus": 640,
    "dsf": 14,
    "ape": 120,
}


def build_corpus(root: Path, files: int, formats: Sequence[str]) -> dict[str, list[Path]]:
    corpus: dict[str, list[Path]] = {}
    for fmt in formats:
        folder = root / fmt
        seconds = SECONDS.get(fmt, 1.0)  # committed samples are what they are (~0.6 s)
        marker = folder / f".complete-{files}-{seconds}"
        paths = [
            folder / file_name(fmt, f"{i:04d} - Artist {i % 7} - Title {i}") for i in range(files)
        ]
        if not marker.exists():
            folder.mkdir(parents=True, exist_ok=True)
            for i, path in enumerate(paths):
                tags = Tags(artist=f"Artist {i % 7}", title=f"Title {i}", album=f"Album {i % 11}")
                make_audio(path, fmt, seed=i, seconds=seconds, tags=tags, picture=i % 3 == 0)
            marker.touch()
        corpus[fmt] = paths
    return corpus


def build_large(root: Path, formats: Sequence[str]) -> dict[str, Path]:
    large = {}
    for fmt, seconds in LARGE_SECONDS.items():
        if fmt not in formats:
            continue
        path = root / "large" / file_name(fmt)
        if not path.exists():
            make_audio(path, fmt, seed=1, seconds=seconds, tags=Tags(), picture=True)
        large[fmt] = path
    return large


def _rate(paths: Sequence[Path], action: Callable[[str], object], repeat: int) -> float:
    best = float("inf")
    names = [str(p) for p in paths]
    for _ in range(repeat):
        warm_page_cache(paths)
        start = time.perf_counter()
        for name in names:
            action(name)
        best = min(best, time.perf_counter() - start)
    return len(paths) / best


def _bytes_per_file(paths: Sequence[Path]) -> float:
    before = bytes_read_so_far()
    for path in paths:
        extract(path)
    return (bytes_read_so_far() - before) / len(paths)


def run(corpus_root: Path, files: int, repeat: int, formats: Sequence[str]) -> dict[str, Any]:
    corpus = build_corpus(corpus_root, files, formats)
    large = build_large(corpus_root, formats)
    results: dict[str, Any] = {"files_per_format": files, "repeat": repeat, "formats": {}}
    for fmt, paths in corpus.items():
        ours = _rate(paths, extract, repeat)
        bare = _rate(paths, mutagen.File, repeat)
        row: dict[str, Any] = {
            "ours_files_s": ours,
            "bare_mutagen_files_s": bare,
            "ratio": ours / bare,
            "bytes_read_per_file": _bytes_per_file(paths),
            "mean_file_size": sum(p.stat().st_size for p in paths) / len(paths),
        }
        if fmt in large:
            row["large_file_size"] = large[fmt].stat().st_size
            row["large_file_bytes_read"] = _bytes_per_file([large[fmt]])
        results["formats"][fmt] = row
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        f"extract vs bare mutagen.File, {results['files_per_format']} files per format "
        f"(best of {results['repeat']}, warm cache)",
        "",
        f"{'format':8} {'ours files/s':>13} {'bare files/s':>13} {'ratio':>6} "
        f"{'file size':>10} {'read/file':>10} {'large file':>11} {'read from it':>13}",
    ]
    for fmt, row in results["formats"].items():
        large = (
            f"{row['large_file_size'] / 1e6:9.1f}MB {row['large_file_bytes_read'] / 1024:10.0f}KiB"
            if "large_file_size" in row
            else f"{'-':>11} {'-':>13}"
        )
        note = " (committed sample)" if fmt in SAMPLE_FORMATS else ""
        lines.append(
            f"{fmt:8} {row['ours_files_s']:13,.0f} {row['bare_mutagen_files_s']:13,.0f} "
            f"{row['ratio']:5.2f}x {row['mean_file_size'] / 1024:7.0f}KiB "
            f"{row['bytes_read_per_file'] / 1024:7.1f}KiB {large}{note}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100, help="files per format")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/bench-extract"))
    parser.add_argument("--formats", nargs="*", choices=ALL_FORMATS, help="default: all")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.corpus, args.files, args.repeat, args.formats or ALL_FORMATS)
    results["python"] = sys.version.split()[0]
    results["mutagen"] = mutagen.version_string
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
