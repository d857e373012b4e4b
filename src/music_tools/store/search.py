"""`search`: a query's tree (search_query.py) rendered as one SELECT for a store's dialect."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..models import LibraryFile
from ..util import SEARCH_TEXT_FIELDS, SEARCH_TEXT_SEPARATOR, chunks, fold_text
from .engine import Engine
from .rows import files_from_rows
from .search_query import SearchError, SearchQuery, parse_query
from .sql import TABLE, both, where

if TYPE_CHECKING:
    from .database import LibraryDatabase

__all__ = ["folded_patterns", "render_search", "search"]

_FREE_TEXT = SEARCH_TEXT_FIELDS[:4]  # artist, title, album, album_artist (not the genre)
_ESCAPE = "\\"
_ESCAPE_CLAUSE = f"ESCAPE '{_ESCAPE}'"
_MAX_LIMIT = 2**63 - 1
_ORDER = (
    " ORDER BY artist NULLS FIRST, album NULLS FIRST, disc_number NULLS FIRST, "
    "track_number NULLS FIRST, file_path"
)


def search(
    db: LibraryDatabase, query: str | Sequence[str], limit: int | None = None
) -> Iterator[LibraryFile]:
    """Active rows matching `query`: `field:value` terms (artist, title, album, albumartist,
    genre, format, codec, path, year: 1999 or 1990..1999) and free words (looked for in the
    artist, title, album and album artist), all of which must match, as substrings. Tags
    are compared folded as the identity keys fold them (case and accents: `bjork` finds
    Björk); a path, byte for byte but for ASCII letters' case. A string is split as a shell
    would (quotes group words); a sequence is taken as the terms themselves.

    The query is checked here, before any row is read: a SearchError comes before output.
    """
    engine = db.engine
    tree = parse_query(query)
    conditions, params = render_search(engine, tree)
    scope = both("is_active = 1", engine.of_machine(db.view))
    sql = f"SELECT {', '.join(db.columns)} FROM {TABLE}{where(scope, *conditions)}{_ORDER}"
    if limit is not None:
        if not 1 <= limit <= _MAX_LIMIT:
            raise SearchError(f"the limit must be between 1 and {_MAX_LIMIT}: {limit}")
        sql += f" LIMIT {int(limit)}"
    return _rows(db, sql, params)


def _rows(db: LibraryDatabase, sql: str, params: list[Any]) -> Iterator[LibraryFile]:
    with db.reading():
        for rows in chunks(db.engine.stream(sql, params), 500):
            yield from files_from_rows(rows)


def render_search(engine: Engine, tree: SearchQuery) -> tuple[list[str], list[Any]]:
    """The WHERE conditions of `tree` on `engine`'s dialect and the values they bind;
    a SearchError when the query exceeds what one statement of that store may hold."""
    conditions: list[str] = []
    params: list[Any] = []
    escape = _ESCAPE_CLAUSE
    for column, value in tree.fields:
        if column in SEARCH_TEXT_FIELDS:
            conditions.append(_folded(engine, (column,)))
            params += folded_patterns(value, SEARCH_TEXT_FIELDS.index(column), 1)
        else:
            conditions.append(engine.text_like(column, escape))
            params.append(_like(value))
    for path in tree.paths:
        conditions.append(engine.path_like("file_path", escape))
        params.append(engine.path_pattern(_like(path)))
    for low, high in tree.years:
        conditions.append("year BETWEEN ? AND ?")
        params += [low, high]
    for word in tree.words:
        conditions.append(_folded(engine, _FREE_TEXT))
        params += folded_patterns(word, None, len(_FREE_TEXT))
    _check_limits(engine, tree.terms, params)
    return conditions, params


def _check_limits(engine: Engine, terms: int, params: list[Any]) -> None:
    """The engine's own limits (SQLite's, read from the connection), as a clear error
    before the query."""
    depth_limit, variables, longest = engine.search_limits()
    depth = depth_limit - len(_FREE_TEXT) - 10
    if terms > depth:
        raise SearchError(f"too many search terms ({terms:,}); at most {depth:,}")
    if len(params) > variables:
        raise SearchError(f"too many search terms ({terms:,}) for one query")
    if any(isinstance(p, str | bytes) and len(p) > longest for p in params):
        raise SearchError(f"a search term is too long (at most {longest - 2:,} characters)")


def _folded(engine: Engine, columns: tuple[str, ...]) -> str:
    """A tag term: the row's folded tags match (`search_text`, see util.search_text), or,
    where it holds none (every tag ASCII), one of `columns` matches as written."""
    tags = " OR ".join(engine.text_like(column, _ESCAPE_CLAUSE) for column in columns)
    return f"(search_text LIKE ? {_ESCAPE_CLAUSE} OR (search_text IS NULL AND ({tags})))"


def folded_patterns(value: str, slot: int | None, columns: int) -> list[str]:
    """The patterns a tag term binds: `value` folded, in its slot of `search_text` (None:
    in any of the free words' slots, which come first), then as a plain pattern per column.

    No folded value holds the separator, so a pattern that wants `slot` separators before
    the value and the rest after it can only match inside that slot; one that wants one
    after it (the genre's slot is last), inside a free word's slot."""
    separator = SEARCH_TEXT_SEPARATOR
    escaped = _escaped(fold_text(value).replace(separator, " "))
    last = len(SEARCH_TEXT_FIELDS) - 1
    before, after = (0, last - len(_FREE_TEXT) + 1) if slot is None else (slot, last - slot)
    inside = "%" + f"{separator}%" * before + escaped + f"%{separator}" * after + "%"
    return [inside] + [f"%{escaped}%"] * columns


def _like(text: str) -> str:
    return f"%{_escaped(text)}%"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
