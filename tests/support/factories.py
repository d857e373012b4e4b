"""Factories for test data shared by tests and benchmarks."""

from __future__ import annotations

from music_tools.library import LibraryFile


def library_file(i: int, root: str = "/music", **overrides: object) -> LibraryFile:
    """A realistic row whose keys are all derived from `i` (distinct i, distinct keys)."""
    directory = f"{root}/Artist {i % 97}/Album {i % 13}"
    filename = f"{i % 20 + 1:02d} Title {i}.flac"
    values: dict[str, object] = {
        "file_path": f"{directory}/{filename}",
        "filename": filename,
        "directory": directory,
        "library_root": root,
        "artist": f"Artist {i % 97}",
        "title": f"Title {i}",
        "album": f"Album {i % 13}",
        "track_number": i % 20 + 1,
        "year": 1970 + i % 50,
        "duration": 180.5,
        "bitrate": 900,
        "sample_rate": 44_100,
        "channels": 2,
        "bits_per_sample": 16,
        "file_format": "flac",
        "codec": "flac",
        "is_lossless": True,
        "file_size": 30_000_000 + i,
        "file_mtime_ns": 1_700_000_000_000_000_000 + i,
        "metadata_hash": f"{i:032x}",
        "audio_key": f"{i + 10**9:032x}",
        "indexed_at": 1_700_000_000.0,
        "last_seen_at": 1_700_000_000.0,
    }
    values.update(overrides)
    return LibraryFile(**values)  # type: ignore[arg-type]
