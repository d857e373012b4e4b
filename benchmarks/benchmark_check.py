#!/usr/bin/env python3
"""Benchmark duplicate checking: 5,000 real new files against a 100,000-row library.

    python benchmarks/benchmark_check.py                 # --new 5000 --rows 100000 --json

The library holds --rows synthetic rows (realistic names spread over many artists, 5% of
songs also in a second format, 2% byte copies with their hashes cached) plus the real files
of SONGS songs in FLAC. The new files are real audio: byte copies and re-tagged copies of
the library's FLACs, MP3 and Vorbis transcodes of its songs with the same tags or with a
letter missing from the artist, and 67% files the library has never seen. Reported, from
one run, with a warm page cache:

- `DuplicateChecker(db, workers).check_files_batch(paths)` files/s, end to end (reading in
  the worker pool, the batched lookups, confirmation by full hashes, the verdicts), and the
  share of that time spent in database lookups;
- a bare `mutagen.File(path)` loop over the same files (one process), and the ratio;
- `find_duplicates` over the whole library, per kind (seconds);
- precision and recall per kind against the labels the corpus was built with;
- when fpcalc is installed, what fingerprints cost `check` of same-tag transcodes alone
  (only the audio can tell another take with the same tags apart, so each pair's two
  prints are wanted): fpcalc runs (counted by a wrapper that logs each call and runs the
  real fpcalc) and files/s, against a library whose prints are not made yet, the same
  check again (the library's prints kept by the first), a library fingerprinted
  beforehand by `index --fingerprint`'s own code, and without fpcalc (the baseline). This
  part has a corpus of its own, PRINT_SONGS music-like songs of PRINT_SECONDS: fpcalc
  prints nothing of a clip as short as the main corpus's (3 s), nor of a steady tone.
  `--fingerprints-only` runs it alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _harness import warm_page_cache
from music_tools.identity.fpcalc import DEFAULT_FPCALC, Fpcalc
from music_tools.identity.normalize import metadata_hash
from music_tools.index.fingerprinting import fingerprint_library
from music_tools.library import (
    DuplicateChecker,
    LibraryDatabase,
    LibraryFile,
    LibraryIndexer,
    find_duplicates,
)
from support.audio_factory import Tags, write_tags
from support.dupe_corpus import Label, encode, score
from support.music_factory import song, write_song

SONGS = 100
#: the fingerprint part's songs, each long enough for fpcalc to print (it needs about 10 s)
PRINT_SONGS = 30
PRINT_SECONDS = 20.0
SYLLABLES = "ka lo mi su ren dor vel ta nis bo qua zer lin fa go hu ex py ol an".split()  # noqa: SIM905


def _name(rng: random.Random, parts: int) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
        for _ in range(parts)
    )


def synthetic_rows(count: int) -> list[LibraryFile]:
    """Rows spread over count/20 artists; 5% of songs twice (mp3 and flac), 2% byte copies."""
    rng = random.Random(1)
    artists = [_name(rng, rng.randint(1, 2)) for _ in range(max(1, count // 20))]
    rows: list[LibraryFile] = []
    while len(rows) < count:
        i = len(rows)
        artist, title = rng.choice(artists), _name(rng, rng.randint(1, 4))
        row = LibraryFile(
            file_path=f"/synthetic/{artist}/{i:06d} {title}.flac",
            library_root="/synthetic",
            artist=artist,
            title=title,
            duration=rng.uniform(120, 420),
            bitrate=900,
            sample_rate=44_100,
            bits_per_sample=16,
            file_format="flac",
            is_lossless=True,
            file_size=rng.randint(10**7, 5 * 10**7),
            file_mtime_ns=1,
            metadata_hash=metadata_hash(artist, title),
            audio_key=f"xxh3:{rng.getrandbits(128):032x}",
            indexed_at=1.7e9 + i,
        )
        rows.append(row)
        if i % 20 == 0:  # the same song as an MP3
            rows.append(_variant(row, "mp3", len(rows), is_lossless=False, bitrate=320))
        elif i % 50 == 1:  # a byte copy, hashes already cached
            row.audio_hash = row.file_content_hash = f"{i:032x}"
            rows.append(_variant(row, "flac", len(rows)))
    return rows[:count]


def _variant(row: LibraryFile, fmt: str, i: int, **changes: Any) -> LibraryFile:
    values = {**{f: getattr(row, f) for f in row.__dataclass_fields__}, **changes}
    values.update(id=None, file_path=f"/synthetic/copies/{i:06d}.{fmt}", file_format=fmt)
    if fmt != "flac":
        values["audio_key"] = f"xxh3:{i:032x}"
    return LibraryFile(**values)


def build(root: Path, new_files: int) -> dict[str, Label]:
    """Real library FLACs and new files under root; returns the labels."""
    labels: dict[str, Label] = {}
    rng = random.Random(2)
    sources = []
    for n in range(SONGS):
        tags = Tags(artist=f"Real Artist {n}", title=f"Real Song {n}", mbid=None)
        flac = encode(root / "library" / f"{n:03d}.flac", "flac", n, 3.0)
        write_tags(flac, "flac", tags)
        mp3 = encode(root / "sources" / f"{n:03d}.mp3", "mp3", n, 3.0)
        ogg = encode(root / "sources" / f"{n:03d}.ogg", "ogg", n, 3.0)
        sources.append((flac, mp3, ogg, tags))
    for i in range(new_files):
        flac, mp3, ogg, tags = sources[i % SONGS]
        roll = rng.random()
        target = root / "new" / f"{i // 500:02d}" / f"{i:05d}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if roll < 0.1:
            path, kind, of = target.with_suffix(".flac"), "exact", flac
            shutil.copyfile(flac, path)
        else:
            source = {0: flac, 1: mp3, 2: ogg}[0 if roll < 0.2 else 1 + i % 2]
            path = target.with_suffix(source.suffix)
            shutil.copyfile(source, path)
            if roll < 0.2:
                kind, of = "same_audio", flac
                new_tags = Tags(artist=tags.artist, title=f"{tags.title} (Remastered)", mbid=None)
            elif roll < 0.3:
                kind, of, new_tags = "same_song", flac, tags
            elif roll < 0.33:  # a letter dropped from the artist
                kind, of = "fuzzy", flac
                new_tags = Tags(
                    artist=(tags.artist or "").replace("Artist", "Artst"),
                    title=tags.title,
                    mbid=None,
                )
            else:
                kind, of = None, None
                new_tags = Tags(artist=f"New Artist {i}", title=f"New Song {i}", mbid=None)
            write_tags(path, source.suffix[1:], new_tags)
        labels[str(path)] = Label(kind, str(of) if of else None, kind or "new")
    return labels


@contextlib.contextmanager
def timing_lookups(db: LibraryDatabase) -> Iterator[list[float]]:
    """The seconds `check_files_batch` spends in its batched library lookups, measured
    here by wrapping the lookup it calls on `db` (the library keeps no timings of its own)."""
    spent = [0.0]
    lookup = db.matching.files_by_keys

    def timed_lookup(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return lookup(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    db.matching.files_by_keys = timed_lookup  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        del db.matching.files_by_keys  # the class's method again


def timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def corpus(root: Path, new_files: int) -> dict[str, Label]:
    """The labelled new files under root (made once, kept for the next run)."""
    marker = root / f".complete-v2-{new_files}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "labels.json").write_text(
            json.dumps({p: [x.kind, x.of, x.case] for p, x in build(root, new_files).items()})
        )
        marker.touch()
    return {p: Label(*v) for p, v in json.loads((root / "labels.json").read_text()).items()}


def library(root: Path, rows: int, name: str = "library.db", songs: int = SONGS) -> Path:
    """A fresh library: the synthetic rows and the real FLACs indexed (no fingerprints)."""
    db_file = root / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    with LibraryDatabase(db_file) as db:
        db.batch_insert_files(synthetic_rows(max(0, rows - songs)))
        LibraryIndexer(db, workers=1).index([root / "library"])
    return db_file


def run(root: Path, new_files: int, rows: int, workers: int) -> dict[str, Any]:
    labels = corpus(root, new_files)
    paths = sorted(labels)
    db_file = library(root, rows)
    figures: dict[str, Any] = {"new_files": len(paths), "library_rows": rows, "workers": workers}
    with LibraryDatabase(db_file) as db:
        figures["library_rows"] = db.count_files()
        warm_page_cache([Path(p) for p in paths])
        bare_s, _ = timed(lambda: [mutagen.File(p) for p in paths])
        warm_page_cache([Path(p) for p in paths])
        checker = DuplicateChecker(db, workers=workers)
        with timing_lookups(db) as lookup_s:
            check_s, results = timed(lambda: checker.check_files_batch(paths))
        figures["check_files_per_s"] = round(len(paths) / check_s)
        figures["bare_mutagen_files_per_s"] = round(len(paths) / bare_s)
        figures["ratio"] = round(bare_s / check_s, 2)
        figures["lookup_share"] = round(lookup_s[0] / check_s, 3)
        found = {
            p: (r.kind, r.matched_file.file_path if r.matched_file else None)
            for p, r in results.items()
        }
        figures["accuracy"] = {
            kind: {
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "n": s.true_positives + s.false_negatives,
            }
            for kind, s in score(labels, found).items()
        }
        figures["find_duplicates_s"] = {}
        for kind in ("exact", "same_audio", "same_song", "fuzzy"):
            seconds, groups = timed(lambda kind=kind: list(find_duplicates(db, kinds=[kind])))
            figures["find_duplicates_s"][kind] = {
                "seconds": round(seconds, 3),
                "groups": len(groups),
            }
    return figures


def counting_fpcalc(folder: Path) -> tuple[str, Path]:
    """A wrapper of the real fpcalc that logs each fingerprinting call (not `-version`)."""
    real = DEFAULT_FPCALC.path()
    assert real is not None
    folder.mkdir(parents=True, exist_ok=True)
    calls, program = folder / "calls", folder / "fpcalc"
    program.write_text(
        f'#!/bin/sh\n[ "$1" = "-version" ] || echo x >> "{calls}"\nexec "{real}" "$@"\n'
    )
    program.chmod(0o755)
    return str(program), calls


def print_corpus(root: Path, songs: int) -> list[str]:
    """`songs` songs of PRINT_SECONDS as FLACs under root/library, and their same-tag MP3
    and Vorbis transcodes under root/new (made once, kept for the next run): the files."""
    marker = root / f".complete-{songs}-{PRINT_SECONDS:g}"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        for n in range(songs):
            tags = Tags(artist=f"Print Artist {n}", title=f"Print Song {n}", mbid=None)
            samples = song(1000 + n, PRINT_SECONDS)  # music: a steady tone prints as nothing
            for folder, fmt in (("library", "flac"), ("new", "mp3"), ("new", "ogg")):
                path = root / folder / f"{n:03d}.{fmt}"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_tags(write_song(path, samples, fmt), fmt, tags)
        marker.touch()
    return sorted(str(path) for path in (root / "new").iterdir())


def fingerprint_costs(
    root: Path, rows: int, workers: int, songs: int = PRINT_SONGS
) -> dict[str, Any]:
    """fpcalc runs and files/s of `check` over same-tag transcodes alone: against a
    library without prints (twice: the second check finds the library's prints the first
    kept), one fingerprinted beforehand, and without fpcalc."""
    root = root / "prints"
    paths = print_corpus(root, songs)
    program, calls = counting_fpcalc(root / "counting")
    figures: dict[str, Any] = {"files": len(paths), "seconds_each": PRINT_SECONDS}
    counting = Fpcalc(program)
    bare = library(root, rows, "bare.db", songs)
    fingerprinted = library(root, rows, "fingerprinted.db", songs)
    with LibraryDatabase(fingerprinted) as db:
        seconds, report = timed(lambda: fingerprint_library(db, workers, fpcalc=counting))
        figures["index_fingerprint"] = {"seconds": round(seconds, 2), "made": report.made}
    for name, db_file in (
        ("not_fingerprinted", bare),
        ("again", bare),
        ("fingerprinted", fingerprinted),
    ):
        figures[name] = _counted_check(db_file, paths, workers, calls, counting)
    figures["without_fpcalc"] = _counted_check(bare, paths, workers, calls, Fpcalc(""))
    return figures


def _counted_check(
    db_file: Path, paths: list[str], workers: int, calls: Path, fpcalc: Fpcalc
) -> dict[str, Any]:
    calls.write_text("")
    warm_page_cache([Path(p) for p in paths])
    with LibraryDatabase(db_file) as db:
        checker = DuplicateChecker(db, workers, fpcalc=fpcalc)
        seconds, results = timed(lambda: checker.check_files_batch(paths))
    return {
        "fpcalc_runs": len(calls.read_text().splitlines()),
        "files_per_s": round(len(paths) / seconds, 1),
        "same_song": sum(r.kind == "same_song" for r in results.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", type=int, default=5_000, help="new files to check")
    parser.add_argument("--rows", type=int, default=100_000, help="library rows")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--corpus", type=Path, default=Path(tempfile.gettempdir()) / "mt-check-corpus"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--fingerprints-only",
        action="store_true",
        help="only what fingerprints cost checking same-tag transcodes",
    )
    args = parser.parse_args()
    if args.fingerprints_only:
        figures: dict[str, Any] = {"workers": args.workers}
    else:
        figures = run(args.corpus, args.new, args.rows, args.workers)
    if DEFAULT_FPCALC.path() is not None:
        figures["fingerprints"] = fingerprint_costs(args.corpus, args.rows, args.workers)
    if args.json:
        print(json.dumps(figures))
        return
    if not args.fingerprints_only:
        print_figures(figures)
    if "fingerprints" in figures:
        print_fingerprint_costs(figures["fingerprints"])


def print_figures(figures: dict[str, Any]) -> None:
    print(
        f"{figures['new_files']:,} new files against {figures['library_rows']:,} rows, "
        f"{figures['workers']} workers"
    )
    print(
        f"check: {figures['check_files_per_s']:,} files/s "
        f"(lookups {figures['lookup_share']:.1%} of the time); bare mutagen.File loop: "
        f"{figures['bare_mutagen_files_per_s']:,} files/s; ratio {figures['ratio']}x"
    )
    for kind, result in figures["find_duplicates_s"].items():
        print(f"find_duplicates {kind:<10} {result['seconds']:.3f} s, {result['groups']:,} groups")
    for kind, result in figures["accuracy"].items():
        print(
            f"{kind:<10} precision {result['precision']:.3f} recall {result['recall']:.3f} "
            f"(n={result['n']})"
        )


def print_fingerprint_costs(costs: dict[str, Any]) -> None:
    print(
        f"check of {costs['files']:,} same-tag transcodes of {costs['seconds_each']:g} s "
        f"(fpcalc installed); the library fingerprinted beforehand in "
        f"{costs['index_fingerprint']['seconds']} s ({costs['index_fingerprint']['made']:,} "
        "prints):"
    )
    for name, text in (
        ("not_fingerprinted", "library not fingerprinted"),
        ("again", "the same check again (prints kept)"),
        ("fingerprinted", "library fingerprinted by index --fingerprint"),
        ("without_fpcalc", "without fpcalc (baseline)"),
    ):
        result = costs[name]
        print(
            f"  {text:<46} {result['fpcalc_runs']:>6,} fpcalc runs, "
            f"{result['files_per_s']:>8,.1f} files/s, {result['same_song']:,} same_song"
        )


if __name__ == "__main__":
    main()
