"""The fingerprint tables and their inverted index, on real SQLite (no fpcalc needed)."""

from __future__ import annotations

from music_tools.library import LibraryDatabase
from music_tools.store.fingerprints import FingerprintRow
from support.factories import library_file

ALGORITHM = "chromaprint2/test"


def _ids(db: LibraryDatabase, count: int) -> list[int]:
    db.batch_insert_files(library_file(i) for i in range(count))
    return [row_id for (row_id,) in db.engine.fetch("SELECT id FROM library_index ORDER BY id")]


def _row(
    db: LibraryDatabase, row_id: int, data: bytes | None = b"\x01\x00\x00\x00"
) -> FingerprintRow:
    ((size, mtime),) = db.engine.fetch(
        "SELECT file_size, file_mtime_ns FROM library_index WHERE id = ?", (row_id,)
    )
    return FingerprintRow(row_id, size, mtime, ALGORITHM, 120.0, data, None if data else "no")


def test_candidates_come_from_shared_terms_most_shared_first(db: LibraryDatabase) -> None:
    a, b, c, d = _ids(db, 4)
    db.fingerprints.save(
        [
            (_row(db, a), [1, 2, 3, 4]),
            (_row(db, b), [1, 2, 3, 9]),
            (_row(db, c), [1, 2, 8, 9]),
            (_row(db, d), [1, 7, 8, 9]),
        ],
    )
    assert db.fingerprints.candidates_by_terms([1, 2, 3, 4]) == [(a, 4), (b, 3), (c, 2)]
    assert db.fingerprints.candidates_by_terms([1, 2, 3, 4], min_shared=3, limit=1) == [(a, 4)]
    db.batch_mark_inactive([library_file(0).file_path])
    assert db.fingerprints.candidates_by_terms([1, 2, 3, 4]) == [(b, 3), (c, 2)]


def test_saving_again_replaces_the_terms_and_deleting_the_row_drops_both(
    db: LibraryDatabase,
) -> None:
    (a,) = _ids(db, 1)
    db.fingerprints.save([(_row(db, a), [1, 2, 3])])
    db.fingerprints.save([(_row(db, a, b"\x02\x00\x00\x00"), [7, 8])])
    assert db.fingerprints.candidates_by_terms([1, 2, 3]) == []
    assert db.fingerprints.candidates_by_terms([7, 8]) == [(a, 2)]
    assert db.fingerprints.by_ids([a])[a].data == b"\x02\x00\x00\x00"
    db.batch_delete_files([library_file(0).file_path])
    assert db.fingerprints.by_ids([a]) == {}
    assert db.engine.fetch("SELECT count(*) FROM fingerprint_terms") == [(0,)]


def test_pairs_share_at_least_two_terms_and_a_term_in_too_many_files_is_skipped(
    db: LibraryDatabase,
) -> None:
    ids = _ids(db, 6)
    common = 99  # in every file: says nothing
    rows = [(_row(db, i), [common, 10 + n]) for n, i in enumerate(ids)]
    rows[1] = (_row(db, ids[1]), [common, 10, 11, 12])  # shares 10 with ids[0]
    rows[2] = (_row(db, ids[2]), [common, 10, 12, 13])  # shares 10, 12 with ids[1]
    db.fingerprints.save(rows)
    pairs = list(db.fingerprints.shared_term_pairs(min_shared=2, max_postings=5))
    assert pairs == [(ids[1], ids[2], 2)]
    with_common = {
        (a, b) for a, b, _ in db.fingerprints.shared_term_pairs(min_shared=2, max_postings=6)
    }
    assert (ids[0], ids[1]) in with_common and len(with_common) > 1


def test_a_fingerprint_is_stale_when_the_file_or_the_fingerprinter_changed(
    db: LibraryDatabase,
) -> None:
    a, b, c = _ids(db, 3)
    assert db.fingerprints.count_stale(ALGORITHM) == 3
    db.fingerprints.save([(_row(db, a), [1]), (_row(db, b), [2]), (_row(db, c, None), [])])
    assert db.fingerprints.count_stale(ALGORITHM) == 0  # "no fingerprint" is an answer too
    with db.atomic():
        db.engine.run("UPDATE library_index SET file_size = file_size + 1 WHERE id = ?", (b,))
    assert [s.row_id for s in db.fingerprints.stale(ALGORITHM)] == [b]
    assert db.fingerprints.count_stale("chromaprint3/test") == 3
    assert [s.row_id for s in db.fingerprints.stale("chromaprint3/test", after_id=a, limit=1)] == [
        b
    ]


def test_a_print_is_found_by_its_audio_when_current_active_and_of_this_algorithm(
    db: LibraryDatabase,
) -> None:
    """Copies share an audio_key: the stored print of one stands for all of them, but
    only one made from the file as its row records it, by this fingerprinter, on an
    active row; a print is preferred to a reason for none."""
    shared = "a" * 32
    db.batch_insert_files(
        library_file(i, audio_key=shared if i < 3 else f"{i:032x}") for i in range(6)
    )
    ids = [row_id for (row_id,) in db.engine.fetch("SELECT id FROM library_index ORDER BY id")]
    silent, printed, _, stale, other, gone = ids
    stale_row = _row(db, stale, b"\x03\x00\x00\x00")
    stale_row.file_size += 1
    other_row = _row(db, other, b"\x04\x00\x00\x00")
    other_row.algorithm = "chromaprint1/old"
    db.fingerprints.save(
        [
            (_row(db, silent, None), []),
            (_row(db, printed, b"\x02\x00\x00\x00"), [2]),
            (stale_row, []),
            (other_row, []),
            (_row(db, gone, b"\x05\x00\x00\x00"), []),
        ],
    )
    db.batch_mark_inactive([library_file(5).file_path])
    keys = [shared, f"{3:032x}", f"{4:032x}", f"{5:032x}", "nothing"]
    found = db.fingerprints.by_audio_keys(keys, ALGORITHM)
    assert list(found) == [shared]
    assert found[shared].data == b"\x02\x00\x00\x00" and found[shared].file_id == printed
