"""The reliability promises on the commands that came after the fault suite (`check`,
`dupes`, `undo`): a hostile action log is one line and a usage exit code, never a
traceback, and never makes `undo` move something that no action moved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audio_factory import Tags, make_audio
from music_tools.cli import ExitStatus


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "music_tools", *(str(a) for a in args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    make_audio(tmp_path / "lib" / "a.flac", "flac", tags=Tags(title="A"))
    db = tmp_path / "library.db"
    assert run_cli("index", "--db", db, "-q", tmp_path / "lib").returncode == 0
    return db


def _record(**fields: object) -> str:
    record: dict[str, object] = {
        "run": "r",
        "step": 0,
        "op": "move",
        "path": "/nowhere/a.flac",
        "target": "/nowhere/b.flac",
        "size": 1,
        "mtime_ns": 1,
        "keep": "/nowhere/k.flac",
        "keep_size": 1,
        "keep_mtime_ns": 1,
        "row_id": None,
        "root": None,
        "target_root": None,
        "status": "done",
    }
    record.update(fields)
    return json.dumps(record) + "\n"


def _one_usage_line(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == ExitStatus.USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("music-tools: error: "), result.stderr


def test_undo_of_a_binary_file_is_one_line(library: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\xff\xfe\x00 not a log\n")
    _one_usage_line(run_cli("undo", log, "--db", library))


@pytest.mark.parametrize(
    "fields",
    [
        {"path": 5},
        {"target": ["x"]},
        {"op": "delete"},
        {"row_id": "abc"},
        {"row_id": 10**30},
        {"root": 3},
    ],
)
def test_undo_of_a_record_with_wrong_types_is_one_line(
    library: Path, tmp_path: Path, fields: dict[str, object]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(_record(**fields))
    _one_usage_line(run_cli("undo", log, "--db", library))


def test_undo_never_moves_a_folder(library: Path, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    log = tmp_path / "log.jsonl"
    log.write_text(_record(path=str(tmp_path / "gone.flac"), target=str(folder)))
    result = run_cli("undo", log, "--db", library)
    assert "Traceback" not in result.stderr, result.stderr
    assert (folder / "a.flac").is_file()
    assert not (tmp_path / "gone.flac").exists()
