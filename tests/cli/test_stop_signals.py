"""A stop signal (SIGTERM, Ctrl-C) is one line, `music-tools: error: interrupted`, and exit
status 130, whenever it comes once music-tools' own code runs: while a command waits, and
while the interpreter shuts down after it (review D12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from music_tools.cli import ExitStatus
from music_tools.library import LibraryDatabase

COMMAND = (sys.executable, "-m", "music_tools")
INTERRUPTED = "music-tools: error: interrupted\n"


def _wait_for(path: Path, text: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and text not in path.read_text():
        time.sleep(0.02)


def test_a_command_stopped_while_it_waits_prints_no_blank_line(tmp_path: Path) -> None:
    """click printed an empty line on stderr before the error line."""
    db, log, err = tmp_path / "lib.db", tmp_path / "a.jsonl", tmp_path / "undo.err"
    LibraryDatabase(db).close()
    log.write_text(
        '{"run": "r", "step": 0, "status": "done", "op": "move", "path": "/a", "target": "/b",'
        ' "size": 1, "mtime_ns": 1, "keep": "/k", "keep_size": 1, "keep_mtime_ns": 1,'
        ' "row_id": null, "root": null, "target_root": null}\n'
    )
    with LibraryDatabase(db) as holder, holder.run_lock("test", None):
        with err.open("w") as stderr:
            process = subprocess.Popen([*COMMAND, "undo", "--db", str(db), str(log)], stderr=stderr)
        _wait_for(err, "waiting for another")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == ExitStatus.INTERRUPTED
    lines = err.read_text().splitlines(keepends=True)
    assert lines[-1] == INTERRUPTED and "\n" not in lines, lines


_SLOW_SHUTDOWN = """
import atexit, sys, time

def slow_shutdown():
    print("shutting down", file=sys.stderr, flush=True)
    time.sleep(30)

atexit.register(slow_shutdown)
sys.argv = ["music-tools", "--version"]
from music_tools.__main__ import run
run()
"""


def test_a_stop_signal_while_the_interpreter_shuts_down_is_one_line(tmp_path: Path) -> None:
    """A SIGTERM after the command's work, while Python shuts down (here: a slow exit
    handler), raised KeyboardInterrupt into the shutdown ("Exception ignored") or, later in
    it, ended the process with status 143 and no word."""
    err = tmp_path / "err"
    with err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _SLOW_SHUTDOWN], stdout=subprocess.PIPE, stderr=stderr
        )
    _wait_for(err, "shutting down")
    os.kill(process.pid, signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert b"music-tools" in stdout  # the version: the command was done
    assert process.returncode == ExitStatus.INTERRUPTED, err.read_text()
    assert err.read_text() == "shutting down\n" + INTERRUPTED
