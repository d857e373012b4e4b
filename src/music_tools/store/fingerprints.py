"""Acoustic fingerprints in the database (`db.fingerprints`): their writes and the
inverted-index lookups, on both stores.

Two tables (schema version 7; their DDL is in schema.py and postgres/schema.py).
`fingerprints` holds one row per library row that was fingerprinted: the values as a BLOB
of little-endian uint32 (about 3.8 KB for 120 s), or NULL and the `reason` there is none;
the file's size and mtime and the `algorithm` (with the decoder's version) it was made
from, so a changed file or a new algorithm is redone.
A reason is either "no fingerprint: ..." (silent, constant or too short: a fact about the
audio) or a failure (fpcalc cannot decode the file, crashed on it, printed nonsense), which
`failures()` lists beside the scan errors. Failures that say nothing about the
file (fpcalc stopped, timed out) are never stored: the next run tries again.
`fingerprint_terms` is the inverted index: (term, file_id) for a sample of each
fingerprint's values (about 1 in 8, so ~120 rows for 120 s), keyed by term first, so the
candidates for a fingerprint are one index range per term and the files sharing a term are
neighbours in one index scan; a second index by file_id lets a row's terms be replaced.

The statements run on both engines (their `?` marks, their key lists). Terms are signed
32-bit integers, as pg_acoustid stores them. In a shared catalog, the rows to fingerprint
are this machine's (its files are the ones it can read); candidates and pairs come from
the whole catalog (or `db.view`'s machine).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..models import LibraryFile, ScanFailure
from .engine import Engine
from .matching import write_as_cache
from .rows import decode_path, files_from_rows
from .sql import TABLE
from .stale import StaleRow, StaleRows

__all__ = ["FingerprintRow", "Fingerprints", "StaleRow"]

_UPSERT = (
    "INSERT INTO fingerprints (file_id, file_size, file_mtime_ns, algorithm, duration, "
    "fingerprint, reason) SELECT ?, ?, ?, ?, ?, ?, ? "
    f"WHERE EXISTS (SELECT 1 FROM {TABLE} WHERE id = ?) ON CONFLICT (file_id) DO UPDATE SET "
    "file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns, "
    "algorithm = excluded.algorithm, duration = excluded.duration, "
    "fingerprint = excluded.fingerprint, reason = excluded.reason"
)
_DELETE_TERMS = "DELETE FROM fingerprint_terms WHERE file_id = ?"
_INSERT_TERM = "INSERT INTO fingerprint_terms (term, file_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
_STALE_WHERE = (
    f"FROM {TABLE} l LEFT JOIN fingerprints f ON f.file_id = l.id WHERE l.is_active = 1 "
    "AND (f.file_id IS NULL OR f.file_size IS DISTINCT FROM l.file_size "
    "OR f.file_mtime_ns IS DISTINCT FROM l.file_mtime_ns OR f.algorithm <> ?)"
)
"""Null-safe inequality, spelled as both engines spell it (SQLite since 3.39)."""
#: the reasons that are not failures (identity.fpcalc_output.NO_FINGERPRINT and its kin)
_NOT_FAILURES = "no fingerprint%"
_CURRENT = "f.file_size = l.file_size AND f.file_mtime_ns = l.file_mtime_ns"


@dataclass(slots=True)
class FingerprintRow:
    """A stored fingerprint (or its absence: `data` None, `reason` why), valid while the
    file has `file_size` and `file_mtime_ns` and the fingerprinter is `algorithm`."""

    file_id: int
    file_size: int
    file_mtime_ns: int
    algorithm: str
    duration: float | None
    data: bytes | None
    reason: str | None


class Fingerprints:
    """`db.fingerprints`: the stored prints, their terms, and the lookups over them, on one
    store (`engine`); this machine's rows are the ones to fingerprint, candidates come from
    the catalog (or `engine.view`'s machine's rows)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stale = StaleRows(engine, _STALE_WHERE, table="l")

    def stale(self, algorithm: str, after_id: int = 0, limit: int = -1) -> list[StaleRow]:
        """Active rows of this machine without a fingerprint made by `algorithm` from the
        file as it is now (as the row records it), a page at a time (`StaleRows.page`)."""
        return self._stale.page(algorithm, after_id, limit)

    def count_stale(self, algorithm: str) -> int:
        """How many rows `stale` would give."""
        return self._stale.count(algorithm)

    def save(self, rows: Sequence[tuple[FingerprintRow, Sequence[int]]]) -> int:
        """Store fingerprints and their terms (replacing a row's old ones) in one
        transaction; a row whose library row is gone meanwhile is skipped. Returns the rows
        stored."""
        if not rows:
            return 0
        stored = 0
        engine = self._engine
        with engine.atomic():
            for row, terms in rows:
                if not engine.run(_UPSERT, _params(row)):
                    continue  # the library row was deleted since it was read
                engine.run(_DELETE_TERMS, (row.file_id,))
                engine.run_many(_INSERT_TERM, [(term, row.file_id) for term in terms])
                stored += 1
        return stored

    def cache(self, rows: Sequence[tuple[FingerprintRow, Sequence[int]]]) -> int:
        """`save`, as a cache (`write_as_cache`): made while looking for duplicates."""
        return write_as_cache(self._engine, lambda: self.save(rows)) if rows else 0

    def by_ids(self, ids: Iterable[int]) -> dict[int, FingerprintRow]:
        """Stored fingerprints of these rows (those that have one), in one snapshot."""
        found: dict[int, FingerprintRow] = {}
        engine = self._engine
        head = (
            "SELECT file_id, file_size, file_mtime_ns, algorithm, duration, fingerprint, "
            "reason FROM fingerprints WHERE "
        )
        with engine.snapshot():
            for rows in engine.select_in(head, "file_id", sorted(set(ids))):
                for values in rows:
                    row = FingerprintRow(*values)
                    if row.data is not None:
                        row.data = bytes(row.data)
                    found[row.file_id] = row
        return found

    def by_audio_keys(self, audio_keys: Iterable[str], algorithm: str) -> dict[str, FingerprintRow]:
        """For each audio_key, the stored fingerprint (or reason for none) of an active row
        of that audio, made by `algorithm` from the file as its row records it: a copy, a
        hard link or a re-tagged file decodes to the same samples, so it has the same print."""
        found: dict[str, FingerprintRow] = {}
        head = (
            "SELECT l.audio_key, f.file_id, f.file_size, f.file_mtime_ns, f.algorithm, "
            f"f.duration, f.fingerprint, f.reason FROM fingerprints f JOIN {TABLE} l "
            f"ON l.id = f.file_id WHERE l.is_active = 1 AND {_CURRENT} AND "
        )
        with self._engine.snapshot():
            for rows in self._engine.select_in(head, "l.audio_key", sorted(set(audio_keys))):
                for audio_key, *values in rows:
                    row = FingerprintRow(*values)
                    if row.algorithm == algorithm and (audio_key not in found or row.data):
                        row.data = bytes(row.data) if row.data is not None else None
                        found[audio_key] = row
        return found

    def failures(self) -> list[ScanFailure]:
        """This machine's active files that fpcalc could not fingerprint, with the reason
        stored (made from the file as it is now), by path."""
        mine = self._engine.mine()
        query = (
            "SELECT l.file_path, f.reason, l.file_size, l.file_mtime_ns, l.library_root "
            f"FROM fingerprints f JOIN {TABLE} l ON l.id = f.file_id WHERE l.is_active = 1 "
            f"AND f.fingerprint IS NULL AND f.reason NOT LIKE ? AND {_CURRENT}"
            + (f" AND l.{mine}" if mine else "")
        )
        with self._engine.snapshot():
            rows = self._engine.fetch(query, (_NOT_FAILURES,))
        failures = [
            ScanFailure(decode_path(path), str(reason), size, mtime_ns, decode_path(root))
            for path, reason, size, mtime_ns, root in rows
        ]
        return sorted(failures, key=lambda failure: failure.file_path)

    def files_by_ids(self, ids: Iterable[int]) -> dict[int, LibraryFile]:
        """Active library rows by id, in one snapshot."""
        found: dict[int, LibraryFile] = {}
        engine = self._engine
        head = f"SELECT {', '.join(engine.columns)} FROM {TABLE} WHERE is_active = 1 AND "
        with engine.snapshot():
            for rows in engine.select_in(head, "id", sorted(set(ids))):
                for file in files_from_rows(rows):
                    found[file.id or 0] = file
        return found

    def candidates_by_terms(
        self, terms: Sequence[int], min_shared: int = 2, limit: int = 20
    ) -> list[tuple[int, int]]:
        """(file_id, terms shared) of the active rows sharing at least `min_shared` of
        `terms`, most shared first, at most `limit`: one query over the term index."""
        if not terms:
            return []
        engine = self._engine
        terms = sorted(set(terms))[: engine.param_limit - 2]
        scope = engine.of_machine(engine.view)
        query = (
            f"SELECT t.file_id, count(*) AS shared FROM fingerprint_terms t JOIN {TABLE} l "
            f"ON l.id = t.file_id WHERE {engine.in_clause('t.term', len(terms))} "
            f"AND l.is_active = 1 {f'AND l.{scope} ' if scope else ''}"
            "GROUP BY t.file_id HAVING count(*) >= ? ORDER BY shared DESC, t.file_id LIMIT ?"
        )
        with engine.snapshot():
            rows = engine.fetch(query, [*engine.in_params(terms), min_shared, limit])
        return [(int(file_id), int(shared)) for file_id, shared in rows]

    def shared_term_pairs(
        self, min_shared: int = 2, max_postings: int = 64
    ) -> Iterator[tuple[int, int, int]]:
        """(id_a, id_b, terms shared) for every pair of active fingerprinted rows sharing at
        least `min_shared` terms, id_a < id_b. One scan of the term index in term order:
        each term's few postings pair up; a term found in more than `max_postings` files
        says little (a value common to silence or a click) and is skipped, so no step is
        quadratic in the library, only in a term's postings."""
        engine = self._engine
        scope = engine.of_machine(engine.view)
        query = (
            "SELECT t.term, t.file_id FROM fingerprint_terms t WHERE t.term IN ("
            "SELECT term FROM fingerprint_terms GROUP BY term HAVING count(*) BETWEEN 2 AND ?) "
            f"AND t.file_id IN (SELECT id FROM {TABLE} WHERE is_active = 1"
            f"{f' AND {scope}' if scope else ''}) ORDER BY t.term"
        )
        counts: dict[tuple[int, int], int] = {}
        with engine.snapshot():
            postings: list[int] = []
            current = None
            for term, file_id in engine.stream(query, (max_postings,)):
                if term != current:
                    _count_pairs(postings, counts)
                    postings, current = [], term
                postings.append(file_id)
            _count_pairs(postings, counts)
        for (a, b), shared in counts.items():
            if shared >= min_shared:
                yield a, b, shared

    def counts(self) -> tuple[int, int, int]:
        """(fingerprints stored, rows fingerprinted without one, index terms)."""
        fetch = self._engine.fetch
        with self._engine.snapshot():
            have = fetch("SELECT count(*) FROM fingerprints WHERE fingerprint IS NOT NULL")
            without = fetch("SELECT count(*) FROM fingerprints WHERE fingerprint IS NULL")
            terms = fetch("SELECT count(*) FROM fingerprint_terms")
        return int(have[0][0]), int(without[0][0]), int(terms[0][0])


def _params(row: FingerprintRow) -> tuple[object, ...]:
    return (
        row.file_id,
        row.file_size,
        row.file_mtime_ns,
        row.algorithm,
        row.duration,
        row.data,
        row.reason,
        row.file_id,
    )


def _count_pairs(postings: list[int], counts: dict[tuple[int, int], int]) -> None:
    postings.sort()
    for i, a in enumerate(postings):
        for b in postings[i + 1 :]:
            counts[(a, b)] = counts.get((a, b), 0) + 1
