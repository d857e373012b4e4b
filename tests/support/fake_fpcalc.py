"""Stand-ins for Chromaprint's fpcalc that misbehave as a broken or hostile one would: real
executables (small shell scripts) put on `MUSIC_TOOLS_FPCALC`, so the code under test runs,
waits on and kills real processes. Each answers `-version` at once (as fpcalc does), then,
for a file, does what its name says, after appending its process id to `pids` beside it.

The faults: `hang` (never ends), `killed` (dies by SIGKILL, as the out-of-memory killer
would kill it), `crash` (dies by SIGSEGV, as a decoder bug would), `garbage` (exits 0
printing something that is not fpcalc's JSON), `infinity` (JSON with an out-of-range
number), `flood` (prints without end), `undecodable` (fpcalc's own "cannot decode"
message, exit 2).

`version_fault_fpcalc` misbehaves on `-version` only (`hang`, `flood`), leaving its process
id in `pids` as the others do, and runs the real fpcalc for every file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "FAULTS",
    "TRANSIENT",
    "VERSION_FAULTS",
    "alive",
    "counting_fpcalc",
    "fake_fpcalc",
    "started",
    "version_fault_fpcalc",
]

FAULTS: dict[str, str] = {
    "hang": "exec sleep 600",
    "killed": "kill -KILL $$",
    "crash": "ulimit -c 0; kill -SEGV $$",
    "garbage": "printf 'DURATION=12\\nFINGERPRINT=AQAA{not json\\n'",
    "infinity": 'printf \'{"duration": 20.0, "fingerprint": [1, Infinity, 3]}\\n\'',
    "flood": "exec cat /dev/zero",
    "undecodable": (
        "echo 'ERROR: Could not open the input file (Invalid data found when processing "
        "input)' >&2; exit 2"
    ),
}
#: the faults that say nothing about the file: tried again on the next run
TRANSIENT = frozenset({"hang", "killed"})


def fake_fpcalc(folder: Path, fault: str) -> Path:
    """An executable named fpcalc in `folder` (created) that behaves as `fault` says."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "fpcalc"
    program.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-version" ]; then echo "fpcalc version 0.0-fake"; exit 0; fi\n'
        f'echo $$ >> "{folder / "pids"}"\n'
        f"{FAULTS[fault]}\n"
    )
    program.chmod(0o755)
    return program


#: what a broken fpcalc may do when asked its version
VERSION_FAULTS = {"hang": FAULTS["hang"], "flood": FAULTS["flood"]}


def version_fault_fpcalc(folder: Path, fault: str) -> Path:
    """An executable named fpcalc in `folder` that does `fault` when asked `-version` and
    runs the real fpcalc for a file."""
    real = shutil.which("fpcalc")
    assert real is not None, "needs fpcalc"
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "fpcalc"
    program.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-version" ]; then echo $$ >> "{folder / "pids"}"; '
        f"{VERSION_FAULTS[fault]}; fi\n"
        f'exec "{real}" "$@"\n'
    )
    program.chmod(0o755)
    return program


def started(program: Path) -> list[int]:
    """The process ids of the runs of a fake so far (one per file it was asked for)."""
    pids = program.parent / "pids"
    return [int(line) for line in pids.read_text().split()] if pids.exists() else []


def alive(pids: list[int]) -> list[int]:
    """Those of `pids` still running (a zombie, dead but not yet reaped, counts as alive:
    its parent has not waited for it)."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def counting_fpcalc(folder: Path) -> tuple[Path, Callable[[], list[str]]]:
    """A wrapper that logs each fingerprinting call and runs the real fpcalc; returns it
    and a function giving the files fingerprinted so far (`-version` calls left out)."""
    real = shutil.which("fpcalc")
    assert real is not None, "needs fpcalc"
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls"
    calls.touch()
    program = folder / "fpcalc"
    program.write_text(
        f'#!/bin/sh\n[ "$1" = "-version" ] || echo "$@" >> "{calls}"\nexec "{real}" "$@"\n'
    )
    program.chmod(0o755)
    return program, lambda: [line.rsplit(" -- ", 1)[-1] for line in calls.read_text().splitlines()]
