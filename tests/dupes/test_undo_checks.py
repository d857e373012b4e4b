"""What `undo` accepts: an action log of the library it is given, read as a stream of
short lines; anything else (another library's log, a FIFO, a device, a large file that is
not a log) is refused in one line, at once, before a file is touched (review D4, D13)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from music_tools.cli import ExitStatus, cli
from support.audio_factory import identical_pairs, make_audio

COMMAND = (sys.executable, "-m", "music_tools")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """lib/A and lib/B hold two pairs of identical files, indexed into lib.db, and the
    same library copied to other.db."""
    identical_pairs(tmp_path / "lib", 2)
    assert invoke("index", "-q", "--db", tmp_path / "lib.db", tmp_path / "lib").exit_code == 0
    shutil.copy2(tmp_path / "lib.db", tmp_path / "other.db")
    return tmp_path


def _run(*args: str | Path, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """A real `music-tools` process, given at most 20 s and (with `limit`) that many bytes
    of memory."""

    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [*COMMAND, *(str(a) for a in args)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=20, preexec_fn=cap, check=False
    )


def _refused(done: subprocess.CompletedProcess[str] | Result, *words: str) -> None:
    stderr = done.stderr
    status = done.returncode if isinstance(done, subprocess.CompletedProcess) else done.exit_code
    assert status == ExitStatus.USAGE, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    for word in words:
        assert word in stderr, stderr


def test_undo_refuses_a_log_of_another_library_and_names_it(library: Path) -> None:
    log = library / "a.jsonl"
    args = ("--kinds", "exact", "--root", library / "lib" / "A", "--move-to", library / "X")
    moved = invoke("dupes", "-q", "--db", library / "other.db", *args, "--apply", "--log", log)
    assert moved.exit_code == 0, moved.stderr
    spare = sorted((library / "X").rglob("*.wav"))
    assert len(spare) == 2
    other = library / "other.db"
    wrong = invoke("undo", "--db", library / "lib.db", log)
    _refused(wrong, f"this log is of library {other}: run music-tools undo --db {other} {log}")
    assert sorted((library / "X").rglob("*.wav")) == spare  # nothing put back
    right = invoke("undo", "--db", other, log)
    assert right.exit_code == 0, right.stderr
    assert not list((library / "X").rglob("*.wav"))


def test_undo_of_a_fifo_is_refused_at_once(library: Path) -> None:
    fifo = library / "log.fifo"
    os.mkfifo(fifo)
    _refused(_run("undo", "--db", library / "lib.db", fifo), "not a regular file")


def test_undo_of_a_device_is_refused_at_once(library: Path) -> None:
    done = _run("undo", "--db", library / "lib.db", "/dev/zero", limit=1 << 30)
    _refused(done, "/dev/zero: ", "not a regular file")


def test_undo_of_a_large_file_that_is_not_a_log_is_refused_without_reading_it(
    library: Path,
) -> None:
    """A 3 GB WAV (sparse: its header, then zeros) given by mistake: refused on its first
    line, in 1 GB of memory."""
    wav = library / "big.wav"
    shutil.copyfile(library / "lib" / "A" / "s0.wav", wav)
    os.truncate(wav, 3 << 30)
    done = _run("undo", "--db", library / "lib.db", wav, limit=1 << 30)
    _refused(done, f"{wav}: ", "not a music-tools action")


def test_undo_of_a_step_a_crash_stopped_mid_copy_removes_its_part_file_only(
    tmp_path: Path,
) -> None:
    """review D9: a move across file systems killed mid-copy leaves its hidden
    `.<name>.<random>.part` beside the target; `undo` of that started step removes it, and
    nothing else there."""
    source = make_audio(tmp_path / "lib" / "B" / "x.wav", "wav", seconds=0.01)
    spare = tmp_path / "spare" / "B"
    spare.mkdir(parents=True)
    left = spare / ".x.wav.k3j_h5g6.part"  # tempfile.mkstemp's name, as actions.py asks it
    left.write_bytes(b"half a copy")
    others = [spare / n for n in (".x.wav.part", ".y.wav.abcdefgh.part", "x.wav.abcdefgh.part")]
    others.append(spare / ".x.wav.abcdefgh.part.mine")
    for other in others:
        other.write_text("not ours")
    record = {
        "run": "r", "step": 0, "status": "started", "op": "move", "path": str(source),
        "target": str(spare / "x.wav"), "size": 1, "mtime_ns": 1, "keep": str(source),
        "keep_size": 1, "keep_mtime_ns": 1, "row_id": None, "root": None,
        "target_root": str(tmp_path / "spare"),
    }  # fmt: skip
    log = tmp_path / "crash.jsonl"
    log.write_text(json.dumps(record) + "\n")
    assert invoke("index", "-q", "--db", tmp_path / "lib.db", tmp_path / "lib").exit_code == 0
    done = invoke("undo", "--db", tmp_path / "lib.db", log)
    assert done.exit_code == 0, done.stderr
    assert not left.exists()
    assert all(other.exists() for other in others)
    assert source.exists()
