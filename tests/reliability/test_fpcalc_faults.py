"""A misbehaving fpcalc: hung runs time out together, one timeout per worker, and none is
left running. The fakes are real processes (tests/fake_fpcalc.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audio_factory import Tags, make_audio
from fake_fpcalc import alive, fake_fpcalc, started

TIMEOUT_S = 1.0


def _env(program: Path) -> dict[str, str]:
    return {"MUSIC_TOOLS_FPCALC": str(program), "MUSIC_TOOLS_FPCALC_TIMEOUT": str(TIMEOUT_S)}


def _cli(program: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """A real `music-tools` process."""
    command = [sys.executable, "-m", "music_tools", *(str(a) for a in args)]
    env = {**os.environ, **_env(program)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_hung_fpcalcs_cost_one_timeout_per_worker_and_none_is_left(tmp_path: Path) -> None:
    """4 files whose fpcalc hangs, 2 workers, a 1 s timeout: about 2 s, not 4 (nor 120
    s a file one after another, as before)."""
    music = tmp_path / "music"
    for n in range(4):
        make_audio(music / f"{n}.flac", "flac", seed=n, tags=Tags(title=f"T{n}"))
    program = fake_fpcalc(tmp_path / "bin", "hang")
    db = tmp_path / "library.db"
    index = _cli(program, "index", "--fingerprint", "--json", "--db", db, "-w", "2", music)
    assert index.returncode == 0, index.stderr
    prints = json.loads(index.stdout)["fingerprints"]
    assert (prints["made"], prints["without"]) == (0, 4)
    assert 2 * TIMEOUT_S * 0.9 <= prints["elapsed_s"] < 3.5
    assert len(started(program)) == 4 and alive(started(program)) == []
