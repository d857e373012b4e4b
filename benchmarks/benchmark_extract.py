#!/usr/bin/env python3
"""Benchmark music_tools.extract against a bare mutagen.File loop, per format.

    python benchmarks/benchmark_extract.py            # 100 files per format
    python benchmarks/benchmark_extract.py --files 500 --json
    python benchmarks/benchmark_extract.py --realistic 40 --formats mp3 flac wav m4a alac

For each format: files/s of our `extract` (tags, properties, metadata_hash, audio_key) through
the lean readers (`fast`), the same `extract` forced through mutagen (`fast_read=False`, as
MUSIC_TOOLS_FAST_READ=0 does for the command line), and a bare `mutagen.File(path)` loop over
the same files in the same run; the ratios to bare;
the share of files the lean readers stepped aside from (read by mutagen instead); bytes read
per file by our default path, and the bytes it reads from one large (about 10 MB) file where
this machine can make one of that format. `--realistic N` measures instead N files per format
of realistic size (3-4 MB of audio, full tags, a 150 KB cover picture): copies of one encoded
file, each tagged anew; M4A (AAC and ALAC) and MP3 are encoded by ffmpeg (its native `aac`,
`alac` and `libmp3lame` encoders), which --realistic requires for M4A.
The corpus is generated once (real audio from tests/support/audio_factory.py) under --corpus and
reused. The three loops are interleaved, each pass right after every file is re-read (a warm
page cache); each figure is the median of --repeat passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import bytes_read_so_far, warm_page_cache
from music_tools import extract
from music_tools.formats.sniff import sniff
from music_tools.read.extract import lean_kind, read_lean
from support.audio_factory import (
    ALL_FORMATS,
    SAMPLE_FORMATS,
    Tags,
    encode_with_ffmpeg,
    ffmpeg_encoders,
    file_name,
    make_audio,
    write_tags,
)

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

#: seconds of audio per realistic file (3-4 MB); m4a, alac and mp3 (at 192 kbps) by ffmpeg
REALISTIC_SECONDS = {"mp3": 160, "flac": 25, "wav": 20, "aiff": 20, "m4a": 160, "alac": 25}
#: without ffmpeg's LAME, soundfile's MP3 (a lower bitrate) needs longer audio for 3-4 MB
SOUNDFILE_MP3_SECONDS = 200
COVER_BYTES = 150_000


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


def build_realistic(root: Path, files: int, formats: Sequence[str]) -> dict[str, list[Path]]:
    """`files` copies per format of one realistic file, each with its own tags and cover."""
    cover = random.Random(5).randbytes(COVER_BYTES)
    encoders = ffmpeg_encoders()
    corpus: dict[str, list[Path]] = {}
    for fmt in formats:
        if fmt not in REALISTIC_SECONDS:
            continue
        if fmt in ("m4a", "alac") and fmt not in encoders:
            raise SystemExit(f"--realistic {fmt} needs ffmpeg and its encoder (apt install ffmpeg)")
        encoder = "ffmpeg" if fmt in encoders else "soundfile"
        folder = root / "realistic" / fmt
        marker = folder / f".complete-{files}-{encoder}"
        paths = [
            folder / file_name(fmt, f"{i:04d} - Artist {i % 7} - Title {i}") for i in range(files)
        ]
        if not marker.exists():
            base = folder / "base" / file_name(fmt)
            if encoder == "ffmpeg":
                encode_with_ffmpeg(base, fmt, seconds=REALISTIC_SECONDS[fmt])
            else:
                seconds = SOUNDFILE_MP3_SECONDS if fmt == "mp3" else REALISTIC_SECONDS[fmt]
                make_audio(base, fmt, seconds=seconds)
            for i, path in enumerate(paths):
                shutil.copyfile(base, path)
                tags = Tags(artist=f"Artist {i % 7}", title=f"Title {i}", album=f"Album {i % 11}")
                write_tags(path, fmt, tags, picture=True, cover=cover)
            marker.touch()
        corpus[fmt] = paths
    return corpus


def _mutagen_path(name: str) -> object:
    return extract(name, fast_read=False)


def _rates(
    paths: Sequence[Path], actions: dict[str, Callable[[str], object]], repeat: int
) -> dict[str, float]:
    """files/s of each action, interleaved pass by pass on a freshly warmed cache; the median
    pass (the machine is shared: the best pass flatters whichever loop ran in a quiet spell)."""
    seconds: dict[str, list[float]] = {label: [] for label in actions}
    names = [str(p) for p in paths]
    for _ in range(repeat):
        for label, action in actions.items():
            warm_page_cache(paths)
            start = time.perf_counter()
            for name in names:
                action(name)
            seconds[label].append(time.perf_counter() - start)
    return {label: len(paths) / statistics.median(times) for label, times in seconds.items()}


def _fell_back(paths: Sequence[Path]) -> float | None:
    """The share of files the lean readers stepped aside from (None: no lean reader)."""
    tried = [p for p in paths if lean_kind(sniff(p.read_bytes()[:64]), p.suffix.lower())]
    return sum(read_lean(p) is None for p in tried) / len(tried) if tried else None


def _bytes_per_file(paths: Sequence[Path]) -> float:
    before = bytes_read_so_far()
    for path in paths:
        extract(path)
    return (bytes_read_so_far() - before) / len(paths)


def run(
    corpus_root: Path, files: int, repeat: int, formats: Sequence[str], realistic: int = 0
) -> dict[str, Any]:
    if realistic:
        corpus, large = build_realistic(corpus_root, realistic, formats), {}
    else:
        corpus, large = build_corpus(corpus_root, files, formats), build_large(corpus_root, formats)
    results: dict[str, Any] = {
        "files_per_format": realistic or files,
        "realistic": bool(realistic),
        "repeat": repeat,
        "formats": {},
    }
    actions = {"fast": extract, "mutagen_path": _mutagen_path, "bare": mutagen.File}
    for fmt, paths in corpus.items():
        rates = _rates(paths, actions, repeat)
        row: dict[str, Any] = {
            "ours_files_s": rates["fast"],
            "mutagen_path_files_s": rates["mutagen_path"],
            "bare_mutagen_files_s": rates["bare"],
            "ratio": rates["fast"] / rates["bare"],
            "mutagen_path_ratio": rates["mutagen_path"] / rates["bare"],
            "fell_back": _fell_back(paths),
            "bytes_read_per_file": _bytes_per_file(paths),
            "mean_file_size": sum(p.stat().st_size for p in paths) / len(paths),
        }
        if fmt in large:
            row["large_file_size"] = large[fmt].stat().st_size
            row["large_file_bytes_read"] = _bytes_per_file([large[fmt]])
        results["formats"][fmt] = row
    return results


def render(results: dict[str, Any]) -> str:
    kind = "realistic (3-4 MB, 150 KB cover) " if results.get("realistic") else ""
    lines = [
        f"extract vs bare mutagen.File, {results['files_per_format']} {kind}files per format "
        f"(median of {results['repeat']}, interleaved, warm cache)",
        "",
        f"{'format':8} {'fast files/s':>13} {'mutagen path':>13} {'bare files/s':>13} {'ratio':>6} "
        f"{'(mutagen)':>9} {'fell back':>9} {'file size':>10} {'read/file':>10} "
        f"{'large file':>11} {'read from it':>13}",
    ]
    for fmt, row in results["formats"].items():
        large = (
            f"{row['large_file_size'] / 1e6:9.1f}MB {row['large_file_bytes_read'] / 1024:10.0f}KiB"
            if "large_file_size" in row
            else f"{'-':>11} {'-':>13}"
        )
        sample = fmt in SAMPLE_FORMATS and not results.get("realistic")
        note = " (committed sample)" if sample else ""
        fell_back = "-" if row["fell_back"] is None else f"{row['fell_back']:.0%}"
        lines.append(
            f"{fmt:8} {row['ours_files_s']:13,.0f} {row['mutagen_path_files_s']:13,.0f} "
            f"{row['bare_mutagen_files_s']:13,.0f} {row['ratio']:5.2f}x "
            f"{row['mutagen_path_ratio']:8.2f}x {fell_back:>9} "
            f"{row['mean_file_size'] / 1024:7.0f}KiB "
            f"{row['bytes_read_per_file'] / 1024:7.1f}KiB {large}{note}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100, help="files per format")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/bench-extract"))
    parser.add_argument("--formats", nargs="*", choices=ALL_FORMATS, help="default: all")
    parser.add_argument(
        "--realistic", type=int, default=0, metavar="N", help="N realistic files per format instead"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.corpus, args.files, args.repeat, args.formats or ALL_FORMATS, args.realistic)
    results["python"] = sys.version.split()[0]
    results["mutagen"] = mutagen.version_string
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
