#!/usr/bin/env python3
"""A library of a million files: memory, streaming, cold and warm cache, the database's size.

    python benchmarks/benchmark_scale.py --files 1000000
    python benchmarks/benchmark_scale.py --files 100000 --json

The tree is built cheaply: the distinct real files of benchmark_index.py's corpus (every
format, 1% of them 3-4 MB), hard-linked into album folders of 10 files, 100 albums an
artist, as many copies as it takes; the disk holds the distinct files once. Reported from one
run, each timed figure beside a bare baseline measured in the same run:

- first index with 2 workers, cold page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`
  before each timed pass; needs root, else said and skipped) against a bare cold os.walk +
  mutagen.File loop over the same files in a pool of the same size; bytes read by each;
- first index, warm page cache, against the bare pipeline of benchmark_index.py (os.walk +
  mutagen.File + executemany in a pool of the same size);
- the peak memory of the whole run (the indexer and its workers, summed, sampled every
  50 ms), and when the first progress event arrived;
- an unchanged rescan against a bare scandir + stat walk; a rescan after 1% of the files
  changed, and after 1% moved to a new folder and 1% deleted (what it found, and the time);
- the database's size per row, and `stats`, `search` and `find_duplicates` on it;
- every incremental behaviour once at this size: broken files recorded, not re-read by an
  unchanged rescan and re-read once rewritten; deleted files coming back re-activated; an
  index killed with SIGKILL part-way, then finished by the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark_index import bare_pipeline, bare_walk, build_distinct

_ALBUM_FILES = 10
_ARTIST_ALBUMS = 100


def build_tree(corpus: Path, files: int) -> Path:
    """`files` hard links to the distinct corpus files, in album folders of ten."""
    originals = build_distinct(corpus)
    root = corpus / f"scale-{files}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for i in range(files):
        source = originals[i % len(originals)]
        album = i // _ALBUM_FILES
        folder = root / f"Artist {album // _ARTIST_ALBUMS:05d}" / f"Album {album:06d}"
        if i % _ALBUM_FILES == 0:
            folder.mkdir(parents=True)
        os.link(source, folder / f"{i % _ALBUM_FILES:02d} {source.name}")
    (root / ".complete").touch()
    return root


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def warm(root: Path) -> None:
    """Read every distinct file and list every folder, right before a warm pass."""
    seen: set[int] = set()
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            info = os.stat(path)
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                with open(path, "rb") as f:
                    while f.read(1 << 20):
                        pass


_INDEX = """
import json, sys, time
from music_tools.library import LibraryDatabase, LibraryIndexer
first = []
start = time.monotonic()
def on_progress(event):
    if not first and event.found:
        first.append(time.monotonic() - start)
if __name__ == "__main__":
    with LibraryDatabase(sys.argv[1]) as db:
        indexer = LibraryIndexer(db, int(sys.argv[3]), on_progress=on_progress)
        report = indexer.index([sys.argv[2]])
    print(json.dumps({"new": report.new, "updated": report.updated,
        "unchanged": report.unchanged, "moved": report.moved, "missing": report.missing,
        "errors": report.errors, "known_errors": report.known_errors,
        "reactivated": report.reactivated, "elapsed_s": report.elapsed_s,
        "files_per_s": report.files_per_s,
        "first_progress_s": first[0] if first else None}))
"""


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as statm:
                pages = int(statm.read().split()[1])
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run_index(db: Path, root: Path, workers: int) -> dict[str, Any]:
    """Index in a subprocess; its report, with the peak memory of its process tree."""
    process = subprocess.Popen(
        [sys.executable, "-c", _INDEX, str(db), str(root), str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_rss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    before = _pages_in_kib()
    sampler.start()
    out, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"index failed: {err.decode()}")
    report: dict[str, Any] = json.loads(out)
    report["peak_mib"] = peak / 1024
    report["read_bytes"] = (_pages_in_kib() - before) * 1024
    return report


_BARE_COLD = """
import json, os, sys, time
from concurrent.futures import ProcessPoolExecutor
import mutagen
def read(paths):
    n = 0
    for path in paths:
        try:
            n += mutagen.File(path) is not None
        except Exception:
            pass
    return n
if __name__ == "__main__":
    start = time.monotonic()
    paths = [os.path.join(d, f) for d, _, names in os.walk(sys.argv[1]) for f in names
             if not f.startswith(".")]
    chunks = [paths[i : i + 64] for i in range(0, len(paths), 64)]
    with ProcessPoolExecutor(int(sys.argv[2])) as pool:
        read_ok = sum(pool.map(read, chunks))
    elapsed = time.monotonic() - start
    print(json.dumps({"files": len(paths), "read": read_ok, "elapsed_s": elapsed}))
"""


def bare_cold(root: Path, workers: int) -> dict[str, Any]:
    """The bare loop in a subprocess; bytes read from the disk by the whole machine meanwhile
    (/proc/vmstat's pgpgin), as for ours."""
    before = _pages_in_kib()
    done = subprocess.run(
        [sys.executable, "-c", _BARE_COLD, str(root), str(workers)],
        capture_output=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result["read_bytes"] = (_pages_in_kib() - before) * 1024
    return result


def _pages_in_kib() -> int:
    with open("/proc/vmstat") as vmstat:
        return int(next(line for line in vmstat if line.startswith("pgpgin ")).split()[1])


_BROKEN = "99 broken.mp3"


def _break_files(root: Path, every: int = 1000) -> list[Path]:
    """A file that is not audio (an MP3 frame sync, then noise) in every `every`-th album:
    errors for the first index, to show they are retried only once they change."""
    broken = []
    for album in sorted(root.glob("Artist */Album *"))[7::every]:  # none moved or deleted
        path = album / _BROKEN
        path.write_bytes(b"\xff\xfb" + os.urandom(2046))
        broken.append(path)
    return broken


def _kill_and_resume(db: Path, root: Path, workers: int, after_s: float) -> dict[str, Any]:
    """SIGKILL an index `after_s` seconds in (the indexer; its workers follow it), then run
    it again: the second run must finish the job from what the first committed."""
    from music_tools.store import LibraryDatabase

    process = subprocess.Popen(
        [sys.executable, "-c", _INDEX, str(db), str(root), str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(after_s)
    process.kill()
    process.wait()
    time.sleep(1)
    with LibraryDatabase(db, readonly=True) as library:
        committed = library.count_files()
    resumed = run_index(db, root, workers)
    with LibraryDatabase(db, readonly=True) as library:
        final = library.count_files()
    return {"killed_after_s": after_s, "committed": committed, "resumed": resumed, "rows": final}


def _groups(db: Path) -> dict[str, Any]:
    """find_duplicates by the tags (same_song) and by likeness (fuzzy: this tree's names
    all fall in one blocking bucket, "art|so", the worst case a bucket can be). The other
    kinds, and `check` of 5,000 files, are measured at a million rows by benchmark_check.py
    --rows 1000000: in this tree every distinct file has hundreds of hard-linked twins, so
    exact and same_audio would hash the whole library, which no real library is like."""
    from music_tools.dupes import find_duplicates
    from music_tools.store import LibraryDatabase

    figures: dict[str, Any] = {}
    with LibraryDatabase(db, readonly=True) as library:
        for kind in ("same_song", "fuzzy"):
            start = time.perf_counter()
            groups = sum(1 for _ in find_duplicates(library, kinds=[kind]))
            figures[f"{kind}_s"] = time.perf_counter() - start
            figures[f"{kind}_groups"] = groups
    return figures


def _change_move_delete(root: Path) -> tuple[int, int, int]:
    """In 1% of the albums each: every file rewritten (a copy with a new inode and mtime, as
    a tag editor leaves it), the folder moved under a new artist, every file deleted.
    Returns (changed, moved, deleted)."""
    albums = sorted(root.glob("Artist */Album *"))
    step = 100
    changed = moved = deleted = 0
    for album in albums[step // 4 :: step]:
        for name in sorted(os.listdir(album)):
            path = album / name
            shutil.copyfile(path, album / ".rewrite")
            os.replace(album / ".rewrite", path)
            changed += 1
    target = root / "Artist moved"
    target.mkdir()
    for album in albums[::step]:
        moved += len(os.listdir(album))
        album.rename(target / album.name)
    graveyard = root.parent / f".deleted-{root.name}"
    shutil.rmtree(graveyard, ignore_errors=True)
    for album in albums[step // 2 :: step]:
        for name in sorted(os.listdir(album)):
            kept = graveyard / album.relative_to(root) / name
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.rename(album / name, kept)  # gone from the tree, kept to come back unchanged
            deleted += 1
    return changed, moved, deleted


def _restore_deleted(root: Path) -> int:
    """The deleted files back where they were, unchanged (same size and mtime)."""
    graveyard = root.parent / f".deleted-{root.name}"
    restored = 0
    for folder, _, names in os.walk(graveyard):
        for name in names:
            kept = Path(folder) / name
            os.rename(kept, root / kept.relative_to(graveyard))
            restored += 1
    shutil.rmtree(graveyard, ignore_errors=True)
    return restored


def _query_times(db: Path) -> dict[str, float]:
    from music_tools.queries import library_stats, search
    from music_tools.store import LibraryDatabase

    with LibraryDatabase(db) as library:
        start = time.perf_counter()
        library_stats(library)
        stats_s = time.perf_counter() - start
        start = time.perf_counter()
        found = sum(1 for _ in search(library, "artist:7 song", limit=None))
        search_s = time.perf_counter() - start
    return {"stats_s": stats_s, "search_s": search_s, "search_found": found}


def run(files: int, workers: int, corpus: Path, cold: bool = True) -> dict[str, Any]:
    root = build_tree(corpus, files)
    broken = _break_files(root)
    result: dict[str, Any] = {"files": files, "workers": workers, "broken": len(broken)}
    with tempfile.TemporaryDirectory(prefix="mt-bench-scale-", dir=corpus) as tmp:
        work = Path(tmp)
        if cold and drop_caches():
            ours = run_index(work / "cold.db", root, workers)
            drop_caches()
            bare = bare_cold(root, workers)
            ratio = bare["elapsed_s"] / ours["elapsed_s"]
            result["cold"] = {"ours": ours, "bare": bare, "ratio": ratio}
        else:
            result["cold"] = None
        warm(root)
        ours = run_index(work / "warm.db", root, workers)
        warm(root)
        bare_s = bare_pipeline(root, work / "bare.db", workers)
        result["warm"] = {"ours": ours, "bare_s": bare_s, "ratio": bare_s / ours["elapsed_s"]}
        db = work / "warm.db"
        result["db_bytes_per_row"] = db.stat().st_size / files
        result["queries"] = _query_times(db)
        warm(root)
        rescan = run_index(db, root, workers)
        walk_s = min(bare_walk(root) for _ in range(2))
        result["rescan"] = {"ours": rescan, "bare_walk_s": walk_s}
        result["queries"].update(_groups(db))
        changed, moved, deleted = _change_move_delete(root)
        retried = broken[: max(1, len(broken) // 10)]
        for path in retried:  # a broken file rewritten: read again (and still broken)
            path.write_bytes(b"\xff\xfb" + os.urandom(3000))
        warm(root)
        after = run_index(db, root, workers)
        result["after_changes"] = {
            "changed": changed,
            "moved": moved,
            "deleted": deleted,
            "broken_rewritten": len(retried),
            "ours": after,
        }
        restored = _restore_deleted(root)
        warm(root)
        back = run_index(db, root, workers)
        result["after_restore"] = {"restored": restored, "ours": back}
        warm(root)
        result["kill_resume"] = _kill_and_resume(
            work / "killed.db", root, workers, 0.4 * result["warm"]["ours"]["elapsed_s"]
        )
    shutil.rmtree(root)  # the moves and deletions changed it: built afresh next time
    return result


def render(r: dict[str, Any]) -> str:
    files = r["files"]
    lines = [f"scale benchmark: {files:,} files, {r['workers']} workers", ""]

    def index_line(name: str, ours: dict[str, Any]) -> str:
        return (
            f"{name}: {ours['files_per_s']:9,.0f} files/s ({ours['elapsed_s']:.1f}s), "
            f"peak memory {ours['peak_mib']:.0f} MiB (all processes), first progress "
            f"{ours['first_progress_s'] or 0:.2f}s, read {ours['read_bytes'] / files / 1024:.1f}"
            " KiB/file from disk"
        )

    cold = r["cold"]
    if cold is None:
        lines.append(
            "cold cache: not measured (dropping the page cache needs root; --warm-only skips it)"
        )
    else:
        bare = cold["bare"]
        lines.append(index_line("first index, cold cache", cold["ours"]))
        lines.append(
            f"  bare cold os.walk + mutagen.File: {files / bare['elapsed_s']:,.0f} files/s "
            f"({bare['elapsed_s']:.1f}s), read {bare['read_bytes'] / files / 1024:.1f} KiB/file;"
            f" ratio {cold['ratio']:.2f}x"
        )
    warm_run = r["warm"]
    lines.append(index_line("first index, warm cache", warm_run["ours"]))
    lines.append(
        f"  bare walk + mutagen.File + executemany: {files / warm_run['bare_s']:,.0f} files/s;"
        f" ratio {warm_run['ratio']:.2f}x"
    )
    rescan = r["rescan"]
    lines.append(index_line("unchanged rescan", rescan["ours"]))
    lines.append(
        f"  bare scandir + stat walk: {files / rescan['bare_walk_s']:,.0f} files/s;"
        f" ratio {rescan['bare_walk_s'] / rescan['ours']['elapsed_s']:.2f}x"
    )
    lines.append(
        f"  errors: {r['broken']:,} broken files; first index {r['warm']['ours']['errors']:,}"
        f" errors, unchanged rescan re-read none ({rescan['ours']['known_errors']:,} known,"
        f" {rescan['ours']['errors']:,} new)"
    )
    after = r["after_changes"]
    ours = after["ours"]
    lines.append(
        f"after {after['changed']:,} changed, {after['moved']:,} moved, {after['deleted']:,}"
        f" deleted, {after['broken_rewritten']:,} broken rewritten: {ours['elapsed_s']:.1f}s;"
        f" found {ours['updated']:,} updated, {ours['moved']:,} moved, {ours['missing']:,}"
        f" missing, {ours['new']:,} new, {ours['errors']:,} errors re-read"
    )
    back = r["after_restore"]
    lines.append(
        f"after the {back['restored']:,} deleted files came back unchanged:"
        f" {back['ours']['elapsed_s']:.1f}s; {back['ours']['reactivated']:,} re-activated,"
        f" {back['ours']['new']:,} new (a deleted file whose row went to its moved twin, the"
        " same audio here, comes back as new)"
    )
    kill = r["kill_resume"]
    lines.append(
        f"SIGKILL {kill['killed_after_s']:.0f}s into a first index: {kill['committed']:,} rows"
        f" committed; the next run read {kill['resumed']['new']:,} more"
        f" ({kill['resumed']['elapsed_s']:.1f}s) and ended with {kill['rows']:,} rows"
    )
    q = r["queries"]
    lines.append(
        f"database: {r['db_bytes_per_row']:.0f} bytes a row; stats {q['stats_s']:.2f}s;"
        f" search {q['search_s']:.2f}s ({q['search_found']:,} found)"
    )
    lines.append(
        f"  find_duplicates same_song {q['same_song_s']:.1f}s ({q['same_song_groups']:,}"
        f" groups), fuzzy {q['fuzzy_s']:.1f}s ({q['fuzzy_groups']:,} groups); check and the"
        " other kinds: benchmark_check.py --rows 1000000"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/bench-index"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--warm-only",
        action="store_true",
        help="skip the cold-cache passes (dropping the page cache slows every other process)",
    )
    args = parser.parse_args(argv)
    result = run(args.files, args.workers, args.corpus, cold=not args.warm_only)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
