"""Running Chromaprint's `fpcalc` (why fpcalc: see `fingerprint.py`): `workers` processes at
a time, each timed from its own start (what their output means: `fpcalc_output.py`).

A hung fpcalc costs its own timeout, at the same time as the others', never one after
another, and never holds up the files behind it: while the first file of the queue waits
out its timeout, the other workers go on (outcomes still come back in order). The timeout
grows with the audio asked for, unless the `Fpcalc` option passed in sets it.

Every way a run can end is an outcome: a fingerprint, or the reason there is none, and
whether that reason says something about the file (fpcalc cannot decode it, crashes on it,
prints nonsense or without end for it: lasting, stored) or only about this run (fpcalc was
stopped from outside, ran out of time, could not start, the file could not be read just
now: `transient`, tried again next time).
"""

from __future__ import annotations

import math
import os
import selectors
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import MusicToolsError
from ..util import can_die_with_parent, die_with_parent
from .fpcalc_output import NO_FINGERPRINT, FingerprintOutcome, parse_output

__all__ = [
    "DEFAULT_FPCALC",
    "INSTALL_HINT",
    "NO_FINGERPRINT",
    "PROGRAM_ENV",
    "TIMEOUT_ENV",
    "Fpcalc",
    "fingerprint_file",
    "fingerprint_many",
    "fingerprinter",
    "version_problem",
]

#: Chromaprint's default algorithm (the one AcoustID uses), over its default 120 s
CHROMAPRINT_ALGORITHM = 2
LENGTH_S = 120
#: the time one fpcalc run is given: TIMEOUT_BASE_S, plus TIMEOUT_PER_AUDIO_S for each
#: second of audio asked for (10 s for 120 s), many times what fpcalc takes on the slowest
#: file measured (figures: docs/benchmarks.md)
TIMEOUT_BASE_S = 4.0
TIMEOUT_PER_AUDIO_S = 0.05
PROGRAM_ENV = "MUSIC_TOOLS_FPCALC"
TIMEOUT_ENV = "MUSIC_TOOLS_FPCALC_TIMEOUT"
#: fpcalc prints about 11 KB for 120 s: more is not a fingerprint (the run is stopped)
MAX_OUTPUT = 1 << 20
#: of its error output, the end is kept (its last line says why)
MAX_ERRORS = 1 << 14
#: the files behind a slow one that may be done and waiting, per worker
_AHEAD = 4
INSTALL_HINT = (
    "install Chromaprint's fpcalc (Debian/Ubuntu: apt install libchromaprint-tools; "
    "macOS: brew install chromaprint)"
)
_TIMED_OUT = "timed out"


@dataclass(frozen=True, slots=True)
class Fpcalc:
    """How fingerprints are made, passed in explicitly: the fpcalc `program` (a name looked
    up on PATH, or a path; empty: none, and nothing is fingerprinted) and the seconds one run
    may take (`timeout_s`; None: by the audio asked for, see `timeout`). The command line
    reads it from the environment (`from_environment`)."""

    program: str = "fpcalc"
    timeout_s: float | None = None

    def path(self) -> str | None:
        """The program to run, or None when it is not installed."""
        return shutil.which(self.program) if self.program else None

    def timeout(self, length_s: float = LENGTH_S) -> float:
        """Seconds one run may take to fingerprint `length_s` of audio: `timeout_s`, else a
        base plus a share of the length."""
        if self.timeout_s is not None:
            return self.timeout_s
        return TIMEOUT_BASE_S + TIMEOUT_PER_AUDIO_S * length_s

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Fpcalc:
        """`MUSIC_TOOLS_FPCALC` names another program (empty: none);
        `MUSIC_TOOLS_FPCALC_TIMEOUT` the seconds per run (for a slow disk, or for tests).
        Raises MusicToolsError when the latter is not a number above 0."""
        program = environ.get(PROGRAM_ENV, "fpcalc")
        value = environ.get(TIMEOUT_ENV, "")
        if not value:
            return cls(program)
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds < math.inf:
            raise MusicToolsError(f"{TIMEOUT_ENV} wants seconds, a number above 0: {value!r}")
        return cls(program, seconds)


#: fpcalc found on PATH, each run timed by the audio asked for
DEFAULT_FPCALC = Fpcalc()


#: (program, timeout) -> (its version, or "fpcalc ?"; why it is unknown, or None): asked
#: once per process, as a fingerprint run is made, under the same limits
_VERSIONS: dict[tuple[str, float], tuple[str, str | None]] = {}


def _version(program: str, timeout_s: float) -> str:
    """`fpcalc -version`'s first words, asked once (a hang costs one timeout, a flood one
    output cap, both once: the answer, or its absence, is kept)."""
    key = (program, timeout_s)
    if key not in _VERSIONS:
        _VERSIONS[key] = _ask_version(program, timeout_s)
    return _VERSIONS[key][0]


def version_problem(fpcalc: Fpcalc = DEFAULT_FPCALC) -> str | None:
    """Why `fpcalc -version` gave no version, when it was asked in this process and failed
    (a hang, a flood, a crash); None otherwise. Never asks it."""
    program = fpcalc.path()
    found = _VERSIONS.get((program, fpcalc.timeout())) if program else None
    return found[1] if found else None


def fingerprinter(fpcalc: Fpcalc = DEFAULT_FPCALC) -> str | None:
    """What a stored fingerprint was made with (algorithm and decoder version): a row
    made otherwise is recomputed. None when fpcalc is not installed."""
    program = fpcalc.path()
    if program is None:
        return None
    return f"chromaprint{CHROMAPRINT_ALGORITHM}/{_version(program, fpcalc.timeout())}"


def _ask_version(program: str, timeout_s: float) -> tuple[str, str | None]:
    pool = _Pool(program, timeout_s)
    try:
        try:
            process = _spawn([program, "-version"])
        except OSError as exc:
            return "fpcalc ?", f"cannot run it: {exc.strerror or exc}"
        run = _Run(FingerprintOutcome("-version", 0, 0), process)
        pool.watch(run)
        while not run.over:
            pool.wait()
    finally:
        pool.close()
    words = bytes(run.stdout).decode("utf-8", "replace").split()[:3]
    if run.stopped == _TIMED_OUT:
        return "fpcalc ?", f"no answer in {timeout_s:g} s"
    if run.stopped is not None:
        return "fpcalc ?", run.stopped
    if process.returncode != 0 or not words:
        return "fpcalc ?", f"exit status {process.returncode}, no version"
    return " ".join(words), None


def fingerprint_file(path: str, fpcalc: Fpcalc = DEFAULT_FPCALC) -> FingerprintOutcome:
    """The fingerprint of the first `LENGTH_S` seconds of `path`, or the reason there is
    none (unreadable, undecodable, silent, too short). Never raises for a bad file."""
    return next(fingerprint_many([path], 1, fpcalc))


def fingerprint_many(
    paths: Iterable[str], workers: int, fpcalc: Fpcalc = DEFAULT_FPCALC
) -> Iterator[FingerprintOutcome]:
    """One outcome per path, in order, `workers` fpcalc processes at a time, each given
    `fpcalc.timeout()` from its own start.

    This is the worker pool for fingerprints: the decoding is fpcalc's, in its own process,
    so Python workers in between would only wait on it (and cost their start-up). No fpcalc
    outlives the caller: those running when the caller stops (Ctrl-C, an error, the
    iterator closed) are killed and reaped, and on Linux each dies with this process."""
    pool = _Pool(fpcalc.path(), fpcalc.timeout())
    workers = max(1, workers)
    queue: deque[_Run] = deque()
    pending = iter(paths)
    more = True
    try:
        while True:
            while more and len(pool.live) < workers and len(queue) < workers * _AHEAD:
                path = next(pending, None)
                if path is None:
                    more = False
                else:
                    queue.append(pool.start(path))
            if not queue:
                return
            if queue[0].over:
                yield pool.outcome(queue.popleft())
            else:
                pool.wait()
    finally:
        pool.close()


@dataclass(slots=True)
class _Run:
    """One file's fpcalc: its process, deadline, what it printed so far, and why it was
    stopped (if it was)."""

    outcome: FingerprintOutcome
    process: subprocess.Popen[bytes] | None = None
    deadline: float = 0.0
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    pipes: int = 0
    stopped: str | None = None

    @property
    def over(self) -> bool:
        return self.process is None or self.process.returncode is not None


class _Pool:
    """The fpcalc processes running, their output read as it comes (one selector over
    every pipe), each killed at its own deadline."""

    def __init__(self, program: str | None, timeout_s: float) -> None:
        self.program = program
        self.timeout_s = timeout_s
        self.live: list[_Run] = []
        self.selector = selectors.DefaultSelector()

    def start(self, path: str) -> _Run:
        return self.watch(_start(path, self.program))

    def watch(self, run: _Run) -> _Run:
        """Read `run`'s output as it comes, and stop it at its deadline."""
        process = run.process
        if process is None or process.stdout is None or process.stderr is None:
            return run
        run.deadline = time.monotonic() + self.timeout_s
        self.selector.register(process.stdout, selectors.EVENT_READ, (run, run.stdout))
        self.selector.register(process.stderr, selectors.EVENT_READ, (run, run.stderr))
        run.pipes = 2
        self.live.append(run)
        return run

    def wait(self) -> None:
        """Read what the processes print until one ends or runs out of time."""
        timeout = max(0.0, min(run.deadline for run in self.live) - time.monotonic())
        if any(run.pipes == 0 for run in self.live):
            timeout = min(timeout, 0.005)  # its output closed: about to exit
        for key, _ in self.selector.select(timeout):
            run, sink = key.data
            if run.stopped is not None:
                continue  # stopped while reading another of its pipes
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                self._close(key.fileobj)
                run.pipes -= 1
            elif sink is run.stdout:
                sink += chunk
                if len(sink) > MAX_OUTPUT:
                    self._stop(run, "more than 1 MiB of output")
            else:
                sink += chunk
                del sink[: max(0, len(sink) - MAX_ERRORS)]
        now = time.monotonic()
        for run in list(self.live):
            if run.pipes == 0 and run.process is not None and run.process.poll() is not None:
                self.live.remove(run)
            elif now >= run.deadline:
                self._stop(run, _TIMED_OUT)

    def outcome(self, run: _Run) -> FingerprintOutcome:
        outcome, process = run.outcome, run.process
        if process is None:
            return outcome
        if run.stopped == _TIMED_OUT:
            outcome.reason = f"fpcalc took longer than {self.timeout_s:g} s"
            outcome.transient = True
        elif run.stopped is not None:
            outcome.reason = f"fpcalc gave no fingerprint: {run.stopped}"
        else:
            done = subprocess.CompletedProcess(
                process.args, process.returncode, bytes(run.stdout), bytes(run.stderr)
            )
            parse_output(done, outcome)
        return outcome

    def close(self) -> None:
        """Kill and reap every process still running."""
        for run in list(self.live):
            self._stop(run, "interrupted")
        self.selector.close()

    def _stop(self, run: _Run, why: str) -> None:
        """Kill, reap, and stop reading (a child of fpcalc's may still hold its pipes)."""
        run.stopped = why
        if run.process is not None:
            run.process.kill()
            run.process.wait()
            for pipe in (run.process.stdout, run.process.stderr):
                if pipe is not None and not pipe.closed:
                    self._close(pipe)
        run.pipes = 0
        if run in self.live:
            self.live.remove(run)

    def _close(self, pipe: Any) -> None:
        self.selector.unregister(pipe)
        pipe.close()


def _start(path: str, program: str | None) -> _Run:
    try:
        stat = os.stat(path)
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        return _Run(FingerprintOutcome(path, 0, 0, reason=reason, transient=True))
    outcome = FingerprintOutcome(path, stat.st_size, stat.st_mtime_ns, transient=True)
    if program is None:
        outcome.reason = f"fpcalc not found: {INSTALL_HINT}"
        return _Run(outcome)
    try:
        process = _spawn([program, "-raw", "-json", "-length", str(LENGTH_S), "--", path])
    except OSError as exc:
        outcome.reason = f"cannot run fpcalc: {exc.strerror or exc}"
        return _Run(outcome)
    outcome.transient = False
    return _Run(outcome, process)


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """fpcalc started with its output piped to us; on Linux it dies with this process."""
    linux = can_die_with_parent()  # looked up here, never between fork and exec
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_parent if linux else None,  # one C call, no lock taken
    )
