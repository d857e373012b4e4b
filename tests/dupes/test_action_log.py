"""The action log: its path is printed also when the run is stopped (undo needs it)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner, Result

from audio_factory import Tags, make_audio
from music_tools.cli import ExitStatus, cli

COMMAND = (sys.executable, "-m", "music_tools")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_a_stopped_apply_still_prints_its_log(tmp_path: Path) -> None:
    lib, db, log = tmp_path / "big", tmp_path / "big.db", tmp_path / "stopped.jsonl"
    made = make_audio(lib / "song.wav", "wav", seconds=0.01, tags=Tags(mbid=None))
    for i in range(300):
        (lib / f"c{i:03d}").mkdir()
        shutil.copy2(made, lib / f"c{i:03d}" / "song.wav")
    assert invoke("index", "-q", "--db", db, lib).exit_code == 0
    args = ["dupes", "-q", "--format", "json", "--db", str(db), "--kinds", "exact"]
    args += ["--move-to", str(tmp_path / "spare"), "--apply", "--log", str(log)]
    process = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 10:
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.002)
    _, err = process.communicate(timeout=60)
    assert process.returncode == ExitStatus.INTERRUPTED, err
    assert f"log: {log} (music-tools undo LOG)" in err, err
    assert err.rstrip().endswith("music-tools: error: interrupted"), err
    assert invoke("undo", "--db", db, log).exit_code == 0
    assert len(list(lib.rglob("*.wav"))) == 301
