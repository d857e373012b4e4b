"""Rows as the PostgreSQL writes send them: laid out per kind of write, paths as the
bytes of their names and flags as 0 or 1 (as SQLite stores them), text without NUL, one
row per key."""

from __future__ import annotations

import os
from typing import Any

from ..sql import Write

__all__ = ["FLAG_COLUMNS", "encode", "last_per_key", "layout", "without_nul"]

FLAG_COLUMNS = frozenset({"is_active", "is_lossless"})


def layout(spec: Write) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(value columns, the columns of a row as bound: values then key where it comes last)."""
    if spec.kind == "upsert":
        return spec.columns, spec.columns
    if spec.kind == "delete":
        return (), (spec.key,)
    return spec.columns, (*spec.columns, spec.key)


def encode(row: tuple[Any, ...], paths: list[int], flags: list[int]) -> tuple[Any, ...]:
    """Paths as the bytes of their names, booleans as the 0 and 1 SQLite stores."""
    values = list(row)
    for position in paths:
        value = values[position]
        if isinstance(value, str):
            values[position] = os.fsencode(value)
    for position in flags:
        value = values[position]
        if value is not None:
            values[position] = int(value)
    return tuple(values)


def without_nul(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """`row` with each NUL of its text as U+FFFD (PostgreSQL's TEXT cannot hold NUL, which
    a tag may; SQLite stores it); `row` itself when it has none."""
    if not any(isinstance(value, str) and "\x00" in value for value in row):
        return row
    return tuple(
        value.replace("\x00", "\ufffd") if isinstance(value, str) else value for value in row
    )


def last_per_key(
    rows: list[tuple[Any, ...]], keyed: tuple[str, ...], spec: Write
) -> list[tuple[Any, ...]]:
    """One row per key, the last one given (one statement may not touch a row twice)."""
    key = keyed.index(spec.key)
    machine = keyed.index("machine") if "machine" in keyed else None
    by_key: dict[Any, tuple[Any, ...]] = {}
    for row in rows:
        by_key[(row[machine] if machine is not None else None, row[key])] = row
    return list(by_key.values()) if len(by_key) < len(rows) else rows
