"""Two `dupes --apply` at once on one SQLite library, each preferring the other's copies:
real processes, byte-identical pairs, seeded delays between their starts. Whatever the
interleaving, every pair keeps a copy in the library's roots, every file is in exactly one
place, and `undo` of both logs gives back the tree byte for byte."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

from support.audio_factory import identical_pairs

PAIRS = 120
#: (seed of the delays, runs); each run draws the delay between the two starts and who goes first
REPETITIONS = 3


def _digests(folder: Path) -> dict[str, str]:
    """Every file under `folder`, by path relative to it -> a hash of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lib/A and lib/B (two library roots) holding the same PAIRS tiny WAV files, indexed
    once into pristine/library.db; each repetition copies it back into place."""
    base = tmp_path_factory.mktemp("pairs")
    identical_pairs(base / "lib", PAIRS, seconds=0.005, name="s{:03d}.wav", title="T{}")
    db = base / "library.db"
    command = [sys.executable, "-m", "music_tools", "index", "-q", "--db", str(db)]
    done = subprocess.run(
        [*command, str(base / "lib" / "A"), str(base / "lib" / "B")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shutil.copytree(base / "lib", base / "pristine", copy_function=shutil.copy2)
    shutil.copy2(db, base / "pristine.db")
    return base


def _reset(base: Path) -> None:
    """The tree and the database as they were right after the index (same paths, sizes
    and mtimes, so the rows still describe the files)."""
    for name in ("lib", "X1", "X2", "xdg"):
        shutil.rmtree(base / name, ignore_errors=True)
    for log in base.glob("*.jsonl"):
        log.unlink()
    shutil.copytree(base / "pristine", base / "lib", copy_function=shutil.copy2)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{base / 'library.db'}{suffix}").unlink(missing_ok=True)
    shutil.copy2(base / "pristine.db", base / "library.db")


def _start(base: Path, prefer: str, how: list[str], log: str) -> subprocess.Popen[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(base / "xdg"), "HOME": str(base)}
    command = [sys.executable, "-m", "music_tools", "dupes", "-q", "--kinds", "exact"]
    command += ["--format", "json", "--db", str(base / "library.db")]
    command += ["--root", str(base / "lib" / prefer), *how, "--apply", "--log", str(base / log)]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )


def _race(base: Path, trash: bool, rng: random.Random) -> list[Path]:
    """Both runs, the second started after a seeded delay; the logs they wrote."""
    runs = [("A", "X1", "a.jsonl"), ("B", "X2", "b.jsonl")]
    rng.shuffle(runs)
    delay = rng.choice([0.0, 0.0, rng.uniform(0.0, 0.4)])
    started = []
    for prefer, spare, log in runs:
        how = ["--trash"] if trash else ["--move-to", str(base / spare)]
        started.append(_start(base, prefer, how, log))
        time.sleep(delay)
    for process in started:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "Traceback" not in err, err
    return [base / log for _, _, log in runs if (base / log).exists()]


def _copies(base: Path, trash: bool) -> dict[int, list[Path]]:
    """Pair number -> every place a file of that pair is now: the library's two roots and
    the spare folders (or the trash), under any name a move gave it ("s007 (2).wav")."""
    spares = [base / "X1", base / "X2"] if not trash else [base / "xdg" / "Trash" / "files"]
    found: dict[int, list[Path]] = {i: [] for i in range(PAIRS)}
    for folder in [base / "lib" / "A", base / "lib" / "B", *spares]:
        for path in folder.rglob("s*.wav") if folder.exists() else ():
            found[int(path.name[1:4])].append(path)
    return found


def _active_rows(base: Path) -> set[str]:
    conn = apsw.Connection(str(base / "library.db"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        query = "SELECT file_path FROM library_index WHERE is_active = 1"
        return {str(path) for (path,) in conn.execute(query)}
    finally:
        conn.close()


def _check_outcome(base: Path, trash: bool, what: str) -> None:
    """Each pair keeps a copy in the library; each of its two files is in one place."""
    for i, places in _copies(base, trash).items():
        kept = [p for p in places if p.parent.parent == base / "lib"]
        assert kept, f"{what}: pair {i} lost both copies from the library: {places}"
        assert len(places) == 2, f"{what}: pair {i} is at {places}"


@pytest.mark.slow
@pytest.mark.parametrize("trash", [False, True], ids=["move-to", "trash"])
def test_two_dupes_apply_at_once_never_remove_both_copies_of_a_pair(
    pristine: Path, trash: bool
) -> None:
    rng = random.Random(19)
    expected = _digests(pristine / "pristine")
    for repetition in range(REPETITIONS):
        _reset(pristine)
        what = f"{'trash' if trash else 'move'} run {repetition}"
        logs = _race(pristine, trash, rng)
        _check_outcome(pristine, trash, what)
        if trash:
            continue
        for log in reversed(logs):
            command = [sys.executable, "-m", "music_tools", "undo", "--db"]
            undone = subprocess.run(
                [*command, str(pristine / "library.db"), str(log)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert undone.returncode == 0, undone.stderr
        assert _digests(pristine / "lib") == expected, what
        for spare in ("X1", "X2"):
            assert not any(p.is_file() for p in (pristine / spare).rglob("*")), what
        assert _active_rows(pristine) == {str(pristine / "lib" / name) for name in expected}
