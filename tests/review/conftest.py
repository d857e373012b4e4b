"""The review page's fixtures: the library made once per run and copied per test, and the
page serving it. Fingerprints are left out (`Fpcalc("")` for the page, MUSIC_TOOLS_FPCALC
empty for the command): the groups come from keys and tags, which is all the page needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.review_library import Served, copy_music, make_music, serving


@pytest.fixture(autouse=True)
def _no_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSIC_TOOLS_FPCALC", "")


@pytest.fixture(scope="session")
def music_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_music(tmp_path_factory.mktemp("review-music"))


@pytest.fixture
def music(music_template: Path, tmp_path: Path) -> Path:
    return copy_music(music_template, tmp_path)


@pytest.fixture
def served_root(tmp_path: Path) -> Path:
    """Where the served library lives (the browser test picks a short path for its
    screenshot)."""
    return tmp_path


@pytest.fixture
def served(music_template: Path, served_root: Path) -> Iterator[Served]:
    with serving(music_template, served_root) as page:
        yield page
