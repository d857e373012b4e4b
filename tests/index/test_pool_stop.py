"""Stopping the worker pool while workers are sending results back never hangs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from music_tools.read.pool import _tear_down

def big(_):
    return b"x" * (32 << 20)  # a result that takes a while to write into the pipe

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(big, i) for i in range(40)]
    futures[0].result()  # both workers are up and busy sending results
    _tear_down(pool)
    print("stopped")
"""


def test_stopping_the_pool_while_results_are_in_flight_returns_promptly(tmp_path: Path) -> None:
    script = tmp_path / "stop_pool.py"  # a file: spawned workers import `big` from it
    script.write_text(_SCRIPT)
    for _ in range(3):  # killing a worker mid-write hung the old teardown most times
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "stopped"
