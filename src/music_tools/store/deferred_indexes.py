"""A large first load into SQLite: the secondary indexes built once at the end, crash-safely.

Inserting a row into a B-tree keyed on a random hash touches a random leaf page; once an
index outgrows the page cache, each insert re-reads and re-writes pages, so the cost of a row
grows with the table, while one sort per index at the end does not (a million rows load in
less than half the time: docs/benchmarks.md, At scale).

So a run that starts on an empty (or nearly empty) table drops the secondary indexes it
does not look up during the load (the unique path index stays for the upsert, the folder
index for the diff), and builds them when the load ends. Crash safety: the DROP and a
`meta` row listing each dropped index's `CREATE` statement commit in one transaction, and
building them back and deleting that row commit in one other, so a run killed anywhere
leaves either all indexes or the list of those to build. `restore_indexes` builds them; it
runs whenever the database is opened for writing, so the next writer repairs what a killed
run left. Readers never write: while indexes are missing (during a first index, or after a
killed one until the next write), queries still answer, by scanning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import apsw

__all__ = [
    "DEFERRED_KEY",
    "drop_secondary_indexes",
    "indexes_pending",
    "restore_indexes",
    "sorts_spilling",
]

#: the `meta` key holding [[name, CREATE statement], ...] of the indexes a load dropped
DEFERRED_KEY = "deferred_indexes"


def drop_secondary_indexes(
    conn: apsw.Connection, table: str, keep: tuple[str, ...], below_rows: int
) -> bool:
    """Drop `table`'s non-unique indexes not in `keep`, remembering them in `meta`, if the
    table holds fewer than `below_rows` rows; inside the caller's transaction. Whether
    anything was dropped."""
    held: int = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (below_rows,)
    ).get
    if held >= below_rows:
        return False
    found = conn.execute(
        "SELECT m.name, m.sql FROM sqlite_master m "
        "WHERE m.type = 'index' AND m.tbl_name = ? AND m.sql IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.tbl_name) l "
        'WHERE l.name = m.name AND l."unique") ORDER BY m.name',
        (table,),
    ).fetchall()
    dropped = [(str(name), str(sql)) for name, sql in found if name not in keep]
    if not dropped:
        return False
    for name, _sql in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    pending = dict(_pending(conn))
    pending.update(dropped)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (DEFERRED_KEY, json.dumps(sorted(pending.items()))),
    )
    return True


def restore_indexes(conn: apsw.Connection) -> int:
    """Build the indexes a load dropped (inside the caller's transaction); how many were
    built. Idempotent: an index that exists again is skipped."""
    pending = _pending(conn)
    if not pending:
        return 0
    existing = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    built = 0
    for name, sql in pending:
        if name not in existing:
            conn.execute(sql)
            built += 1
    conn.execute("DELETE FROM meta WHERE key = ?", (DEFERRED_KEY,))
    return built


@contextmanager
def sorts_spilling(conn: apsw.Connection) -> Iterator[None]:
    """Inside, the sorts of CREATE INDEX spill past the page cache's size to temporary files
    (the connection's temp_store=MEMORY would hold a million rows' keys in memory); outside
    a transaction, which cannot change temp_store."""
    conn.execute("PRAGMA temp_store=FILE")
    try:
        yield
    finally:
        conn.execute("PRAGMA temp_store=MEMORY")


def indexes_pending(conn: apsw.Connection) -> bool:
    """Whether a load left indexes to build (a cheap read; False before `meta` exists)."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchall()
    return bool(has_meta) and bool(_pending(conn))


def _pending(conn: apsw.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT value FROM meta WHERE key = ?", (DEFERRED_KEY,)).fetchall()
    return [(name, sql) for name, sql in json.loads(str(rows[0][0]))] if rows else []
