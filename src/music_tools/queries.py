"""Stats, search and relocate, where they have always been imported from; the SQL lives in
the store (`music_tools.store.queries`)."""

from .store.queries import LibraryStats, SearchError, library_stats, relocate, search

__all__ = ["LibraryStats", "SearchError", "library_stats", "relocate", "search"]
