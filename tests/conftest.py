"""Shared fixtures: real SQLite files in tmp_path, a real PostgreSQL server, realistic rows.

`db` is parametrized over both stores wherever behaviour is shared: the PostgreSQL case
runs against the server named by MUSIC_TOOLS_TEST_POSTGRES_URL (`.ci/run` starts one and
sets it), each test in a schema of its own that is dropped afterwards, and is skipped with
the reason when the variable is unset.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from music_tools.library import LibraryDatabase
from support.audio_factory import ALL_FORMATS, Tags, file_name, make_audio

POSTGRES_URL = os.environ.get("MUSIC_TOOLS_TEST_POSTGRES_URL", "")
NO_POSTGRES = "set MUSIC_TOOLS_TEST_POSTGRES_URL to run against PostgreSQL (.ci/run does)"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A `postgresql://` URL whose tables live in a fresh schema, dropped after the test."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, db_path: Path) -> str | Path:
    """Where a library lives: an SQLite file, or a PostgreSQL catalog's URL."""
    if request.param == "sqlite":
        return db_path
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("checks what only an SQLite library has")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def db(db_target: str | Path) -> Iterator[LibraryDatabase]:
    with LibraryDatabase(db_target, machine="test-host") as database:
        yield database


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bytes of one short tagged file (with a picture) of every format."""
    root = tmp_path_factory.mktemp("samples")
    return {
        fmt: make_audio(
            root / file_name(fmt), fmt, seconds=0.3, tags=Tags(), picture=True
        ).read_bytes()
        for fmt in ALL_FORMATS
    }


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs in tmp_path: another file system than tmp_path's, and one that fills
    up; skipped where mounting is denied (it needs root)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
