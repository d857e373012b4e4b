"""Reading: one file -> one LibraryFile (tags, audio properties, identity keys) or one
ExtractError. `tags` is the only module that imports mutagen; nothing here imports a
database driver."""

from .extract import ExtractBatch, extract, extract_batch

__all__ = ["ExtractBatch", "extract", "extract_batch"]
