"""Fixtures shared by the reading tests."""

from __future__ import annotations

import pytest

from audio_factory import ALL_FORMATS, Tags, file_name, make_audio


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
