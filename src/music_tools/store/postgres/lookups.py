"""Statements and lookups on one catalog connection: every statement is written with `?`
marks (as on SQLite) and rewritten to psycopg's; a lookup sends its keys as one binary
array (`key = ANY(%b)`), rows come back in psycopg's binary format, and a long read
streams through a server-side cursor."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["LOOKUP_CHUNK", "fetch", "pg", "run", "run_many", "stream"]

#: keys per `= ANY(%b)` lookup: a large share of a table's keys is then one hashed scan,
#: not ten (docs/benchmarks.md, The store on PostgreSQL)
LOOKUP_CHUNK = 50_000


@lru_cache(maxsize=512)
def pg(statement: str) -> str:
    """A statement written with `?` marks, in psycopg's `%s` style (`?b`: `%b`, a value
    sent in binary, as the key arrays of lookups are: no text escaping of each key)."""
    return statement.replace("%", "%%").replace("?b", "%b").replace("?", "%s")


def fetch(conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cursor = conn.cursor(binary=True)
    cursor.execute(pg(sql), params)
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def stream(
    conn: Any, sql: str, params: Sequence[Any], cursor_name: str
) -> Iterator[tuple[Any, ...]]:
    """Rows through a server-side cursor named `cursor_name`, so a million rows never sit
    in memory (outside a transaction, which a cursor needs, all at once)."""
    if not conn.info.transaction_status:  # idle: no snapshot to hold a cursor
        yield from fetch(conn, sql, params)
        return
    with conn.cursor(name=cursor_name, binary=True) as cursor:
        cursor.itersize = 2_000
        cursor.execute(pg(sql), params)
        yield from cursor


def run(conn: Any, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement; the number of rows it changed."""
    cursor = conn.execute(pg(sql), params)
    return max(0, int(cursor.rowcount))


def run_many(conn: Any, sql: str, params: Iterable[Sequence[Any]]) -> int:
    """One statement per parameter set; the rows changed."""
    cursor = conn.cursor()
    cursor.executemany(pg(sql), list(params))
    return max(0, int(cursor.rowcount))
