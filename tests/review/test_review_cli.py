"""`music-tools review` as a user runs it: the address printed, the page served, Ctrl-C
(or SIGTERM) stops it with nothing left listening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from support.review_library import index_music


def _environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MUSIC_TOOLS_FPCALC": "",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_review_serves_the_printed_address_until_stopped(
    music: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    db = tmp_path / "library.db"
    index_music(music, db)
    command = [sys.executable, "-m", "music_tools", "review", "--db", str(db), "--no-browser"]
    process = subprocess.Popen(
        [*command, "--move-to", str(tmp_path / "spare")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(tmp_path),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("review: http://127.0.0.1:"), line
        url = line.split(" ", 1)[1].strip()
        with urllib.request.urlopen(url.replace("/?", "/api/info?"), timeout=10) as response:
            assert b'"groups": 2' in response.read()
        port = int(url.split(":")[2].split("/")[0])
        process.send_signal(stop)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    err = process.stderr.read()
    assert "2 groups found" in err and "review stopped" in err
    assert "Traceback" not in err and url.split("token=")[1] not in err
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_move_to_and_trash_together_are_refused(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "music_tools", "review", "--db", str(tmp_path / "x.db")]
    done = subprocess.run(
        [*command, "--move-to", str(tmp_path), "--trash", "--no-browser"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path),
    )
    assert done.returncode == 2
    assert "--move-to and --trash: choose one" in done.stderr
