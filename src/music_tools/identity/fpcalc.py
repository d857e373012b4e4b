"""Running Chromaprint's `fpcalc` (why fpcalc: see `fingerprint.py`): `workers` processes at
a time (what their output means: `fpcalc_output.py`)."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from .fpcalc_output import FingerprintOutcome, decode, encode, parse_output

__all__ = [
    "ALGORITHM",
    "INSTALL_HINT",
    "FingerprintOutcome",
    "decode",
    "encode",
    "fingerprint_file",
    "fingerprint_many",
    "fingerprinter",
    "fpcalc_path",
]

#: Chromaprint's default algorithm (the one AcoustID uses), over its default 120 s
CHROMAPRINT_ALGORITHM = 2
ALGORITHM = f"chromaprint{CHROMAPRINT_ALGORITHM}"
LENGTH_S = 120
TIMEOUT_S = 120.0
INSTALL_HINT = (
    "install Chromaprint's fpcalc (Debian/Ubuntu: apt install libchromaprint-tools; "
    "macOS: brew install chromaprint)"
)
_PR_SET_PDEATHSIG = 1


def fpcalc_path() -> str | None:
    """The fpcalc program, or None. `MUSIC_TOOLS_FPCALC` names another one (empty: none)."""
    chosen = os.environ.get("MUSIC_TOOLS_FPCALC")
    if chosen is not None:
        return shutil.which(chosen) if chosen else None
    return shutil.which("fpcalc")


@lru_cache(maxsize=4)
def _version(program: str) -> str:
    try:
        out = subprocess.run(
            [program, "-version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "fpcalc ?"
    return " ".join(out.split()[:3]) or "fpcalc ?"


def fingerprinter() -> str | None:
    """What a stored fingerprint was made with (algorithm and decoder version): a row
    made otherwise is recomputed. None when fpcalc is not installed."""
    program = fpcalc_path()
    if program is None:
        return None
    return f"{ALGORITHM}/{_version(program)}"


@lru_cache(maxsize=1)
def _prctl() -> Any:
    try:
        return ctypes.CDLL(None).prctl  # looked up here, never between fork and exec
    except (OSError, AttributeError):
        return None


def _die_with_parent() -> None:
    """In the fpcalc child: killed when the process that started it dies."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def fingerprint_file(path: str, program: str | None = None) -> FingerprintOutcome:
    """The fingerprint of the first `LENGTH_S` seconds of `path`, or the reason there is
    none (unreadable, undecodable, silent, too short). Never raises for a bad file."""
    return next(fingerprint_many([path], 1, program))


def fingerprint_many(
    paths: Iterable[str], workers: int, program: str | None = None
) -> Iterator[FingerprintOutcome]:
    """One outcome per path, in order, `workers` fpcalc processes at a time.

    This is the worker pool for fingerprints: the decoding is fpcalc's, in its own process,
    so Python workers in between would only wait on it (and cost their start-up). No fpcalc
    outlives the caller: those running when the caller stops (Ctrl-C, an error, the
    iterator closed) are killed and reaped, and on Linux each dies with this process."""
    program = program or fpcalc_path()
    running: deque[_Running] = deque()
    try:
        for path in paths:
            running.append(_start(path, program))
            if len(running) >= max(1, workers):
                yield _finish(running.popleft())
        while running:
            yield _finish(running.popleft())
    finally:
        for _, process in running:
            if process is not None:
                process.kill()
                process.wait()


_Running = tuple[FingerprintOutcome, "subprocess.Popen[bytes] | None"]


def _start(path: str, program: str | None) -> _Running:
    try:
        stat = os.stat(path)
    except OSError as exc:
        return FingerprintOutcome(path, 0, 0, reason=f"cannot read: {exc.strerror or exc}"), None
    outcome = FingerprintOutcome(path, stat.st_size, stat.st_mtime_ns)
    if program is None:
        outcome.reason = f"fpcalc not found: {INSTALL_HINT}"
        return outcome, None
    linux = sys.platform == "linux" and _prctl() is not None
    try:
        process = subprocess.Popen(
            [program, "-raw", "-json", "-length", str(LENGTH_S), "--", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,  # at most ~11 KB: never fills the pipe while it waits
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if linux else None,  # one C call, no lock taken
        )
    except OSError as exc:
        outcome.reason = f"cannot run fpcalc: {exc.strerror or exc}"
        return outcome, None
    return outcome, process


def _finish(running: _Running) -> FingerprintOutcome:
    outcome, process = running
    if process is None:
        return outcome
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        outcome.reason = f"fpcalc took longer than {TIMEOUT_S:.0f} s"
        return outcome
    except BaseException:
        process.kill()
        process.wait()
        raise
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    parse_output(done, outcome)
    return outcome
