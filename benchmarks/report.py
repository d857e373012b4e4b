#!/usr/bin/env python3
"""Record the benchmarks' `--json` results and render docs/benchmarks.md from them.

    python benchmarks/report.py run index -- --files 5000 --repeat 3
    python benchmarks/report.py run batch_operations --as batch_operations_postgresql \\
        -- --size LARGE --db postgresql://user:pw@localhost/db
    python benchmarks/report.py render      # write docs/benchmarks.md, the README's figures
    python benchmarks/report.py check       # exit 1 when either is out of date

`run NAME -- ARGS` runs benchmarks/benchmark_NAME.py ARGS --json once and writes
docs/benchmarks/NAME.json (or the name given by --as): the command, the machine it ran on
and the benchmark's own JSON. The page is made from those files only, so its figures are
always the ones a command printed; a test keeps it in step with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from report_sections import SECTIONS, render_page

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "docs" / "benchmarks"
PAGE = HERE.parent / "docs" / "benchmarks.md"
README = HERE.parent / "README.md"
#: the README's table of headline figures sits between these lines, made by `speed_table`
SPEED_START = "<!-- made by benchmarks/report.py render from docs/benchmarks/*.json -->\n"
SPEED_END = "<!-- end of the figures -->\n"


def _shown(arg: str) -> str:
    """An argument as the page shows it: a database URL without its credentials."""
    return re.sub(r"^(postgresql://)[^@/]*@", r"\1USER:PASSWORD@", arg)


def record(name: str, saved_as: str, args: list[str]) -> Path:
    """Run one benchmark with --json and save what it printed beside its command."""
    script = HERE / f"benchmark_{name}.py"
    command = [sys.executable, str(script), *args, "--json"]
    load_before = os.getloadavg()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    load_after = os.getloadavg()
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:  # a benchmark that printed a partial result first
        result = json.loads(done.stdout.strip().splitlines()[-1])
    shown = " ".join(["python", f"benchmarks/benchmark_{name}.py", *map(_shown, args), "--json"])
    record = {
        "benchmark": name,
        "command": shown,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
            "load_average_before": round(load_before[0], 1),
            "load_average_after": round(load_after[0], 1),
        },
        "result": result,
    }
    path = RESULTS / f"{saved_as}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def load_results() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))}


def page() -> str:
    return render_page(load_results())


def speed_table(results: dict[str, dict[str, Any]]) -> str:
    """The README's few headline figures, each beside its same-run baseline, from the
    recorded results (the full tables and commands: docs/benchmarks.md)."""
    extract = results["extract"]["result"]["formats"]
    index = results["index"]["result"]
    batch = results["batch_operations"]["result"]
    accuracy = results["check"]["result"]["accuracy"]
    quality = results["quality"]["result"]
    review = results["review"]["result"]
    exact = min(min(k["precision"], k["recall"]) for k in accuracy.values())
    rows = [
        ("reading tags and keys (`extract`)", "MP3 {:.2f}x, FLAC {:.2f}x, M4A {:.2f}x".format(
            extract["mp3"]["ratio"], extract["flac"]["ratio"], extract["m4a"]["ratio"]
        ), "a bare `mutagen.File` loop"),
        ("a first index, 2 workers", f"{index['cold_2']['ratio']:.2f}x, "
         f"{index['cold_2']['ours_files_s']:,.0f} files/s", "the bare read-and-insert pipeline"),
        ("batch insert", f"{batch['insert']['batch_vs_bare']:.2f}x", "`sqlite3.executemany`"),
        ("batch lookup by path", f"{batch['lookup']['batch_vs_bare']:.2f}x", "one bare `IN` query"),
        ("`check`: precision and recall, every kind", f"{exact:.2f}", "the corpus's labels"),
        ("quality verdict", f"{quality['cost']['all']['median_ratio']:.2f}x; lossy sources found "
         f"{quality['accuracy']['lossy_source_recall']:.1%}, genuine called lossy "
         f"{quality['accuracy']['genuine_called_lossy']:.0%}", "decoding the same seconds"),
        ("`review`: the first page of {:,} groups".format(review["groups"]),
         f"{review['first_page_median_ms']:.1f} ms", "one SQL query of the same rows: "
         f"{review['bare_sql_same_rows_median_ms']:.1f} ms"),
    ]  # fmt: skip
    lines = ["| what | music-tools | against, in the same run |", "|---|---|---|"]
    lines += [f"| {what} | {ours} | {bare} |" for what, ours, bare in rows]
    return "\n".join(lines) + "\n"


def readme() -> str:
    """README.md with its table of figures made anew."""
    text = README.read_text()
    head, rest = text.split(SPEED_START, 1)
    _, tail = rest.split(SPEED_END, 1)
    return head + SPEED_START + speed_table(load_results()) + SPEED_END + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one benchmark with --json and save its result")
    run.add_argument("name", choices=sorted({s.benchmark for s in SECTIONS}))
    run.add_argument("--as", dest="saved_as", help="the result file's name (default: NAME)")
    run.epilog = "Everything after -- goes to the benchmark."
    commands.add_parser("render", help="write docs/benchmarks.md from docs/benchmarks/*.json")
    commands.add_parser("check", help="exit 1 when docs/benchmarks.md is out of date")
    argv = sys.argv[1:] if argv is None else argv
    ours, extra = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    args = parser.parse_args(ours)
    if args.command == "run":
        print(record(args.name, args.saved_as or args.name, extra))
    elif args.command == "render":
        PAGE.write_text(page())
        README.write_text(readme())
    else:
        stale = [
            path for path, text in ((PAGE, page()), (README, readme())) if path.read_text() != text
        ]
        for path in stale:
            print(f"{path} is out of date: run python benchmarks/report.py render", file=sys.stderr)
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
