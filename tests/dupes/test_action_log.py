"""The action log: `--log` appends only to an action log of this library (refused before
anything moves otherwise), its path is printed also when the run is stopped, and `undo`
says so when a log holds nothing to undo."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from music_tools.cli import ExitStatus, cli
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, identical_pairs, make_audio

COMMAND = (sys.executable, "-m", "music_tools")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """lib/A and lib/B hold three pairs of identical files, indexed into lib.db."""
    identical_pairs(tmp_path / "lib", 3)
    assert invoke("index", "-q", "--db", tmp_path / "lib.db", tmp_path / "lib").exit_code == 0
    return tmp_path


def _move(library: Path, log: Path, db: Path | None = None) -> Result:
    args = ("--kinds", "exact", "--root", library / "lib" / "A", "--move-to", library / "X")
    return invoke("dupes", "-q", "--db", db or library / "lib.db", *args, "--apply", "--log", log)


def _untouched(library: Path) -> bool:
    return sorted(p.name for p in (library / "lib" / "B").iterdir()) == [
        "s0.wav",
        "s1.wav",
        "s2.wav",
    ]


def test_a_log_that_is_not_an_action_log_is_refused_before_anything_moves(
    library: Path,
) -> None:
    song = library / "lib" / "A" / "s0.wav"
    before = song.read_bytes()
    refused = _move(library, song)
    assert refused.exit_code == ExitStatus.USAGE, refused.stderr
    assert refused.stderr.count("\n") == 1 and f"{song}: " in refused.stderr
    assert "not a music-tools action log" in refused.stderr
    assert song.read_bytes() == before and _untouched(library)
    notes = library / "notes.txt"
    notes.write_text("my own notes\n")
    assert _move(library, notes).exit_code == ExitStatus.USAGE
    assert notes.read_text() == "my own notes\n" and _untouched(library)
    check = invoke(
        "check", "--db", library / "lib.db", "--move-dupes-to", library / "Y", "--apply",
        "--log", notes, library / "lib" / "B" / "s0.wav",
    )  # fmt: skip
    assert check.exit_code == ExitStatus.USAGE and notes.read_text() == "my own notes\n"
    assert _untouched(library)


def test_an_empty_file_or_a_log_of_this_library_takes_more_runs(library: Path) -> None:
    log = library / "a.jsonl"
    log.write_text("")
    assert _move(library, log).exit_code == 0
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records and all(r["library"] == str(library / "lib.db") for r in records)
    assert all(r["library_host"] for r in records)
    assert invoke("undo", "--db", library / "lib.db", log).exit_code == 0
    assert _move(library, log).exit_code == 0  # the same library's log: appended
    assert len(log.read_text().splitlines()) == 2 * len(records)


def test_a_log_of_another_library_is_refused(library: Path) -> None:
    other = library / "other.db"
    shutil.copy2(library / "lib.db", other)
    log = library / "a.jsonl"
    assert _move(library, log, db=other).exit_code == 0
    assert invoke("undo", "--db", other, log).exit_code == 0
    before = log.read_text()
    refused = _move(library, log)
    assert refused.exit_code == ExitStatus.USAGE
    assert "another library" in refused.stderr and str(other) in refused.stderr
    assert log.read_text() == before and _untouched(library)


def test_undo_of_a_log_written_before_logs_named_their_library_still_works(
    library: Path,
) -> None:
    log = library / "a.jsonl"
    assert _move(library, log).exit_code == 0
    records = [json.loads(line) for line in log.read_text().splitlines()]
    for record in records:
        del record["library"], record["library_host"]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    undone = invoke("undo", "--db", library / "lib.db", log)
    assert undone.exit_code == 0, undone.stderr
    assert _untouched(library)
    assert _move(library, log).exit_code == 0  # and it takes more runs


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


def test_undo_of_a_log_with_no_action_says_so(library: Path) -> None:
    for text in ("", "\n\n"):
        log = library / "empty.jsonl"
        log.write_text(text)
        result = invoke("undo", "--db", library / "lib.db", log)
        assert result.exit_code == ExitStatus.ERROR, result.stderr
        assert result.stderr == f"music-tools: error: {log}: no actions in it\n"


def test_undo_of_a_log_whose_every_step_failed_says_nothing_was_moved(library: Path) -> None:
    (library / "X").mkdir()
    (library / "X" / "B").write_text("a file where the moved files' folder would be")
    log = library / "failed.jsonl"
    args = ("--kinds", "exact", "--root", library / "lib" / "A", "--move-to", library / "X")
    failed = invoke("dupes", "-q", "--db", library / "lib.db", *args, "--apply", "--log", log)
    assert failed.exit_code == ExitStatus.ERROR and failed.stderr.count("failed: ") == 3
    assert failed.stderr.count(f"cannot make the folder {library / 'X' / 'B'}") == 3
    result = invoke("undo", "--db", library / "lib.db", log)
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert result.stderr == (
        "nothing to undo: every step of this log failed or was skipped, so nothing was moved\n"
    )


def test_undo_of_a_failed_trash_step_does_not_send_you_to_the_trash(library: Path) -> None:
    data = library / "data"
    data.mkdir()
    (data / "Trash").write_text("not a folder")
    log = library / "t.jsonl"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(library)}
    args = ["dupes", "-q", "--db", str(library / "lib.db"), "--kinds", "exact"]
    args += ["--root", str(library / "lib" / "A"), "--trash", "--apply", "--log", str(log)]
    done = subprocess.run([*COMMAND, *args], capture_output=True, env=env, check=False)
    assert done.returncode == ExitStatus.ERROR
    result = invoke("undo", "--db", library / "lib.db", log)
    assert "restore it from there" not in result.stderr
    assert result.exit_code == ExitStatus.OK and "nothing was moved" in result.stderr


def test_a_run_waiting_for_the_lock_leaves_the_log_another_run_is_writing_alone(
    library: Path,
) -> None:
    """review, the log race: the log was prepared (its cut last line dropped) before the
    run lock was taken, so a run waiting behind another could cut the record the other was
    writing, after which `undo` refused the whole log."""
    log = library / "shared.jsonl"
    assert _move(library, log).exit_code == 0
    record = json.loads(log.read_text().splitlines()[-1])
    whole = json.dumps({**record, "run": "being-written"}) + "\n"
    with open(log, "a") as out:
        out.write(whole[:40])  # the first run is in the middle of writing this record
    err = library / "second.err"
    db = library / "lib.db"
    args = ("dupes", "-q", "--db", str(db), "--kinds", "exact", "--trash", "--apply")
    with LibraryDatabase(db) as holder, holder.run_lock("first run", None):
        with err.open("w") as stderr:
            second = subprocess.Popen([*COMMAND, *args, "--log", str(log)], stderr=stderr)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "waiting for another" not in err.read_text():
            time.sleep(0.05)
        assert log.read_text().endswith(whole[:40]), "the waiting run cut the log"
        with open(log, "a") as out:
            out.write(whole[40:])  # the first run's record is whole
    assert second.wait(timeout=60) == 0, err.read_text()
    assert whole in log.read_text()
    assert invoke("undo", "--db", db, log).exit_code == 0


def test_two_runs_in_one_second_write_logs_of_their_own(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review, the log race: the default log was named by the second only, so two runs
    started in one second shared (and could spoil) one log."""
    monkeypatch.setattr(time, "strftime", lambda *_: "20260101-120000")
    db = library / "lib.db"
    args = ("--kinds", "exact", "--root", library / "lib" / "A", "--move-to", library / "X")
    assert invoke("dupes", "-q", "--db", db, *args, "--apply").exit_code == 0
    (first,) = library.glob("music-tools-actions-*.jsonl")
    assert invoke("undo", "--db", db, first).exit_code == 0
    assert invoke("dupes", "-q", "--db", db, *args, "--apply").exit_code == 0
    logs = sorted(library.glob("music-tools-actions-*.jsonl"))
    assert len(logs) == 2, logs
    assert all(log.name.startswith("music-tools-actions-20260101-120000") for log in logs)


def test_a_log_in_a_folder_that_does_not_exist_is_a_usage_error_naming_it(
    library: Path,
) -> None:
    """review (also): `--log` in a missing folder said "No such file or directory" (exit 1)
    after the files were planned, where `export -o` names the folder (exit 2)."""
    log = library / "no-such-folder" / "a.jsonl"
    refused = _move(library, log)
    assert refused.exit_code == ExitStatus.USAGE, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert f"the folder {log.parent} does not exist" in refused.stderr, refused.stderr
    assert _untouched(library)
