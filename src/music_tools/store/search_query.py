"""A search query read into a small tree, before any SQL: what each word asks for.

The parser is pure (no database): `search.py` renders the tree for a store's dialect. A
query string is split as a shell would (quotes group words); each word is a field term
(`artist:bjork`), a path term (`path:live`, or any word that is not valid UTF-8: only a
file name can hold it), a year or year range (`year:1999`, `year:1990..1999`), or a free
word looked for in the artist, title, album and album artist. All must match, so the tree
keeps them by kind, not in the order given.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..util import printable_path

__all__ = ["FIELDS", "YEARS", "SearchError", "SearchQuery", "parse_query"]


class SearchError(ValueError):
    """A search query that cannot be understood."""


#: a field's name in a query -> the column it searches
FIELDS = {
    "artist": "artist",
    "title": "title",
    "album": "album",
    "albumartist": "album_artist",
    "album_artist": "album_artist",
    "genre": "genre",
    "format": "file_format",
    "codec": "codec",
}
#: the years a year term may name
YEARS = (0, 9999)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a query asks, every part of which must match."""

    #: (column, value): the column contains the value (a tag folded, see search.py)
    fields: tuple[tuple[str, str], ...] = ()
    #: the file's path contains each
    paths: tuple[str, ...] = ()
    #: (low, high): the year lies between, both included
    years: tuple[tuple[int, int], ...] = ()
    #: each is in the artist, title, album or album artist
    words: tuple[str, ...] = ()

    @property
    def terms(self) -> int:
        """How many terms it holds."""
        return len(self.fields) + len(self.paths) + len(self.years) + len(self.words)


def parse_query(query: str | Sequence[str]) -> SearchQuery:
    """The tree of `query`: a string split as a shell would, or a sequence of words taken
    as they are. Raises SearchError for what cannot be understood."""
    words = _split(query) if isinstance(query, str) else list(query)
    parts: dict[str, list[Any]] = {"fields": [], "paths": [], "years": [], "words": []}
    for word in words:
        part, value = _term(word)
        parts[part].append(value)
    return SearchQuery(**{part: tuple(values) for part, values in parts.items()})


def _split(query: str) -> list[str]:
    try:
        return shlex.split(query)
    except ValueError as exc:
        raise SearchError(f"cannot read the query: {exc}") from None


def _term(word: str) -> tuple[str, Any]:
    """Which part of the query `word` is, and its value there."""
    name, sep, value = word.partition(":")
    name = name.lower()
    if sep and name == "year":
        return "years", _years(value)
    if sep and name == "path":
        return "paths", value
    if not _is_utf8(word):  # only a file name can hold it
        return "paths", word
    if sep and name in FIELDS:
        return "fields", (FIELDS[name], value)
    if sep and name and name.isidentifier():
        known = ", ".join(sorted({*FIELDS, "path", "year"}))
        raise SearchError(f"unknown field {name!r}; use one of: {known}")
    return "words", word


def _years(value: str) -> tuple[int, int]:
    low, dots, high = value.partition("..")
    try:
        years = (int(low), int(high if dots else low))
    except ValueError:
        years = (-1, -1)
    if not all(YEARS[0] <= year <= YEARS[1] for year in years):
        raise SearchError(
            f"year wants a number from {YEARS[0]} to {YEARS[1]} or a range like "
            f"1990..1999: {printable_path(value)!r}"
        )
    return years


def _is_utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
