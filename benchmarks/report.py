#!/usr/bin/env python3
"""Record the benchmarks' `--json` results and render docs/benchmarks.md from them.

    python benchmarks/report.py run index -- --files 5000 --repeat 3
    python benchmarks/report.py run batch_operations --as batch_operations_postgresql \\
        -- --size LARGE --db postgresql://user:pw@localhost/db
    python benchmarks/report.py render      # write docs/benchmarks.md
    python benchmarks/report.py check       # exit 1 when docs/benchmarks.md is out of date

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
    elif PAGE.read_text() != page():
        print(f"{PAGE} is out of date: run python benchmarks/report.py render", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
