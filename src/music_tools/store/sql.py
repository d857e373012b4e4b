"""SQL built as data by small pure functions; executing it is the caller's job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "TABLE",
    "ItemWrite",
    "Write",
    "both",
    "delete_sql",
    "placeholders",
    "render",
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


@dataclass(frozen=True, slots=True)
class Write:
    """One kind of keyed write, rendered into SQL by each engine.

    - upsert: params are the values of `columns` (which include `key`); a row whose key
      exists is updated in place, `keep` untouched;
    - update: params are the values of `columns`, then the key's value; `sets` is a fixed
      extra SET clause (`is_active = 0`);
    - delete: params are the key's value alone.
    `scoped`: the table has a `machine` column and the key is unique per machine.
    """

    kind: Literal["upsert", "update", "delete"]
    table: str
    key: str
    columns: tuple[str, ...] = ()
    keep: tuple[str, ...] = ("id",)
    sets: str = ""
    scoped: bool = True


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """A keyed write and how each item becomes its row: `to_params` gives its values (as
    `spec` binds them), `key_of` what names it in a failure, and `repair`, where given, one
    more try at a row whose paths could not be bound as text (not valid UTF-8)."""

    spec: Write
    to_params: Callable[[Any], Sequence[Any]]
    key_of: Callable[[Any], str]
    repair: Callable[[Sequence[Any]], Sequence[Any]] | None = None


def render(spec: Write) -> str:
    """The one-row statement of `spec`, with `?` marks (also the PostgreSQL row-by-row
    fallback's text, before its marks are rewritten)."""
    if spec.kind == "upsert":
        return upsert_sql(spec.table, spec.columns, key=spec.key, keep=spec.keep)
    if spec.kind == "update":
        sets = [f"{c} = ?" for c in spec.columns] + ([spec.sets] if spec.sets else [])
        return f"UPDATE {spec.table} SET {', '.join(sets)} WHERE {spec.key} = ?"
    return delete_sql(spec.table, key=spec.key)
