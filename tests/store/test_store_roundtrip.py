"""Hypothesis: any LibraryFile survives every batch method unchanged."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music_tools.library import LibraryDatabase, LibraryFile

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TEXT = st.text(max_size=40)  # any Unicode scalar value, NUL and astral planes included
MAYBE_TEXT = st.none() | TEXT
MAYBE_INT = st.none() | INT64
MAYBE_FLOAT = st.none() | st.floats(allow_nan=False)  # SQLite stores NaN as NULL
HASH = st.none() | st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)
# Any file-system name: raw bytes decoded as os.fsdecode does (surrogate escapes included).
PATH = st.binary(min_size=1, max_size=60).map(os.fsdecode)


@st.composite
def library_files(draw: st.DrawFn) -> LibraryFile:
    return LibraryFile(
        file_path=draw(PATH),
        filename=draw(st.none() | PATH),
        directory=draw(st.none() | PATH),
        library_root=draw(st.none() | PATH),
        artist=draw(MAYBE_TEXT),
        title=draw(MAYBE_TEXT),
        album=draw(MAYBE_TEXT),
        album_artist=draw(MAYBE_TEXT),
        track_number=draw(MAYBE_INT),
        disc_number=draw(MAYBE_INT),
        year=draw(MAYBE_INT),
        genre=draw(MAYBE_TEXT),
        duration=draw(MAYBE_FLOAT),
        bitrate=draw(MAYBE_INT),
        sample_rate=draw(MAYBE_INT),
        channels=draw(MAYBE_INT),
        bits_per_sample=draw(MAYBE_INT),
        file_format=draw(MAYBE_TEXT),
        codec=draw(MAYBE_TEXT),
        is_lossless=draw(st.none() | st.booleans()),
        file_size=draw(MAYBE_INT),
        file_mtime_ns=draw(MAYBE_INT),
        metadata_hash=draw(HASH),
        audio_key=draw(HASH),
        audio_hash=draw(HASH),
        file_content_hash=draw(HASH),
        musicbrainz_recording_id=draw(MAYBE_TEXT),
        indexed_at=draw(MAYBE_FLOAT),
        last_seen_at=draw(MAYBE_FLOAT),
        is_active=True,
    )


def unique_paths(files: list[LibraryFile]) -> list[LibraryFile]:
    return list({f.file_path: f for f in files}.values())


HASH_FIELDS = {
    "metadata": "metadata_hash",
    "audio_key": "audio_key",
    "audio": "audio_hash",
    "content": "file_content_hash",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(library_files(), min_size=1, max_size=25).map(unique_paths),
    st.lists(library_files(), min_size=25, max_size=25),
)
def test_any_library_file_round_trips_through_every_batch_method(
    files: list[LibraryFile], changes: list[LibraryFile]
) -> None:
    with tempfile.TemporaryDirectory() as tmp, LibraryDatabase(Path(tmp) / "t.db") as db:
        assert db.batch_insert_files(iter(files), batch_size=7).written == len(files)
        found = db.batch_get_files_by_paths([f.file_path for f in files], batch_size=3)
        assert {p: replace(f, id=None) for p, f in found.items() if f} == {
            f.file_path: f for f in files
        }

        for hash_type, field in HASH_FIELDS.items():
            keys = {getattr(f, field) for f in files} - {None}
            by_hash = db.batch_get_files_by_hashes(keys, hash_type)  # type: ignore[arg-type]
            for key, rows in by_hash.items():
                expected = sorted(f.file_path for f in files if getattr(f, field) == key)
                assert sorted(r.file_path for r in rows) == expected

        updated = [
            replace(change, file_path=f.file_path)
            for f, change in zip(files, changes, strict=False)
        ]
        assert db.batch_update_files(updated, batch_size=4).written == len(files)
        found = db.batch_get_files_by_paths([f.file_path for f in files])
        assert [replace(found[f.file_path], id=None) for f in updated] == updated  # type: ignore[type-var]

        half = [f.file_path for f in files[::2]]
        assert db.batch_mark_inactive(half).written == len(half)
        assert db.count_files() == len(files) - len(half)
        assert db.batch_delete_files(half).written == len(half)
        assert db.count_files(active_only=False) == len(files) - len(half)
        assert all(v is None for v in db.batch_get_files_by_paths(half).values())
