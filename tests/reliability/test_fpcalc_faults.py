"""A misbehaving fpcalc (it hangs, is killed, crashes, prints garbage or an out-of-range
number, cannot decode) costs one line per file in `index --fingerprint`, `check
--fingerprint` and `dupes`, never a traceback; a failure that says nothing about the file
(a hang, a kill) is not stored, so the next run tries again, while a lasting one is stored
and listed by `music-tools errors`; hung runs time out together, one timeout per worker,
and none is left running. The fakes are real processes (tests/support/fake_fpcalc.py); the table of
faults runs the command line in this process, the timing and Ctrl-C tests a real one."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest
from click.testing import CliRunner, Result

from music_tools.cli import cli
from support.audio_factory import Tags, make_audio
from support.fake_fpcalc import (
    FAULTS,
    TRANSIENT,
    VERSION_FAULTS,
    alive,
    fake_fpcalc,
    started,
    version_fault_fpcalc,
)

TIMEOUT_S = 1.0


def _music(root: Path) -> tuple[Path, Path]:
    """A library of two files with the same tags and length but other audio (so `dupes`
    needs both fingerprints), and a new file with tags of its own (fingerprinted by
    `check --fingerprint` alone)."""
    song = Tags(artist="Band", title="Song", mbid=None)
    make_audio(root / "lib" / "a.flac", "flac", seed=1, tags=song)
    make_audio(root / "lib" / "b.flac", "flac", seed=2, tags=song)
    new = make_audio(
        root / "new" / "n.flac", "flac", seed=3, tags=Tags(artist="X", title="Y", mbid=None)
    )
    return root / "lib", new


def _env(program: Path) -> dict[str, str]:
    return {"MUSIC_TOOLS_FPCALC": str(program), "MUSIC_TOOLS_FPCALC_TIMEOUT": str(TIMEOUT_S)}


def _cli(program: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """A real `music-tools` process, in 2 GB of memory at most."""
    command = [sys.executable, "-m", "music_tools", *(str(a) for a in args)]
    env = {**os.environ, **_env(program)}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)),
    )


def _invoke(program: Path, *args: str | Path) -> Result:
    """The command line run in this process (the fpcalc runs are real processes all the
    same): the many runs of the fault table cost no interpreter start-up each."""
    result = CliRunner().invoke(cli, [str(a) for a in args], env=_env(program))
    assert isinstance(result.exception, SystemExit | None), result.exc_info
    return result


def _lines_about(stderr: str, path: Path) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if str(path) in line]


def _stored(db: Path) -> list[tuple[str, str | None]]:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        query = (
            "SELECT l.file_path, f.reason FROM fingerprints f "
            "JOIN library_index l ON l.id = f.file_id ORDER BY l.file_path"
        )
        return [(path, reason) for path, reason in conn.execute(query)]
    finally:
        conn.close()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_misbehaving_fpcalc_costs_one_line_per_file_and_stores_only_lasting_failures(
    tmp_path: Path, fault: str
) -> None:
    lib, new = _music(tmp_path)
    program = fake_fpcalc(tmp_path / "bin", fault)
    db = tmp_path / "library.db"
    files = sorted(lib.iterdir())

    index = _invoke(program, "index", "--fingerprint", "--db", db, "-w", "2", lib)
    assert index.exit_code == 0, index.stderr
    for path in files:
        (line,) = _lines_about(index.stderr, path)
        assert "fingerprint" in line
        assert ("next run" in line) == (fault in TRANSIENT), line
    stored = _stored(db)
    errors = _invoke(program, "errors", "--db", db)
    if fault in TRANSIENT:  # says nothing about the file: not stored, tried again
        assert stored == []
        assert errors.stdout == ""
    else:
        assert [path for path, _ in stored] == [str(p) for p in files]
        assert all(reason for _, reason in stored)
        for path in files:
            (line,) = _lines_about(errors.stdout, path)
            assert line.startswith(f"{path}: fingerprint: "), line

    check = _invoke(program, "check", "--fingerprint", "--db", db, "--format", "json", new)
    assert check.exit_code == 0, check.stderr
    assert len(_lines_about(check.stderr, new)) == 1
    assert json.loads(check.stdout)[0]["is_duplicate"] is False

    dupes = _invoke(program, "dupes", "--db", db, "--format", "json")
    assert dupes.exit_code == 0, dupes.stderr
    for path in files:  # stored failures are not run again; the others are
        assert len(_lines_about(dupes.stderr, path)) == (fault in TRANSIENT)
    assert len(json.loads(dupes.stdout)) == 1  # same tags: grouped without fingerprints
    assert alive(started(program)) == []


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
    assert (prints["made"], prints["without"], prints["failed"]) == (0, 0, 4)
    assert 2 * TIMEOUT_S * 0.9 <= prints["elapsed_s"] < 3.5
    assert len(started(program)) == 4 and alive(started(program)) == []
    assert _stored(db) == []


def test_ctrl_c_while_fingerprinting_says_what_was_done_and_leaves_no_fpcalc(
    tmp_path: Path,
) -> None:
    music = tmp_path / "music"
    for n in range(3):
        make_audio(music / f"{n}.flac", "flac", seed=n, tags=Tags(title=f"T{n}"))
    program = fake_fpcalc(tmp_path / "bin", "hang")
    env = {**os.environ, "MUSIC_TOOLS_FPCALC": str(program), "MUSIC_TOOLS_FPCALC_TIMEOUT": "60"}
    db = tmp_path / "library.db"
    command = [sys.executable, "-m", "music_tools", "index", "--fingerprint", "--db", str(db)]
    process = subprocess.Popen(
        [*command, "-w", "2", str(music)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(started(program)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the index ran seconds ago: the summary must not say 0.0s for it
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    (summary,) = [line for line in stderr.splitlines() if "fingerprint" in line]
    assert "3 new" in summary and "indexed in" in summary, summary
    assert "fingerprinting interrupted after" in summary and "0 of 3" in summary, summary
    seconds = float(summary.split("fingerprinting interrupted after ")[1].split("s")[0])
    assert seconds >= 0.4, summary
    assert alive(started(program)) == []
    assert _stored(db) == []  # the fpcalcs the Ctrl-C stopped said nothing about the files


@pytest.mark.parametrize("fault", sorted(VERSION_FAULTS))
def test_an_fpcalc_that_hangs_or_floods_on_version_costs_one_timeout_and_one_line(
    tmp_path: Path, fault: str
) -> None:
    """review D7: `fpcalc -version` ran outside the fingerprint runs' limits: a hang cost
    10 s, a flood (`yes`) grew memory to 10.7 GB. Now it is one run with their timeout and
    output cap, once per command, and one line; fingerprints are made all the same."""
    lib, _ = _music(tmp_path)
    program = version_fault_fpcalc(tmp_path / "bin", fault)
    db = tmp_path / "library.db"
    started_at = time.monotonic()
    index = _cli(program, "index", "--fingerprint", "--json", "--db", db, "-w", "2", lib)
    elapsed = time.monotonic() - started_at
    assert index.returncode == 0, index.stderr
    assert "Traceback" not in index.stderr, index.stderr
    (line,) = [line for line in index.stderr.splitlines() if "-version" in line]
    assert str(program) in line, line
    prints = json.loads(index.stdout)["fingerprints"]
    assert (prints["made"] + prints["without"], prints["failed"]) == (2, 0), prints
    assert len(started(program)) == 1 and alive(started(program)) == []
    assert elapsed < 8, elapsed  # one 1 s timeout, not 10 s
    dupes = _cli(program, "dupes", "--db", db, "--format", "json")
    assert dupes.returncode == 0, dupes.stderr
    assert len([line for line in dupes.stderr.splitlines() if "-version" in line]) == 1
    assert len(started(program)) == 2 and alive(started(program)) == []
