#!/usr/bin/env python3
"""Two machines indexing one PostgreSQL catalog at the same time.

    python benchmarks/benchmark_catalog.py --files 10000 --db postgresql://u:pw@host/db

Two `music-tools index` processes, as machines `alpha` and `beta`, each index --files files
(the same corpus as benchmark_index.py, so every file has a twin on the other machine) into
one fresh catalog at once. Reported: each one's files/s, the catalog's active rows at the
end (exactly 2 x --files, or the run failed), and what `dupes --kinds exact` finds across
the two machines (every group holds one file of each), with its time. For comparison, in the
same run: the same two indexes one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from benchmark_index import build_corpus, drop_catalogs, fresh_catalog, warm_page_cache
from music_tools.library import LibraryDatabase

DUPES = [sys.executable, "-m", "music_tools", "dupes"]


def index(url: str, machine: str, root: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "music_tools", "index", "--db", url]
    command += ["--machine", machine, "--json", str(root)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"index failed: {err}")
    report: dict[str, Any] = json.loads(out)
    return report


def run(files: int, corpus: Path, url: str) -> dict[str, Any]:
    paths = build_corpus(corpus, files)
    root = corpus / f"library-{files}"
    result: dict[str, Any] = {"files": len(paths)}
    for mode in ("together", "one_after_the_other"):
        catalog = fresh_catalog(url, f"bench_index_{os.getpid()}_{mode}")
        warm_page_cache(paths)
        started = time.perf_counter()
        if mode == "together":
            running = [index(catalog, m, root) for m in ("alpha", "beta")]
            reports = [finish(p) for p in running]
        else:
            reports = [finish(index(catalog, m, root)) for m in ("alpha", "beta")]
        elapsed = time.perf_counter() - started
        with LibraryDatabase(catalog, readonly=True, machine="alpha") as db:
            active = db.count_files()
        dupes_started = time.perf_counter()
        done = subprocess.run(
            [*DUPES, "--db", catalog, "--kinds", "exact", "--format", "json", "--quiet"],
            capture_output=True,
            text=True,
            check=True,
        )
        dupes_s = time.perf_counter() - dupes_started
        groups = json.loads(done.stdout)
        across = sum(
            1
            for g in groups
            if {g["keeper"]["machine"], *(o["machine"] for o in g["others"])} == {"alpha", "beta"}
        )
        result[mode] = {
            "elapsed_s": elapsed,
            "files_s": [r["files_per_s"] for r in reports],
            "new": [r["new"] for r in reports],
            "active_rows": active,
            "dupes_groups": len(groups),
            "groups_across_machines": across,
            "dupes_s": dupes_s,
        }
    drop_catalogs(url)
    return result


def render(r: dict[str, Any]) -> str:
    lines = [f"two machines, {r['files']:,} files each, one PostgreSQL catalog", ""]
    for mode in ("together", "one_after_the_other"):
        m = r[mode]
        rates = " + ".join(f"{rate:,.0f}" for rate in m["files_s"])
        lines.append(
            f"{mode.replace('_', ' '):20} {m['elapsed_s']:6.1f}s ({rates} files/s); "
            f"active rows {m['active_rows']:,}; dupes --kinds exact: {m['dupes_groups']:,} "
            f"groups, {m['groups_across_machines']:,} across the two machines "
            f"({m['dupes_s']:.1f}s)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=Path(".cache/bench-index"))
    parser.add_argument("--db", required=True, help="a postgresql:// URL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.files, args.corpus, args.db)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
