"""`check`, `dupes` and `undo` end to end on real audio: outputs, exit codes, and every
action's safety: the dry run, the log and undo, the last-copy guard, files changed since
indexing, name clashes in the target folder, the trash, and a crash in the middle."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import apsw
import click
import pytest
from click.testing import CliRunner

from music_tools.cli import ExitStatus, cli
from support.audio_factory import Tags, make_audio, write_tags


def invoke(*args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Music/ holds a FLAC and an MP3 of one song, an exact copy of the FLAC elsewhere,
    and an unrelated song; new/ holds a copy, a re-tag, an upgrade and a new song."""
    music = tmp_path / "Music"
    tags = Tags(artist="Portishead", title="Roads", mbid=None)
    flac = make_audio(music / "flac" / "roads.flac", "flac", seed=1, seconds=2, tags=tags)
    make_audio(music / "mp3" / "roads.mp3", "mp3", seed=1, seconds=2, tags=tags)
    (music / "copies").mkdir()
    shutil.copyfile(flac, music / "copies" / "roads.flac")
    other = Tags(artist="Björk", title="Jóga", mbid=None)
    make_audio(music / "mp3" / "joga.mp3", "mp3", seed=2, seconds=2, tags=other)
    new = tmp_path / "new"
    new.mkdir()
    shutil.copyfile(music / "mp3" / "roads.mp3", new / "roads copy.mp3")
    shutil.copyfile(music / "mp3" / "joga.mp3", new / "joga retag.mp3")
    write_tags(new / "joga retag.mp3", "mp3", Tags(artist="BJÖRK", title="Jóga", mbid=None))
    make_audio(new / "joga.flac", "flac", seed=2, seconds=2, tags=other)
    make_audio(new / "fresh.ogg", "ogg", seed=3, seconds=2, tags=Tags(mbid=None))
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, "--quiet", music).exit_code == 0
    return tmp_path


def _row_paths(db: Path) -> dict[str, bool]:
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    rows = conn.execute("SELECT file_path, is_active FROM library_index").fetchall()
    conn.close()
    return {path: active == 1 for path, active in rows}


def test_check_reports_each_file_as_json_csv_and_a_table(library: Path) -> None:
    db, new = library / "lib.db", library / "new"
    result = invoke("check", "--db", db, "--format", "json", new)
    assert result.exit_code == ExitStatus.DUPLICATES
    records = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    assert records["roads copy.mp3"]["match_type"] == "exact"
    assert records["joga retag.mp3"]["match_type"] == "same_audio"
    assert records["joga.flac"]["match_type"] == "same_song"
    assert records["joga.flac"]["quality"] == "better"
    assert records["fresh.ogg"]["is_duplicate"] is False
    assert set(records["joga.flac"]) >= {"matched_path", "matches", "confidence", "reason"}
    upgrades = invoke("check", "--db", db, "--format", "csv", "--only", "upgrades", new)
    rows = list(csv.DictReader(io.StringIO(upgrades.stdout)))
    assert [Path(r["path"]).name for r in rows] == ["joga.flac"]
    fresh = invoke("check", "--db", db, "--only", "new", new / "fresh.ogg")
    assert fresh.exit_code == ExitStatus.OK and "fresh.ogg" in fresh.stdout
    missing = invoke("check", "--db", db, library / "nowhere")
    assert missing.exit_code == ExitStatus.USAGE
    assert missing.stderr.count("\n") == 1 and "nowhere: no such file" in missing.stderr


def test_check_tables_fit_80_columns_and_never_wrap_a_path(library: Path) -> None:
    deep = library / "new" / ("very long folder name " * 6).strip() / ("deeper " * 5).strip()
    deep.mkdir(parents=True)
    shutil.copyfile(library / "new" / "joga.flac", deep / "joga again.flac")
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["check", "--db", str(library / "lib.db"), str(library / "new")]
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 6  # a header and one line per file
    assert all(len(line) <= 80 for line in lines)
    assert any("…" in line and "again.flac" in line for line in lines)


def test_check_moves_dupes_only_with_apply_and_undo_puts_them_back(library: Path) -> None:
    db, new, dest = library / "lib.db", library / "new", library / "already-have"
    dry = invoke("check", "--db", db, "--move-dupes-to", dest, new)
    assert "would move" in dry.stderr and not dest.exists()
    log = library / "check.jsonl"
    applied = invoke("check", "--db", db, "--move-dupes-to", dest, "--apply", "--log", log, new)
    assert applied.exit_code == ExitStatus.DUPLICATES
    moved = sorted(p.name for p in dest.iterdir())
    assert moved == ["joga retag.mp3", "roads copy.mp3"]  # the better FLAC stays
    assert (new / "joga.flac").exists() and (new / "fresh.ogg").exists()
    assert all(json.loads(line)["status"] in ("started", "done") for line in log.open())
    undone = invoke("undo", "--db", db, log)
    assert undone.exit_code == 0 and undone.stderr.count("put back") == 2
    assert (new / "roads copy.mp3").exists() and not any(dest.iterdir())


def test_dupes_shows_groups_with_the_keeper_and_moves_the_rest(library: Path) -> None:
    db, music, dest = library / "lib.db", library / "Music", library / "spare"
    shown = invoke("dupes", "--db", db, "--format", "json", "--root", music / "flac")
    (group,) = json.loads(shown.stdout)
    assert group["keeper"]["path"] == str(music / "flac" / "roads.flac")
    kinds = {Path(o["path"]).parent.name: o["kind"] for o in group["others"]}
    assert kinds == {"copies": "exact", "mp3": "same_song"}
    modes = {Path(o["path"]).parent.name: o["bitrate_mode"] for o in group["others"]}
    assert modes == {"copies": None, "mp3": "VBR"} and group["keeper"]["bitrate_mode"] is None
    listed = invoke("dupes", "--db", db, "--format", "csv", "--root", music / "flac").stdout
    assert {r["bitrate_mode"] for r in csv.DictReader(io.StringIO(listed))} == {"", "VBR"}
    table = invoke("dupes", "--db", db)
    assert "keep" in table.stdout and "kept: " in table.stdout
    prefer = ("--root", music / "flac")
    dry = invoke("dupes", "--db", db, *prefer, "--move-to", dest)
    assert dry.stderr.count("would move") == 2 and not dest.exists()
    log = library / "dupes.jsonl"
    invoke("dupes", "--db", db, *prefer, "--move-to", dest, "--apply", "--log", log)
    assert (dest / "copies" / "roads.flac").exists() and (dest / "mp3" / "roads.mp3").exists()
    assert (music / "flac" / "roads.flac").exists()
    rows = _row_paths(db)
    assert str(dest / "copies" / "roads.flac") in rows
    assert str(music / "copies" / "roads.flac") not in rows
    assert rows[str(dest / "copies" / "roads.flac")] is False  # kept for undo, out of the library
    assert json.loads(invoke("dupes", "--db", db, "--format", "json").stdout) == []
    invoke("undo", "--db", db, log)
    assert (music / "copies" / "roads.flac").exists() and not (dest / "mp3" / "roads.mp3").exists()
    assert _row_paths(db)[str(music / "copies" / "roads.flac")] is True


def test_the_last_copy_and_changed_files_are_never_touched(library: Path) -> None:
    db, music, dest = library / "lib.db", library / "Music", library / "spare"
    os.utime(music / "mp3" / "roads.mp3", ns=(1, 1))  # changed since it was indexed
    prefer = ("--root", music / "flac")
    result = invoke(
        "dupes", "--db", db, *prefer, "--move-to", dest, "--apply", "--log", library / "l"
    )
    assert "skipped: " in result.stderr and "changed or gone since it was indexed" in result.stderr
    assert (music / "mp3" / "roads.mp3").exists()
    assert (dest / "copies" / "roads.flac").exists()  # the unchanged exact copy did move
    invoke("undo", "--db", db, library / "l")
    (music / "flac" / "roads.flac").unlink()  # the keeper is gone: nothing else may go
    result = invoke(
        "dupes", "--db", db, *prefer, "--move-to", dest, "--apply", "--log", library / "m"
    )
    assert "the copy that stays" in result.stderr and "moved:" not in result.stderr
    assert (music / "copies" / "roads.flac").exists()


def test_a_name_already_in_the_target_folder_is_kept_and_the_move_takes_another(
    library: Path,
) -> None:
    db, dest = library / "lib.db", library / "spare"
    (dest / "copies").mkdir(parents=True)
    (dest / "copies" / "roads.flac").write_bytes(b"someone else's file")
    invoke(
        "dupes",
        "--db",
        db,
        "--kinds",
        "exact",
        "--root",
        library / "Music" / "flac",
        "--move-to",
        dest,
        "--apply",
        "--log",
        dest / "l",
    )
    assert (dest / "copies" / "roads.flac").read_bytes() == b"someone else's file"
    assert (dest / "copies" / "roads (2).flac").stat().st_size > 1000
    assert str(dest / "copies" / "roads (2).flac") in _row_paths(library / "lib.db")


def _cli_process(args: list[str], env_extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **env_extra}
    code = "import sys; from music_tools.cli import main; sys.argv[0] = 'music-tools'; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stderr=subprocess.PIPE)


def test_trash_marks_the_rows_inactive(library: Path) -> None:
    db, music = library / "lib.db", library / "Music"
    args = ["dupes", "--db", str(db), "--kinds", "exact", "--root", str(music / "flac")]
    args += ["--trash", "--apply", "--log"]
    dry = _cli_process(args[:-2], {"XDG_DATA_HOME": str(library)})
    assert dry.wait(60) == 0 and (music / "copies" / "roads.flac").exists()
    assert b"would trash: " in (dry.stderr.read() if dry.stderr else b"")
    process = _cli_process([*args, str(library / "t.jsonl")], {"XDG_DATA_HOME": str(library)})
    assert process.wait(60) == 0
    assert not (music / "copies" / "roads.flac").exists()
    assert (library / "Trash" / "files" / "roads.flac").exists()
    assert _row_paths(db)[str(music / "copies" / "roads.flac")] is False
    assert (music / "flac" / "roads.flac").exists()
    logged = [json.loads(line) for line in (library / "t.jsonl").open()]
    assert [(r["op"], r["status"]) for r in logged] == [("trash", "started"), ("trash", "done")]
    undone = invoke("undo", "--db", db, library / "t.jsonl")
    assert "restore it from there" in undone.stderr


def test_a_crash_in_the_middle_of_apply_leaves_every_file_in_one_place_and_undo_replays(
    tmp_path: Path,
) -> None:
    music, dest, db, log = (
        tmp_path / "Music",
        tmp_path / "spare",
        tmp_path / "l.db",
        tmp_path / "a.jsonl",
    )
    original = make_audio(music / "a" / "song.wav", "wav", seconds=0.2, tags=Tags(mbid=None))
    copies = [music / f"c{i:02d}" / "song.wav" for i in range(60)]
    for copy in copies:
        copy.parent.mkdir()
        shutil.copyfile(original, copy)
    assert invoke("index", "--db", db, "--quiet", music).exit_code == 0
    process = _cli_process(
        [
            "dupes",
            "--db",
            str(db),
            "--kinds",
            "exact",
            "--move-to",
            str(dest),
            "--apply",
            "--log",
            str(log),
        ],
        {},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 21:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    process.wait(60)
    rows = _row_paths(db)
    in_flight = 0
    for copy in copies:
        moved = dest / copy.relative_to(music)
        assert copy.exists() != moved.exists()  # at its old or its new place, never both
        where = str(moved if moved.exists() else copy)
        if where not in rows:
            in_flight += 1  # the one step between its rename and its commit, at most
    assert in_flight <= 1
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    assert 0 < len([c for c in copies if not c.exists()]) < len(copies)
    assert invoke("undo", "--db", db, log).exit_code == 0
    rows = _row_paths(db)
    for copy in copies:
        assert copy.exists() and str(copy) in rows
    assert not dest.exists() or not any(dest.rglob("*.wav"))


def test_search_shows_one_line_a_file_at_80_columns(tmp_path: Path) -> None:
    folder = tmp_path / "Music" / ("a rather long folder name " * 8).strip() / "and deeper"
    make_audio(folder / "song.mp3", "mp3", seconds=0.3, tags=Tags(mbid=None))
    db = tmp_path / "lib.db"
    invoke("index", "--db", db, "--quiet", tmp_path / "Music")
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["search", "--db", str(db), "test"])
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert "…" in lines[1] and lines[1].rstrip().endswith("song.mp3")


def test_non_utf8_names_are_checked_and_printed_with_escapes(library: Path) -> None:
    odd = os.fsdecode(bytes(library / "new") + b"/caf\xe9.mp3")
    shutil.copyfile(library / "Music" / "mp3" / "joga.mp3", odd)
    result = invoke("check", "--db", library / "lib.db", "--format", "json", library / "new")
    records = {r["path"]: r for r in json.loads(result.stdout)}
    escaped = str(library / "new" / "caf\\xe9.mp3")
    assert records[escaped]["match_type"] == "exact"
    table = invoke("check", "--db", library / "lib.db", odd)
    assert "\\xe9.mp3" in table.stdout  # the start of the long path is shortened


def test_a_file_named_twice_is_read_once_and_reported_under_each_name(library: Path) -> None:
    from music_tools.library import DuplicateChecker, LibraryDatabase

    copy = library / "new" / "roads copy.mp3"
    relative = os.path.relpath(copy)
    with LibraryDatabase(library / "lib.db") as db:
        results = DuplicateChecker(db, workers=1).check_files_batch([str(copy), relative])
    assert list(results) == [str(copy), relative]
    assert results[relative].path == relative and results[relative].kind == "exact"


def test_dupes_tables_fit_80_columns_with_every_column(library: Path) -> None:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["dupes", "--db", str(library / "lib.db")]
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 5  # the group's line, a header, the keeper and two more
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].split() == ["path", "artist", "title", "format", "kbps", "size", "length"]
    assert lines[2].split()[0] == "keep" and lines[2].rstrip().endswith("0:02")
    assert sum(" VBR " in line for line in lines[2:]) == 1  # beside the MP3's kbps


def test_check_never_moves_a_new_file_whose_library_copy_is_gone(library: Path) -> None:
    db, new, dest = library / "lib.db", library / "new", library / "already-have"
    music = library / "Music"
    for copy in ("mp3/roads.mp3", "flac/roads.flac", "copies/roads.flac"):
        (music / copy).unlink()  # the library's copies of the song, still indexed
    args = ("check", "--db", db, "--move-dupes-to", dest, "--apply", "--log", library / "c")
    result = invoke(*args, new / "roads copy.mp3")
    assert result.exit_code == ExitStatus.OK, result.stdout
    assert "not in the library" in result.stdout and "moved" not in result.stderr
    assert (new / "roads copy.mp3").exists() and not dest.exists()


def test_undo_refuses_a_file_that_is_not_an_action_log_in_one_line(library: Path) -> None:
    log = library / "notes.jsonl"
    log.write_text('{"status": "done"}\nnot json\n')
    result = invoke("undo", "--db", library / "lib.db", log)
    assert result.exit_code == ExitStatus.USAGE
    assert (
        result.stderr
        == f"music-tools: error: {log}: line 1 is not a music-tools action (see --help)\n"
    )
    missing = invoke("undo", "--db", library / "lib.db", library / "nowhere.jsonl")
    assert missing.exit_code == ExitStatus.USAGE and missing.stderr.count("\n") == 1


def _move_exact_copy(library: Path, log: Path) -> tuple[Path, Path]:
    """Move Music/copies/roads.flac to spare/ through `dupes --apply`: (old, new place)."""
    db, music, dest = library / "lib.db", library / "Music", library / "spare"
    args = ("--kinds", "exact", "--root", music / "flac", "--move-to", dest)
    assert invoke("dupes", "--db", db, *args, "--apply", "--log", log).exit_code == 0
    old, new = music / "copies" / "roads.flac", dest / "copies" / "roads.flac"
    assert new.exists() and not old.exists()
    return old, new


def test_undo_refuses_a_binary_file_in_one_line(library: Path) -> None:
    log = library / "song.jsonl"
    log.write_bytes(b"\xff\xfe\x00ID3\x80 not a log")
    result = CliRunner().invoke(cli, ["undo", "--db", str(library / "lib.db"), str(log)])
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert result.stderr.startswith("music-tools: error: ") and result.stderr.count("\n") == 1


def test_undo_replays_a_log_whose_last_line_a_crash_cut_short(library: Path) -> None:
    log = library / "a.jsonl"
    old, new = _move_exact_copy(library, log)
    text = log.read_text()
    log.write_text(text + text.splitlines()[0][:57])  # a step's first line, cut mid-write
    result = invoke("undo", "--db", library / "lib.db", log)
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert old.exists() and not new.exists()
    assert str(old) in _row_paths(library / "lib.db")


def test_undo_leaves_a_file_whose_old_place_is_taken_and_says_so(library: Path) -> None:
    log = library / "a.jsonl"
    old, new = _move_exact_copy(library, log)
    old.write_bytes(b"a file that came later")
    result = invoke("undo", "--db", library / "lib.db", log)
    assert result.exit_code == ExitStatus.ERROR
    assert "put back" not in result.stderr and "taken" in result.stderr
    assert old.read_bytes() == b"a file that came later" and new.exists()
    rows = _row_paths(library / "lib.db")
    assert str(new) in rows and str(old) not in rows  # the row still follows the file


def test_undo_twice_says_the_files_are_already_back(library: Path) -> None:
    log = library / "a.jsonl"
    old, _ = _move_exact_copy(library, log)
    first = invoke("undo", "--db", library / "lib.db", log)
    assert first.exit_code == ExitStatus.OK and "put back" in first.stderr
    again = invoke("undo", "--db", library / "lib.db", log)
    assert again.exit_code == ExitStatus.OK
    assert "put back" not in again.stderr and "already" in again.stderr
    assert old.exists()


def test_undo_fails_when_a_moved_file_is_at_neither_place(library: Path) -> None:
    log = library / "a.jsonl"
    _, new = _move_exact_copy(library, log)
    new.unlink()
    result = invoke("undo", "--db", library / "lib.db", log)
    assert result.exit_code == ExitStatus.ERROR
    assert "found at neither place" in result.stderr


def test_files_already_in_the_target_folder_are_not_moved_again(library: Path) -> None:
    db, new, held = library / "lib.db", library / "new", library / "held"
    log = library / "a.jsonl"
    _, moved = _move_exact_copy(library, log)
    spare = moved.parents[1]
    again = invoke("dupes", "--db", db, "--kinds", "exact", "--move-to", spare)
    assert again.exit_code == 0 and "would move" not in again.stderr  # it left the library
    assert invoke("index", "--db", db, "-q", spare).exit_code == 0  # made a root: back in
    again = invoke("dupes", "--db", db, "--kinds", "exact", "--move-to", spare)
    assert again.exit_code == 0 and "would move" not in again.stderr
    assert "already in " in again.stderr
    args = ("--move-dupes-to", held, "--apply", "--log", log)
    invoke("check", "--db", db, *args, new / "roads copy.mp3")
    assert (held / "roads copy.mp3").exists()
    twice = invoke("check", "--db", db, *args, held / "roads copy.mp3")
    assert "already in " in twice.stderr
    assert sorted(p.name for p in held.iterdir()) == ["roads copy.mp3"]


def test_check_moving_a_file_the_library_holds_moves_its_row_too(library: Path) -> None:
    db, music, held = library / "lib.db", library / "Music", library / "held"
    log = library / "c.jsonl"
    mp3 = music / "mp3" / "roads.mp3"  # indexed, and worse than the library's FLAC
    result = invoke("check", "--db", db, "--move-dupes-to", held, "--apply", "--log", log, mp3)
    assert result.exit_code == ExitStatus.DUPLICATES and (held / "roads.mp3").exists()
    rows = _row_paths(db)
    assert str(held / "roads.mp3") in rows and str(mp3) not in rows
    assert invoke("undo", "--db", db, log).exit_code == 0
    assert mp3.exists() and str(mp3) in _row_paths(db)


def test_a_skipped_action_names_an_odd_keeper_with_escapes(library: Path) -> None:
    db, music = library / "lib.db", library / "Music"
    odd = os.fsdecode(bytes(music / "flac") + b"/caf\xe9.flac")
    os.rename(music / "flac" / "roads.flac", odd)
    invoke("index", "--db", db, "--quiet", music)
    invoke("dupes", "--db", db, "--kinds", "exact")  # confirms the copies, caches the hashes
    os.utime(odd, ns=(1, 1))  # then the keeper changed
    args: tuple[str | Path, ...] = ("--kinds", "exact", "--root", music / "flac")
    args += ("--move-to", library / "spare", "--apply", "--log", library / "l")
    result = invoke("dupes", "--db", db, *args)
    assert "the copy that stays" in result.stderr
    assert "caf\\xe9.flac" in result.stderr and "\\udc" not in result.stderr


def test_an_apply_with_nothing_to_do_writes_no_log(library: Path) -> None:
    db, log = library / "lib.db", library / "empty.jsonl"
    args = ("--move-dupes-to", library / "held", "--apply", "--log", log)
    result = invoke("check", "--db", db, *args, library / "new" / "fresh.ogg")
    assert result.exit_code == ExitStatus.OK and not log.exists()
    assert "log: " not in result.stderr


def _check_as_nobody(db: Path, *paths: Path) -> dict[str, object]:
    """`check --format json` in a forked child that runs as nobody (root reads anything)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        try:
            os.setgid(65534)
            os.setuid(65534)
            args = ["check", "--db", str(db), "--workers", "1", "--format", "json"]
            args += map(str, paths)
            result = CliRunner().invoke(cli, args)
            answer = {"code": result.exit_code, "out": result.stdout, "err": result.stderr}
        except BaseException as exc:
            answer = {"code": -1, "err": repr(exc)}
        os.write(write_fd, json.dumps(answer).encode())
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        output = pipe.read()
    os.waitpid(pid, 0)
    answer: dict[str, object] = json.loads(output)
    return answer


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to fork a child as nobody")
def test_unreadable_files_given_to_check_are_reported_not_refused(library: Path) -> None:
    shared = Path(tempfile.mkdtemp(prefix="mt-nobody-"))  # tmp_path's parents are root's
    try:
        shutil.copytree(library, shared / "t")
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        new = shared / "t" / "new"
        (new / "roads copy.mp3").chmod(0o000)
        (new / "locked").mkdir()
        shutil.copyfile(new / "fresh.ogg", new / "locked" / "fresh.ogg")
        (new / "locked").chmod(0o000)
        given = (new / "roads copy.mp3", new / "locked" / "fresh.ogg", new / "joga.flac")
        answer = _check_as_nobody(shared / "t" / "lib.db", *given)
        assert answer["code"] == ExitStatus.DUPLICATES, answer
        records = {Path(r["path"]).name: r for r in json.loads(str(answer["out"]))}
        assert records["roads copy.mp3"]["reason"] == "cannot read: permission denied"
        assert records["fresh.ogg"]["reason"] == "cannot read: permission denied"
        assert records["joga.flac"]["match_type"] == "same_song"
    finally:
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o777)
        shutil.rmtree(shared)


@pytest.fixture
def bind_mounted(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two folders that are one: `b` is a bind mount of `a` (the same files under two
    names, as a library indexed through two mount points sees them)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    mount = subprocess.run(["mount", "--bind", str(a), str(b)], capture_output=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {mount.stderr.decode().strip()}")
    try:
        yield a, b
    finally:
        subprocess.run(["umount", str(b)], check=True)


def test_a_file_seen_under_two_mount_points_is_never_moved_from_under_its_keeper(
    tmp_path: Path, bind_mounted: tuple[Path, Path]
) -> None:
    a, b = bind_mounted
    make_audio(a / "song.flac", "flac", seconds=0.5, tags=Tags(mbid=None))
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, "--quiet", a, b).exit_code == 0
    args = ("--move-to", tmp_path / "spare", "--apply", "--log", tmp_path / "l.jsonl")
    result = invoke("dupes", "--db", db, *args)
    assert "moved:" not in result.stderr and "is the copy that stays" in result.stderr
    assert (a / "song.flac").exists()


def test_dupes_with_no_kind_named_is_a_usage_error(library: Path) -> None:
    for kinds in ("", " , "):
        result = invoke("dupes", "--db", library / "lib.db", "--kinds", kinds)
        assert result.exit_code == ExitStatus.USAGE, kinds
        assert result.stderr.startswith("music-tools: error: --kinds: ")


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_check_writes_its_answer_to_stdout_while_a_progress_bar_is_on_stderr(
    library: Path, fmt: str
) -> None:
    """`check --format json > out.json` typed at a terminal: the bar on stderr must not
    swallow what goes to stdout (FORCE_COLOR makes rich treat stderr as a terminal)."""
    code = "import sys; from music_tools.cli import main; sys.argv[0] = 'music-tools'; main()"
    args = ["check", "--db", str(library / "lib.db"), "--format", fmt, str(library / "new")]
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == ExitStatus.DUPLICATES, done.stderr
    assert b"roads copy.mp3" in done.stdout and b"roads copy.mp3" not in done.stderr
    if fmt == "json":
        assert len(json.loads(done.stdout)) == 4


def test_undo_puts_back_files_moved_to_another_file_system(library: Path) -> None:
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == library.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the tests' folder")
    dest = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="mt-spare-"))
    try:
        db, music, log = library / "lib.db", library / "Music", library / "x.jsonl"
        args = ("--kinds", "exact", "--root", music / "flac", "--move-to", dest, "--apply")
        assert invoke("dupes", "--db", db, *args, "--log", log).exit_code == 0
        assert (dest / "copies" / "roads.flac").exists()
        undone = invoke("undo", "--db", db, log)
        assert undone.exit_code == ExitStatus.OK, undone.stderr
        assert (music / "copies" / "roads.flac").exists()
        assert not (dest / "copies" / "roads.flac").exists()
    finally:
        shutil.rmtree(dest)


@pytest.mark.parametrize(
    ("field", "value"),
    [("path", None), ("target", 5), ("root", 7), ("row_id", "x"), ("op", "delete"), ("step", [])],
)
def test_undo_refuses_an_edited_log_with_a_wrong_value_in_one_line(
    library: Path, field: str, value: object
) -> None:
    log = library / "a.jsonl"
    _move_exact_copy(library, log)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    records[-1][field] = value
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = CliRunner().invoke(cli, ["undo", "--db", str(library / "lib.db"), str(log)])
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert result.stderr.endswith(": line 2 is not a music-tools action (see --help)\n")
    assert result.stderr.count("\n") == 1


def test_a_dry_run_shows_the_names_the_moves_would_really_take(library: Path) -> None:
    db, new, held = library / "lib.db", library / "new", library / "held"
    (new / "other").mkdir()
    shutil.copyfile(new / "roads copy.mp3", new / "other" / "roads copy.mp3")
    given = (new / "roads copy.mp3", new / "other" / "roads copy.mp3")
    dry = invoke("check", "--db", db, "--move-dupes-to", held, *given)
    assert f"-> {held / 'roads copy.mp3'}" in dry.stderr
    assert f"-> {held / 'roads copy (2).mp3'}" in dry.stderr
    music = library / "Music"
    pair = (music / "flac" / "roads.flac", music / "copies" / "roads.flac")  # each other's copy
    dry = invoke("check", "--db", db, "--move-dupes-to", held, *pair)  # dupes decides those
    assert dry.stderr.count("would move") == 0 and dry.stderr.count("music-tools dupes") == 2


def test_undo_with_another_library_leaves_that_librarys_rows_alone(library: Path) -> None:
    log = library / "a.jsonl"
    old, _ = _move_exact_copy(library, log)
    other_db = library / "other.db"
    make_audio(library / "Other" / "x.flac", "flac", seconds=0.3, tags=Tags(mbid=None))
    for n in range(5):  # rows with the same ids as the first library's
        shutil.copyfile(library / "Other" / "x.flac", library / "Other" / f"x{n}.flac")
    assert invoke("index", "--db", other_db, "--quiet", library / "Other").exit_code == 0
    before = _row_paths(other_db)
    wrong = invoke("undo", "--db", other_db, log)  # the wrong --db: refused (review D4)
    assert wrong.exit_code == ExitStatus.USAGE and "this log is of library" in wrong.stderr
    assert _row_paths(other_db) == before
    assert not old.exists()  # left where the log's run moved it, with its row


def test_a_newline_in_a_file_name_never_breaks_a_table_row_or_an_action_line(
    library: Path,
) -> None:
    db, new = library / "lib.db", library / "new"
    odd = new / "two\nlines.mp3"
    shutil.copyfile(new / "roads copy.mp3", odd)
    table = CliRunner(env={"COLUMNS": "100"}).invoke(
        cli, ["check", "--db", str(db), "--move-dupes-to", str(library / "held"), str(odd)]
    )
    assert table.stdout.count("\n") == 2 and "two\\nlines.mp3" in table.stdout
    assert "would move: " in table.stderr and all(
        line.startswith(("would move: ", "dry run: ")) for line in table.stderr.splitlines()
    )
    records = json.loads(invoke("check", "--db", db, "--format", "json", odd).stdout)
    assert records[0]["path"] == str(odd)  # JSON carries the name as it is


def test_check_names_the_librarys_own_files_and_still_reports_their_other_copies(
    library: Path,
) -> None:
    """joga.mp3 is a library file with no other copy; copies/roads.flac is a library file
    whose byte copy is flac/roads.flac: neither is new, and only the second is a duplicate
    (exit 3 only for it). --only new shows neither, --only dupes the second, --only
    upgrades neither."""
    db, music = library / "lib.db", library / "Music"
    joga, roads = music / "mp3" / "joga.mp3", music / "copies" / "roads.flac"
    table = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["check", "--db", str(db), str(joga)])
    (row,) = [line for line in table.stdout.splitlines() if "joga.mp3" in line]
    assert row.split()[1] == "own", row
    assert "the library's own file" in row
    assert table.exit_code == ExitStatus.OK  # nothing here has another copy
    as_json = invoke("check", "--db", db, "--format", "json", joga, roads)
    assert as_json.exit_code == ExitStatus.DUPLICATES
    records = {Path(r["path"]).parent.name: r for r in json.loads(as_json.stdout)}
    assert records["mp3"]["status"] == "own" and not records["mp3"]["is_duplicate"]
    assert records["mp3"]["indexed_as"] == str(joga)
    assert records["copies"]["status"] == "own" and records["copies"]["is_duplicate"]
    assert records["copies"]["match_type"] == "exact"
    assert records["copies"]["matched_path"] == str(music / "flac" / "roads.flac")
    assert records["copies"]["reason"].startswith("the library's own file; same bytes as ")
    as_csv = invoke("check", "--db", db, "--format", "csv", joga, library / "new" / "fresh.ogg")
    statuses = {
        Path(r["path"]).name: r["status"] for r in csv.DictReader(io.StringIO(as_csv.stdout))
    }
    assert statuses == {"joga.mp3": "own", "fresh.ogg": "new"}
    for only, shown in (("new", []), ("dupes", ["roads.flac"]), ("upgrades", [])):
        listed = invoke("check", "--db", db, "--format", "json", "--only", only, joga, roads)
        assert [Path(r["path"]).name for r in json.loads(listed.stdout)] == shown, only


def test_every_check_result_has_a_status(library: Path, tmp_path: Path) -> None:
    db, new = library / "lib.db", library / "new"
    broken = new / "broken.mp3"
    broken.write_bytes(b"not audio")
    result = invoke("check", "--db", db, "--format", "json", new)
    statuses = {Path(r["path"]).name: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {
        "roads copy.mp3": "duplicate",
        "joga retag.mp3": "duplicate",
        "joga.flac": "duplicate",
        "fresh.ogg": "new",
        "broken.mp3": "unreadable",
    }


def test_check_leaves_library_copies_checked_together_to_dupes(library: Path) -> None:
    """Acceptance review: `check Music --move-dupes-to X --apply` moved Music/flac/roads.flac
    (the library's own file, a copy of Music/copies/roads.flac) by path order, not by the
    keeper rules; which of the library's copies stays is `dupes`' to decide."""
    db, music, dest = library / "lib.db", library / "Music", library / "spare"
    log = library / "own.jsonl"
    result = invoke("check", "--db", db, "--move-dupes-to", dest, "--apply", "--log", log, music)
    assert result.exit_code == ExitStatus.DUPLICATES  # they have copies: still reported
    assert not dest.exists() or not any(dest.rglob("*"))
    assert (music / "flac" / "roads.flac").exists() and (music / "copies" / "roads.flac").exists()
    assert "the library's own file" in result.stderr and "music-tools dupes" in result.stderr
    assert all(active for active in _row_paths(db).values())


def test_dupes_groups_a_copy_in_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """Acceptance check: the album-folder keeper rule sorted the folders' stored values,
    str for a UTF-8 name and bytes for another: `dupes` ended in a TypeError traceback."""
    music = tmp_path / "Music"
    made = make_audio(music / "A" / "s.wav", "wav", seconds=0.1, tags=Tags(mbid=None))
    odd = os.path.join(os.fsencode(music), b"caf\xe9")
    os.mkdir(odd)
    shutil.copy2(made, os.path.join(odd, b"s\xff.wav"))
    db = tmp_path / "lib.db"
    assert invoke("index", "--db", db, "-q", music).exit_code == 0
    result = invoke("dupes", "--db", db, "--kinds", "exact", "--format", "json")
    assert result.exit_code == 0, result.output
    (group,) = json.loads(result.stdout)
    assert len(group["others"]) == 1
