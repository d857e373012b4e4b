"""SQL built as data by small pure functions; executing it is the caller's job."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "count_sql",
    "delete_sql",
    "placeholders",
    "select_in_sql",
    "set_flag_sql",
    "update_sql",
    "upsert_sql",
]


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


def update_sql(table: str, columns: Sequence[str], key: str, mark: str = "?") -> str:
    """UPDATE of `columns` for the row whose `key` matches; the key's value goes last."""
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    return f"UPDATE {table} SET {sets} WHERE {key} = {mark}"


def set_flag_sql(table: str, column: str, value: int, key: str, mark: str = "?") -> str:
    return f"UPDATE {table} SET {column} = {value} WHERE {key} = {mark}"


def delete_sql(table: str, key: str, mark: str = "?") -> str:
    return f"DELETE FROM {table} WHERE {key} = {mark}"


def select_in_sql(
    table: str,
    columns: Sequence[str],
    key: str,
    count: int,
    where: str = "",
    mark: str = "?",
) -> str:
    """SELECT `columns` of the rows whose `key` is one of `count` bound values."""
    extra = f"{where} AND " if where else ""
    return (
        f"SELECT {', '.join(columns)} FROM {table} "
        f"WHERE {extra}{key} IN ({placeholders(count, mark)})"
    )


def count_sql(table: str, where: str = "") -> str:
    return f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
