"""The SQLite schema as forward migrations, versioned with `PRAGMA user_version`.

Version 1 is the table the seed design shipped (no audio keys, mtime in float seconds);
version 2 added the audio keys and the scan_errors table; version 3 names a failure's
cause `reason` everywhere (the column was `error`); version 4 indexes what duplicate
checking looks up besides the hash columns: the MusicBrainz recording id, and the fuzzy
blocking key (an expression of artist and title, see `store/blocking.py`); version 5 adds
`metadata_version`, the normalization rules' version of each metadata_hash; version 6
indexes the folder of each row, so the indexer diffs one folder at a time, and adds a small
key/value table `meta`; version 7 adds the acoustic fingerprints and their inverted index
(`store/fingerprints.py`); version 8 adds `search_text`, the tags folded for search (see
`util.search_text`), filled for the rows already there; version 9 adds `reader_version`, the
version of the reader (and its damage checks) that read each row, 0 for the rows already
there, so the next index reads them again; version 10 adds the quality verdict's columns
(`quality_verdict`, its reason and figures, and the analysis version that made it; see
`store/quality.py`), NULL for the rows already there; version 11 adds `bitrate_mode`
("CBR", "VBR", "ABR"), NULL for the rows already there (a newer reader version makes the
next index read them again). Each migration runs in one transaction, so an upgrade either
completes or leaves the database as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import apsw

from ..errors import SchemaError
from ..util import search_text
from .blocking import FUZZY_BLOCK_SQL
from .sql import TABLE

__all__ = ["LATEST_VERSION", "MIGRATIONS", "fingerprint_ddl", "migrate", "quality_ddl"]

_V1 = """
CREATE TABLE library_index (
    id INTEGER PRIMARY KEY,
    file_path TEXT NOT NULL,
    filename TEXT,
    directory TEXT,
    artist TEXT,
    title TEXT,
    album TEXT,
    album_artist TEXT,
    track_number INTEGER,
    disc_number INTEGER,
    year INTEGER,
    genre TEXT,
    duration REAL,
    bitrate INTEGER,
    sample_rate INTEGER,
    channels INTEGER,
    file_format TEXT,
    file_size INTEGER,
    file_mtime REAL,
    metadata_hash TEXT,
    file_content_hash TEXT,
    indexed_at REAL,
    last_seen_at REAL,
    is_active INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX idx_library_path ON library_index(file_path);
CREATE INDEX idx_active_metadata_hash ON library_index(is_active, metadata_hash);
CREATE INDEX idx_active_content_hash ON library_index(is_active, file_content_hash);
"""

_V2 = """
ALTER TABLE library_index ADD COLUMN library_root TEXT;
ALTER TABLE library_index ADD COLUMN bits_per_sample INTEGER;
ALTER TABLE library_index ADD COLUMN codec TEXT;
ALTER TABLE library_index ADD COLUMN is_lossless INTEGER;
ALTER TABLE library_index ADD COLUMN file_mtime_ns INTEGER;
ALTER TABLE library_index ADD COLUMN audio_key TEXT;
ALTER TABLE library_index ADD COLUMN audio_hash TEXT;
ALTER TABLE library_index ADD COLUMN musicbrainz_recording_id TEXT;
UPDATE library_index SET file_mtime_ns = CAST(file_mtime * 1000000000 AS INTEGER)
    WHERE file_mtime IS NOT NULL;
UPDATE library_index SET is_lossless = lower(file_format) IN
    ('flac', 'wav', 'aiff', 'alac', 'ape', 'wavpack', 'wv', 'dsf', 'tta')
    WHERE file_format IS NOT NULL;
ALTER TABLE library_index DROP COLUMN file_mtime;
CREATE INDEX idx_active_audio_key ON library_index(is_active, audio_key);
CREATE INDEX idx_active_audio_hash ON library_index(is_active, audio_hash);
CREATE INDEX idx_library_root ON library_index(library_root);
CREATE TABLE scan_errors (
    id INTEGER PRIMARY KEY,
    file_path TEXT NOT NULL,
    library_root TEXT,
    file_size INTEGER,
    file_mtime_ns INTEGER,
    error TEXT NOT NULL,
    first_seen_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
CREATE UNIQUE INDEX idx_scan_errors_path ON scan_errors(file_path);
"""


_V3 = """
ALTER TABLE scan_errors RENAME COLUMN error TO reason;
"""


_V4 = f"""
CREATE INDEX idx_active_mbid ON library_index(is_active, musicbrainz_recording_id);
CREATE INDEX idx_active_fuzzy_block ON library_index(is_active, {FUZZY_BLOCK_SQL});
"""
_V5_METADATA_VERSION = """
ALTER TABLE library_index ADD COLUMN metadata_version INTEGER;
CREATE INDEX idx_metadata_version ON library_index(metadata_version);
"""
"""Each metadata_hash remembers the normalization rules' version it was made with; rows
from before (NULL) are re-keyed from their stored artist and title by the indexer."""


_V6 = """
CREATE INDEX idx_library_directory ON library_index(directory);
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta VALUES ('arrivals_after_id', (SELECT coalesce(max(id), 0) FROM library_index));
"""


def fingerprint_ddl(key: str, real: str, blob: str, clustered: str) -> str:
    """Schema version 7: acoustic fingerprints and their inverted index (see fingerprints.py),
    in a store's types: its integer `key` type, floating point, binary, and what makes the
    term table clustered on its key (SQLite's `WITHOUT ROWID`; PostgreSQL has none)."""
    return f"""
CREATE TABLE fingerprints (
    file_id {key} PRIMARY KEY REFERENCES {TABLE}(id) ON DELETE CASCADE,
    file_size {key} NOT NULL,
    file_mtime_ns {key} NOT NULL,
    algorithm TEXT NOT NULL,
    duration {real},
    fingerprint {blob},
    reason TEXT
);
CREATE TABLE fingerprint_terms (
    term INTEGER NOT NULL,
    file_id {key} NOT NULL REFERENCES fingerprints(file_id) ON DELETE CASCADE,
    PRIMARY KEY (term, file_id)
){clustered};
CREATE INDEX idx_fingerprint_terms_file ON fingerprint_terms(file_id);
"""


def _fill_directories(conn: apsw.Connection) -> None:
    """Rows from before the directory was always set get it from their path, so that the
    indexer can diff folder by folder."""
    rows = conn.execute(
        "SELECT id, file_path FROM library_index WHERE directory IS NULL"
    ).fetchall()
    conn.executemany(
        "UPDATE library_index SET directory = ? WHERE id = ?",
        [(_dirname(path), row_id) for row_id, path in rows],
    )


def _dirname(path: Any) -> str | bytes:
    """The folder part, stored as the indexer stores it: TEXT when valid UTF-8."""
    folder: str | bytes = os.path.dirname(path)
    if isinstance(folder, bytes):
        try:
            return folder.decode("utf-8")
        except UnicodeDecodeError:
            return folder
    return folder


def _v6(conn: apsw.Connection) -> None:
    _fill_directories(conn)
    conn.execute(_V6)


#: the tags search folds, in `util.SEARCH_TEXT_FIELDS` order
FOLDED_TAGS = "SELECT id, artist, title, album, album_artist, genre FROM library_index"


def _v8(conn: apsw.Connection) -> None:
    """The folded tags, filled for the rows already there: only those with a tag that is
    not ASCII get a value, so a library of ASCII tags writes nothing but the column."""
    conn.execute("ALTER TABLE library_index ADD COLUMN search_text TEXT")
    folded = [
        (text, row_id)
        for row_id, *tags in conn.execute(FOLDED_TAGS)
        if (text := search_text(*tags)) is not None
    ]
    conn.executemany("UPDATE library_index SET search_text = ? WHERE id = ?", folded)


#: rows from before readers were versioned are of version 0: an index reads them again
READER_VERSION_DDL = "ALTER TABLE library_index ADD COLUMN reader_version INTEGER DEFAULT 0"


def quality_ddl(text: str) -> str:
    """Schema version 10: the quality verdict stored in the row, in a store's text type."""
    columns = (
        ("quality_verdict", text),
        ("quality_reason", text),
        ("quality_cutoff_hz", "INTEGER"),
        ("quality_likely_source", text),
        ("quality_source_rate_hz", "INTEGER"),
        ("quality_effective_bits", "INTEGER"),
        ("quality_version", "INTEGER"),
    )
    return "".join(f"ALTER TABLE {TABLE} ADD COLUMN {name} {kind};\n" for name, kind in columns)


#: schema version 11: CBR, VBR or ABR, in both stores' text type
BITRATE_MODE_DDL = "ALTER TABLE library_index ADD COLUMN bitrate_mode {text}"


def _script(sql: str) -> Callable[[apsw.Connection], None]:
    def run(conn: apsw.Connection) -> None:
        conn.execute(sql)  # apsw runs every statement in the string

    return run


MIGRATIONS: tuple[Callable[[apsw.Connection], None], ...] = (
    _script(_V1),
    _script(_V2),
    _script(_V3),
    _script(_V4),
    _script(_V5_METADATA_VERSION),
    _v6,
    _script(fingerprint_ddl("INTEGER", "REAL", "BLOB", " WITHOUT ROWID")),
    _v8,
    _script(READER_VERSION_DDL),
    _script(quality_ddl("TEXT")),
    _script(BITRATE_MODE_DDL.format(text="TEXT")),
)
LATEST_VERSION = len(MIGRATIONS)


def user_version(conn: apsw.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").get
    return version


def migrate(conn: apsw.Connection, target: int = LATEST_VERSION) -> int:
    """Bring the schema up to `target`, one transaction per step; return the old version."""
    start = user_version(conn)
    if start > LATEST_VERSION:
        raise SchemaError(
            "",
            f"database schema version {start} is newer than this music-tools "
            f"understands ({LATEST_VERSION}); upgrade music-tools",
        )
    for version in range(start, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) == version:  # another process may have migrated meanwhile
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return start
