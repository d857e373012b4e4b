"""Keys made under older normalization rules, recomputed from what the rows already hold."""

from __future__ import annotations

from ..identity.normalize import NORMALIZATION_VERSION, metadata_hash
from ..store import LibraryDatabase

__all__ = ["refresh_metadata_keys"]


def refresh_metadata_keys(db: LibraryDatabase) -> int:
    """Re-key every row whose metadata_hash predates the current rules, from its stored
    artist and title (or its file name, as at indexing): no file is read. Returns how many.

    Run by the indexer each time it opens a library; once done, it costs one look-up in an index.
    """
    stale = db.indexing.metadata_keys_older_than(NORMALIZATION_VERSION)
    keys = (
        (metadata_hash(artist, title, path), NORMALIZATION_VERSION, row_id)
        for row_id, artist, title, path in stale
    )
    return int(db.indexing.set_metadata_keys(keys)) if stale else 0
