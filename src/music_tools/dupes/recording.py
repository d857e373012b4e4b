"""same_recording: files whose audio matches by fingerprint, whatever their tags say, as
long as the audio ends at about the same place (within `rules.tolerance`, once aligned: a
radio edit or an extended mix of the recording is another edit, not a duplicate) and,
where both have titles, these name the same version ("remix", "live"...).

Never all pairs: candidates come from the inverted index of fingerprint terms (for one new
file, one query; for the whole library, one scan of the term index, pairing only the files
that share terms), and only those few are aligned and scored by bit error rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..identity.fingerprint import align, confidence, terms
from ..models import LibraryFile
from ..store import LibraryDatabase
from .joining import Edge
from .model import Evidence, Match, Miss
from .prints import FingerprintCache
from .rules import aligned_durations_agree, same_version, version_words

__all__ = ["recording_edges", "recording_matches"]


def recording_matches(
    file: LibraryFile,
    db: LibraryDatabase,
    prints: FingerprintCache,
    skip: Callable[[LibraryFile], bool],
) -> tuple[list[Match], list[Evidence]]:
    """(library rows that are the same recording as `file` (a new file), surest first;
    rows that sound the same but are not: another edit, another version). Rows for which
    `skip` is true (the file itself, rows matched otherwise) are left out."""
    data = prints.get(file)
    if data is None:
        return [], []
    found = db.fingerprints.candidates_by_terms(terms(data))
    rows = [
        row for row in db.fingerprints.files_by_ids([i for i, _ in found]).values() if not skip(row)
    ]
    prints.prefetch(rows)
    matches: list[Match] = []
    near_misses: list[Evidence] = []
    for row in rows:
        alignment = prints.compare(row, file)  # the offset: how much later the new one starts
        if alignment is None or not alignment.matches:
            continue
        heard = Evidence(
            "fingerprint",
            row.file_path,
            file.duration,
            row.duration,
            bit_error_rate=alignment.ber,
            offset_s=alignment.offset_s,
        )
        other = _another_cut(row, file, alignment.offset_s)
        if other == "another_version":
            versions = (_version_words(file), _version_words(row))
            near_misses.append(replace(heard, miss=other, versions=versions))
        elif other is not None:
            near_misses.append(replace(heard, miss=other))
        else:
            matches.append(Match(row, "same_recording", confidence(alignment), heard))
    return sorted(matches, key=lambda m: -m.confidence), near_misses


def _another_cut(a: LibraryFile, b: LibraryFile, offset_s: float) -> Miss | None:
    """Why two files whose fingerprints match are not duplicates, or None: b's audio starts
    `offset_s` later than a's."""
    if aligned_durations_agree(a, b, offset_s) is False:
        return "another_edit"
    if not same_version(a, b):
        return "another_version"
    return None


def _version_words(file: LibraryFile) -> tuple[str, ...]:
    return tuple(sorted(version_words(file) or ()))


def recording_edges(
    db: LibraryDatabase, algorithm: str | None
) -> tuple[dict[int, LibraryFile], list[Edge], dict[tuple[int, int], float]]:
    """(the rows involved, the pairs of active rows whose stored fingerprints match and
    that are not other edits or versions of each other, and for each pair (a, b) how much
    later b's audio starts than a's).

    Only stored fingerprints count (made by `algorithm`, from the file as its row
    records it): `index --fingerprint` makes them."""
    pairs = [(a, b) for a, b, _ in db.fingerprints.shared_term_pairs()]
    ids = {i for pair in pairs for i in pair}
    files = db.fingerprints.files_by_ids(ids)
    stored = db.fingerprints.by_ids(files)
    valid = {
        i: row.data
        for i, row in stored.items()
        if row.data is not None
        and row.algorithm == algorithm
        and (row.file_size, row.file_mtime_ns) == (files[i].file_size, files[i].file_mtime_ns)
    }
    edges: list[Edge] = []
    offsets: dict[tuple[int, int], float] = {}
    for a, b in pairs:
        if a in valid and b in valid:
            alignment = align(valid[a], valid[b])
            if (
                alignment is not None
                and alignment.matches
                and _another_cut(files[a], files[b], alignment.offset_s) is None
            ):
                edges.append((a, b, "same_recording"))
                offsets[(a, b)] = alignment.offset_s
    return {i: files[i] for i in valid}, edges, offsets
