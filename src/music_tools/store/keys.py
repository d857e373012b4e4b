"""The identity keys rows are looked up by, under one set of names: each key's column
name (`fuzzy_block` is an expression, see blocking.py). The seed design's `hash_type`
names (`metadata`, `audio`, `content`) are accepted where it named them:
`batch_get_files_by_hashes`."""

from __future__ import annotations

from typing import Literal

from .blocking import FUZZY_BLOCK_SQL

__all__ = ["HASH_COLUMNS", "KEY_EXPRESSIONS", "HashType", "KeyName", "hash_column"]

KeyName = Literal[
    "audio_key",
    "metadata_hash",
    "audio_hash",
    "file_content_hash",
    "musicbrainz_recording_id",
    "fuzzy_block",
]
#: key name -> the indexed expression that holds it (each engine gives fuzzy_block's text)
KEY_EXPRESSIONS: dict[str, str] = {
    "audio_key": "audio_key",
    "metadata_hash": "metadata_hash",
    "audio_hash": "audio_hash",
    "file_content_hash": "file_content_hash",
    "musicbrainz_recording_id": "musicbrainz_recording_id",
    "fuzzy_block": FUZZY_BLOCK_SQL,
}

HashType = Literal[
    "metadata_hash", "audio_key", "audio_hash", "file_content_hash", "metadata", "audio", "content"
]
#: what `batch_get_files_by_hashes` takes as `hash_type` -> the column it looks in: the
#: hashes' key names, and the seed's names for them
HASH_COLUMNS: dict[str, str] = {
    "metadata_hash": "metadata_hash",
    "audio_key": "audio_key",
    "audio_hash": "audio_hash",
    "file_content_hash": "file_content_hash",
    "metadata": "metadata_hash",
    "audio": "audio_hash",
    "content": "file_content_hash",
}


def hash_column(hash_type: str) -> str:
    """The column of `hash_type`; a ValueError naming the choices for any other."""
    try:
        return HASH_COLUMNS[hash_type]
    except KeyError:
        choices = ", ".join(HASH_COLUMNS)
        raise ValueError(f"unknown hash_type {hash_type!r}; use one of: {choices}") from None
