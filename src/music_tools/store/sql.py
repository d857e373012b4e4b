"""SQL built as data by small pure functions; executing it is the caller's job."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "TABLE",
    "both",
    "delete_sql",
    "placeholders",
    "upsert_sql",
    "where",
]

#: the table of library rows (one per file)
TABLE = "library_index"


def both(*predicates: str) -> str:
    """`a AND b` of the predicates that are not empty ("" when none is)."""
    return " AND ".join(p for p in predicates if p)


def where(*predicates: str) -> str:
    """` WHERE a AND b` of the predicates that are not empty ("" when none is)."""
    found = both(*predicates)
    return f" WHERE {found}" if found else ""


def placeholders(count: int, mark: str = "?") -> str:
    return ", ".join([mark] * count)


def upsert_sql(
    table: str, columns: Sequence[str], key: str, keep: Sequence[str] = ("id",), mark: str = "?"
) -> str:
    """INSERT of every column; a row whose `key` exists is updated in place, `keep` untouched."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in (key, *keep))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns), mark)}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def delete_sql(table: str, key: str, mark: str = "?") -> str:
    return f"DELETE FROM {table} WHERE {key} = {mark}"
