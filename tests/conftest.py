"""Shared fixtures: real SQLite files in tmp_path, realistic rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from music_tools.library import LibraryDatabase


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[LibraryDatabase]:
    with LibraryDatabase(db_path) as database:
        yield database
