"""No process of ours outlives `music-tools index`: after SIGKILL of the parent (the
out-of-memory killer's way), SIGTERM, Ctrl-C (while workers start, or mid-run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import (
    group_processes,
    integrity,
    kill_group,
    rows,
    run_index,
    start_index,
    wait_for_rows,
    wait_until_gone,
)
from music_tools.cli import ExitStatus, cli

WORKERS_GONE_S = 3.0


def _wait_for_workers(group: int, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(group_processes(group)) < count + 1 and time.monotonic() < deadline:
        time.sleep(0.002)


def test_workers_die_within_seconds_of_their_parent_s_sigkill(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    root, expected = big_library
    db = tmp_path / "killed.db"
    process = start_index(db, root)
    try:
        assert wait_for_rows(db, process), "the index never committed a row"
        assert len(group_processes(process.pid)) >= 3  # parent, workers (and the tracker)
        os.kill(process.pid, signal.SIGKILL)  # the parent only, as the OOM killer does
        process.wait()
        started = time.monotonic()
        left = wait_until_gone(process.pid, WORKERS_GONE_S)
        assert left == [], f"still running {time.monotonic() - started:.1f}s later: {left}"
    finally:
        kill_group(process.pid)
    assert integrity(db) == "ok"
    assert run_index(db, root).returncode == 0
    assert rows(db) == expected


@pytest.mark.parametrize(
    ("stop", "whole_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_signal_ends_the_index_in_one_line_and_the_next_run_continues(
    big_library: tuple[Path, set[tuple[object, ...]]],
    tmp_path: Path,
    stop: signal.Signals,
    whole_group: bool,
) -> None:
    root, expected = big_library
    db = tmp_path / "stopped.db"
    process = start_index(db, root)
    try:
        assert wait_for_rows(db, process)  # the first commit: most of the work still ahead
        if whole_group:  # a terminal's Ctrl-C reaches every process of the group
            os.killpg(process.pid, stop)
        else:
            os.kill(process.pid, stop)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == ExitStatus.INTERRUPTED, stderr
        lines = stderr.decode().strip().splitlines()
        assert len(lines) == 1 and "interrupted after" in lines[0], stderr
        assert wait_until_gone(process.pid, WORKERS_GONE_S) == []
    finally:
        kill_group(process.pid)
    done = len(rows(db))
    assert 0 < done < len(expected)
    result = CliRunner().invoke(cli, ["index", "--db", str(db), str(root), "--json"])
    again = json.loads(result.output)
    assert again["unchanged"] == done and again["new"] == len(expected) - done
    assert rows(db) == expected


def test_an_index_stopped_with_json_asked_prints_its_json(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    """review D10: `index --json` stopped by SIGTERM (or Ctrl-C) printed no JSON (its text
    summary went to stderr), so a script never saw `interrupted: true`."""
    root, _ = big_library
    db = tmp_path / "stopped.db"
    process = start_index(db, root, options=("--json",))
    try:
        assert wait_for_rows(db, process)
        os.kill(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        kill_group(process.pid)
    assert process.returncode == ExitStatus.INTERRUPTED, stderr
    record = json.loads(stdout)
    assert record["interrupted"] is True and record["new"] > 0, record
    assert b"Traceback" not in stderr, stderr


def test_ctrl_c_while_workers_start_prints_one_line(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path
) -> None:
    root, _ = big_library
    db = tmp_path / "startup.db"
    process = start_index(db, root)
    try:
        _wait_for_workers(process.pid, 3)  # the tracker and both workers, still importing
        os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C reaches the group
        _, stderr = process.communicate(timeout=60)
        text = stderr.decode()
        assert "Traceback" not in text, text
        assert len(text.strip().splitlines()) <= 1, text
        assert wait_until_gone(process.pid, WORKERS_GONE_S) == []
    finally:
        kill_group(process.pid)


_SIGTERM_CAUGHT = 1 << (signal.SIGTERM - 1)


def _catches_sigterm(pid: int) -> bool:
    """Whether process `pid` has a handler for SIGTERM (SigCgt in /proc): the entry point's
    first act, before it loads anything that takes time (Python's own start-up catches
    SIGINT, not SIGTERM)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & _SIGTERM_CAUGHT)
    except OSError:
        pass
    return False


@pytest.mark.parametrize("after_ms", [0, 1, 3, 10, 30, 100, 300])
def test_ctrl_c_at_any_moment_from_start_up_on_prints_one_line(
    big_library: tuple[Path, set[tuple[object, ...]]], tmp_path: Path, after_ms: int
) -> None:
    """From the moment music-tools' own code runs, a Ctrl-C at any time, while the command
    line loads or once the index runs, is one line and exit status 130. Timed from that
    moment (seen in /proc), not from the spawn, so a busy machine moves nothing: before
    it, the interpreter itself is starting, as for any Python program."""
    root, _ = big_library
    process = start_index(tmp_path / "early.db", root)
    try:
        deadline = time.monotonic() + 60
        while not _catches_sigterm(process.pid) and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(after_ms / 1000)
        os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C reaches the group
        _, stderr = process.communicate(timeout=60)
        assert wait_until_gone(process.pid, WORKERS_GONE_S) == []
    finally:
        kill_group(process.pid)
    text = stderr.decode()
    assert process.returncode == ExitStatus.INTERRUPTED, text
    assert "Traceback" not in text, text
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], text


_WATCH_THE_CLI_IMPORT = """
import importlib.abc, signal, sys

class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "music_tools.cli":
            sys.meta_path.remove(self)
            handlers = {signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
            default = {signal.default_int_handler, signal.SIG_DFL}
            print("default" if handlers & default else "caught")
        return None

sys.meta_path.insert(0, Watch())
sys.argv = ["music-tools", "--version"]
from music_tools.__main__ import run
run()
"""


def test_the_entry_point_catches_stop_signals_before_it_loads_the_command_line() -> None:
    """The window a Ctrl-C could fall into with only Python's handler (a traceback from an
    import) is closed before the command line starts loading, whatever the machine's load."""
    done = subprocess.run(
        [sys.executable, "-c", _WATCH_THE_CLI_IMPORT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "caught", done.stdout
