"""Files that leave the library: moved out by `dupes --move-to` (their rows kept for `undo`,
but no longer the library's), a library root deleted as a whole, a file gone from disk
that `check` would otherwise still match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import apsw
import pytest
from click.testing import CliRunner, Result

from music_tools.cli import ExitStatus, cli
from music_tools.library import LibraryDatabase
from support.audio_factory import Tags, make_audio
from support.factories import library_file


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _rows(db: Path) -> dict[str, bool]:
    """file_path -> is_active, for every row."""
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        query = "SELECT file_path, is_active FROM library_index"
        return {str(path): active == 1 for path, active in conn.execute(query)}
    finally:
        conn.close()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Music/A/m.wav and Music/B/m.wav, byte-identical; Other/o.wav; all indexed."""
    made = make_audio(tmp_path / "Music" / "A" / "m.wav", "wav", seconds=0.05, tags=Tags(mbid=None))
    (tmp_path / "Music" / "B").mkdir()
    shutil.copy2(made, tmp_path / "Music" / "B" / "m.wav")
    other = Tags(title="Other", mbid=None)
    make_audio(tmp_path / "Other" / "o.wav", "wav", seed=7, seconds=0.05, tags=other)
    db = tmp_path / "lib.db"
    assert invoke("index", "-q", "--db", db, tmp_path / "Music", tmp_path / "Other").exit_code == 0
    return tmp_path


def _move_b_out(library: Path, log: Path) -> Path:
    """`dupes --move-to spare` keeping Music/A's copy; the moved file's new place."""
    args = ("--kinds", "exact", "--root", library / "Music" / "A", "--move-to", library / "spare")
    assert (
        invoke("dupes", "-q", "--db", library / "lib.db", *args, "--apply", "--log", log).exit_code
        == 0
    )
    moved = library / "spare" / "B" / "m.wav"
    assert moved.exists()
    return moved


def test_a_moved_out_file_leaves_the_library_and_undo_brings_it_back(library: Path) -> None:
    db, log = library / "lib.db", library / "a.jsonl"
    moved = _move_b_out(library, log)
    rows = _rows(db)
    assert rows[str(moved)] is False  # kept for undo, but no longer a library file
    assert str(library / "Music" / "B" / "m.wav") not in rows
    assert json.loads(invoke("dupes", "--db", db, "--format", "json").stdout) == []
    copy = library / "new" / "m.wav"
    copy.parent.mkdir()
    shutil.copy2(moved, copy)
    (result,) = json.loads(invoke("check", "--db", db, "--format", "json", copy).stdout)
    assert result["matched_path"] == str(library / "Music" / "A" / "m.wav")
    assert invoke("undo", "--db", db, log).exit_code == 0
    rows = _rows(db)
    assert rows[str(library / "Music" / "B" / "m.wav")] is True and str(moved) not in rows


def test_after_the_spare_folder_is_deleted_check_matches_only_what_is_left(
    library: Path,
) -> None:
    db = library / "lib.db"
    moved = _move_b_out(library, library / "a.jsonl")
    copy = library / "new" / "m.wav"
    copy.parent.mkdir()
    shutil.copy2(moved, copy)
    shutil.rmtree(library / "spare")
    (library / "Music" / "A" / "m.wav").unlink()  # the new file is now the only copy
    result = invoke("check", "--db", db, "--format", "json", copy)
    assert result.exit_code == ExitStatus.OK, result.stdout
    (record,) = json.loads(result.stdout)
    assert record["is_duplicate"] is False and record["matched_path"] is None


def test_index_of_a_library_root_that_vanished_marks_its_rows_missing(library: Path) -> None:
    db = library / "lib.db"
    shutil.rmtree(library / "Other")
    result = invoke("index", "--db", db, library / "Other")
    assert result.exit_code == ExitStatus.OK, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{library / 'Other'}: no such folder; it was a library root: its 1 file is marked missing"
    ), lines
    assert _rows(db)[str(library / "Other" / "o.wav")] is False
    assert _rows(db)[str(library / "Music" / "A" / "m.wav")] is True
    again = invoke("index", "-q", "--db", db, library / "Music", library / "Other")
    assert again.exit_code == ExitStatus.OK, again.stderr
    assert "its 0 files are marked missing" in again.stderr


def test_index_of_a_folder_that_never_was_a_root_is_still_refused(library: Path) -> None:
    result = invoke("index", "--db", library / "lib.db", library / "Nowhere")
    assert result.exit_code == ExitStatus.USAGE
    assert f"{library / 'Nowhere'}: no such folder" in result.stderr
    gone_inside = library / "Music" / "B"  # under a root, but not a root itself
    shutil.rmtree(gone_inside)
    assert invoke("index", "--db", library / "lib.db", gone_inside).exit_code == ExitStatus.USAGE


def test_check_never_reports_the_same_bytes_as_a_library_file_gone_from_disk(
    library: Path,
) -> None:
    db = library / "lib.db"
    copy = library / "new" / "o.wav"
    copy.parent.mkdir()
    shutil.copy2(library / "Other" / "o.wav", copy)
    first = json.loads(invoke("check", "--db", db, "--format", "json", copy).stdout)
    assert first[0]["reason"].startswith("same bytes as ")  # and the full hashes are cached
    (library / "Other" / "o.wav").unlink()  # gone, the library not told
    result = invoke("check", "--db", db, "--format", "json", copy)
    assert result.exit_code == ExitStatus.OK, result.stdout
    (record,) = json.loads(result.stdout)
    assert record["is_duplicate"] is False
    assert (
        "gone from disk" in record["reason"]
        and str(library / "Other" / "o.wav") in record["reason"]
    )
    table = invoke("check", "--db", db, copy)
    assert "same bytes" not in table.stdout


def test_the_rows_of_a_vanished_root_are_found_by_their_root_and_marked_missing(
    db: LibraryDatabase,
) -> None:
    db.batch_insert_files(library_file(i, root="/spare") for i in range(5))
    db.batch_insert_files(library_file(i, root="/spare2") for i in range(5, 8))  # same prefix
    db.batch_insert_files(library_file(i, root="/music") for i in range(8, 10))
    assert db.matching.is_library_root("/spare") and not db.matching.is_library_root("/spa")
    assert db.matching.mark_root_missing("/spare") == 5
    assert db.matching.mark_root_missing("/spare") == 0  # a known root, its rows already missing
    assert db.matching.mark_root_missing("/nowhere") is None
    assert db.count_files() == 5 and db.count_files(active_only=False) == 10


def test_the_vanished_roots_summary_counts_the_rows_it_marked_missing(library: Path) -> None:
    """review (also): the line above said 1 file was marked missing, the summary "0
    missing" (and --json's `missing` 0)."""
    db = library / "lib.db"
    shutil.rmtree(library / "Other")
    result = invoke("index", "--db", db, library / "Other")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert "its 1 file is marked missing" in result.stderr
    assert "1 missing" in result.stdout, result.stdout
    shutil.rmtree(library / "Music" / "B")
    record = json.loads(invoke("index", "--json", "--db", db, library / "Music").stdout)
    assert record["missing"] == 1


def test_stats_calls_moved_out_rows_inactive_not_gone_from_disk(library: Path) -> None:
    """review (also): a file `dupes --move-to` moved out is on disk, in the spare folder."""
    _move_b_out(library, library / "a.jsonl")
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["stats", "--db", str(library / "lib.db")]
    )
    assert shown.exit_code == 0, shown.output
    assert "gone from disk" not in shown.stdout, shown.stdout
    assert "1 more file inactive (moved out of the library, or gone; kept)" in shown.stdout


def test_the_dupes_table_shows_the_whole_keeper_reason_on_a_narrow_terminal(
    library: Path,
) -> None:
    """review (also): the group line was cut at the terminal's width, the reason with it;
    it wraps now."""
    db = library / "lib.db"
    (group,) = json.loads(invoke("dupes", "--db", db, "--format", "json").stdout)
    shown = CliRunner(env={"COLUMNS": "40"}).invoke(cli, ["dupes", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert len(f"group 1 · {group['kind']} · {group['reason']}") > 40
    assert f"group 1 · {group['kind']} · {group['reason']}" in text, shown.stdout
