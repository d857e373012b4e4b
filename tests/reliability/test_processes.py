"""No process of ours outlives `music-tools index`: after SIGKILL of the parent (the
out-of-memory killer's way), SIGTERM, Ctrl-C (while workers start, or mid-run)."""

from __future__ import annotations

import json
import os
import signal
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
