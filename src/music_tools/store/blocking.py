"""The fuzzy blocking key: which rows are worth comparing by string similarity.

Comparing every pair of 100,000 rows is 5 billion comparisons; instead each row falls in a
block named by the first three letters of its artist (a leading "The " skipped) and the
first two of its title, ASCII case folded, and only rows of one block are compared. The
key is an SQL expression with an index on it (schema version 4), so nothing has to keep a
column current: SQLite maintains the index on every write, whoever writes. `block_key`
computes the same value in Python for a file not in the library.

What it misses, by design: two spellings that differ within those first letters ("Beatels"
is found, "Baetles" is not), and non-ASCII capitals there ("Émile" and "émile" fall in
different blocks; the same-song key, which folds case and accents, still pairs them).
"""

from __future__ import annotations

__all__ = ["FUZZY_BLOCK_SQL", "block_key", "fuzzy_block_sql"]


def fuzzy_block_sql(lower: str = "lower({})") -> str:
    """The blocking key as an SQL expression; `lower` folds ASCII capitals only (SQLite's
    lower() does; PostgreSQL's folds every letter, so it is given a translate())."""
    artist = lower.format("ltrim(artist)")
    title = lower.format("ltrim(title)")
    return (
        f"(CASE WHEN substr({artist}, 1, 4) = 'the ' "
        f"THEN substr(ltrim(substr({artist}, 5)), 1, 3) "
        f"ELSE substr({artist}, 1, 3) END || '|' || substr({title}, 1, 2))"
    )


FUZZY_BLOCK_SQL = fuzzy_block_sql()

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def block_key(artist: str | None, title: str | None) -> str | None:
    """The value of FUZZY_BLOCK_SQL for this artist and title (None when either is missing)."""
    if artist is None or title is None:
        return None
    # SQLite's text functions stop at a NUL character
    artist, title = artist.partition("\x00")[0], title.partition("\x00")[0]
    artist = artist.lstrip(" ").translate(_ASCII_LOWER)
    if artist[:4] == "the ":
        artist = artist[4:].lstrip(" ")
    return f"{artist[:3]}|{title.lstrip(' ').translate(_ASCII_LOWER)[:2]}"
