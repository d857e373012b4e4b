"""same_recording: files whose audio matches by fingerprint, whatever their tags say.

Never all pairs: candidates come from the inverted index of fingerprint terms (for one new
file, one query; for the whole library, one scan of the term index, pairing only the files
that share terms), and only those few are aligned and scored by bit error rate.
"""

from __future__ import annotations

from collections.abc import Callable

from ..identity.fingerprint import align, confidence, terms
from ..models import LibraryFile
from ..store import LibraryDatabase
from ..store.fingerprints import (
    candidates_by_terms,
    files_by_ids,
    fingerprints_by_ids,
    shared_term_pairs,
)
from ..util import printable_path
from .model import Match, MatchKind
from .prints import FingerprintCache

__all__ = ["recording_edges", "recording_matches"]

Edge = tuple[int, int, MatchKind]


def recording_matches(
    file: LibraryFile,
    db: LibraryDatabase,
    prints: FingerprintCache,
    skip: Callable[[LibraryFile], bool],
) -> list[Match]:
    """Library rows that are the same recording as `file` (a new file), surest first;
    rows for which `skip` is true (the file itself, rows matched otherwise) left out."""
    data = prints.get(file)
    if data is None:
        return []
    found = candidates_by_terms(db, terms(data))
    rows = [row for row in files_by_ids(db, [i for i, _ in found]).values() if not skip(row)]
    prints.prefetch(rows)
    matches: list[Match] = []
    for row in rows:
        alignment = prints.compare(row, file)  # the offset: how much later the new one starts
        if alignment is None or not alignment.matches:
            continue
        reason = (
            f"same recording as {printable_path(row.file_path)} by fingerprint "
            f"({alignment.ber:.0%} of bits differ, offset {alignment.offset_s:+.1f} s)"
        )
        matches.append(Match(row, "same_recording", confidence(alignment), reason))
    return sorted(matches, key=lambda m: -m.confidence)


def recording_edges(
    db: LibraryDatabase, algorithm: str | None
) -> tuple[dict[int, LibraryFile], list[Edge]]:
    """(the rows involved, the pairs of active rows whose stored fingerprints match).

    Only stored fingerprints count (made by `algorithm`, from the file as its row
    records it): `index --fingerprint` makes them."""
    pairs = [(a, b) for a, b, _ in shared_term_pairs(db)]
    ids = {i for pair in pairs for i in pair}
    files = files_by_ids(db, ids)
    stored = fingerprints_by_ids(db, files)
    valid = {
        i: row.data
        for i, row in stored.items()
        if row.data is not None
        and row.algorithm == algorithm
        and (row.file_size, row.file_mtime_ns) == (files[i].file_size, files[i].file_mtime_ns)
    }
    edges: list[Edge] = []
    for a, b in pairs:
        if a in valid and b in valid:
            alignment = align(valid[a], valid[b])
            if alignment is not None and alignment.matches:
                edges.append((a, b, "same_recording"))
    return {i: files[i] for i in valid}, edges
