"""A library read by another user than its owner (review P1): a read-only command of
someone who may write the folder left `-wal` and `-shm` files of their own beside the
library, and the owner's next `index` then failed ("read-only here"). The owner's library
keeps its own; a reader makes none."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from music_tools.cli import cli
from support.audio_factory import Tags, make_audio
from support.nobody import NOBODY, run_cli_as, run_cli_as_nobody, shared_folder

DAEMON = 1  # the owner: a user other than root, who would be let write anything


_READS = (("stats",), ("export",), ("search", "Test"))


def _load_the_commands(tmp_path: Path) -> None:
    """Each command run once here, so that the forked children, which may not read the
    interpreter's files, find every module they need loaded."""
    make_audio(tmp_path / "m" / "a.flac", "flac", seconds=0.1, tags=Tags())
    db = str(tmp_path / "warm.db")
    for command in (("index", "-q", str(tmp_path / "m")), *_READS):
        assert CliRunner().invoke(cli, [*command, "--db", db]).exit_code == 0


def test_a_read_by_another_user_leaves_nothing_of_theirs_and_the_owner_writes_on(
    tmp_path: Path,
) -> None:
    _load_the_commands(tmp_path)
    with shared_folder("other-readers-") as folder:
        music = folder / "Music"
        make_audio(music / "a.flac", "flac", seconds=0.1, tags=Tags())
        folder.chmod(0o777)  # anyone may write here: a shared or group folder
        db = folder / "lib.db"
        first = run_cli_as(DAEMON, "index", "-q", "--db", db, music)
        assert first.returncode == 0, first.stderr
        for command in _READS:
            read = run_cli_as_nobody(*command, "--db", db)
            assert read.returncode == 0, (command, read.stderr)
        theirs = [p.name for p in folder.iterdir() if p.stat().st_uid == NOBODY]
        assert theirs == [], theirs
        make_audio(music / "b.flac", "flac", seed=1, seconds=0.1, tags=Tags())
        again = run_cli_as(DAEMON, "index", "-q", "--db", db, music)
        assert again.returncode == 0, again.stderr
        assert sorted(p.name for p in folder.iterdir() if p.name.startswith("lib.db")) == [
            "lib.db",
            "lib.db-shm",
            "lib.db-wal",
            "lib.db.lock",
        ]
        assert (folder / "lib.db-wal").stat().st_size == 0  # every page in the main file
