"""DuplicateChecker on a labelled corpus of real audio: accuracy per kind, and its promises."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import apsw
import pytest

from music_tools.cli.dupes_render import result_reason
from music_tools.library import DuplicateChecker, LibraryDatabase, LibraryIndexer, find_duplicates
from support.audio_factory import Tags, make_audio
from support.dupe_corpus import Label, build_corpus, score

FLOORS = {  # (precision, recall); the for the first three, ours for fuzzy
    "exact": (0.99, 0.98),
    "same_audio": (0.99, 0.98),
    "same_song": (0.97, 0.95),
    "fuzzy": (0.9, 0.75),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Label]]:
    root = tmp_path_factory.mktemp("corpus")
    labels = build_corpus(root)
    with LibraryDatabase(root / "library.db") as db:
        LibraryIndexer(db, workers=1).index([root / "library"])
    return root, labels


def _check(db_file: Path, paths: list[str], workers: int = 1) -> dict[str, object]:
    with LibraryDatabase(db_file) as db:
        return dict(DuplicateChecker(db, workers=workers).check_files_batch(paths))


@pytest.mark.slow
def test_precision_and_recall_per_kind_meet_the_floors(
    corpus: tuple[Path, dict[str, Label]],
) -> None:
    root, labels = corpus
    with LibraryDatabase(root / "library.db") as db:
        results = DuplicateChecker(db, workers=2).check_files_batch(list(labels))
    assert set(results) == set(labels)
    found = {
        path: (r.kind, r.matched_file.file_path if r.matched_file else None)
        for path, r in results.items()
    }
    scores = score(labels, found)
    for kind, (precision, recall) in FLOORS.items():
        got = scores[kind]
        assert got.true_positives > 0, kind
        assert got.precision >= precision, (kind, got.wrong)
        assert got.recall >= recall, (kind, got.wrong)


@pytest.mark.slow
def test_no_live_remix_extended_or_edit_version_is_a_duplicate(
    corpus: tuple[Path, dict[str, Label]],
) -> None:
    root, labels = corpus
    versions = [p for p, label in labels.items() if "version" in label.case]
    assert len(versions) >= 30
    with LibraryDatabase(root / "library.db") as db:
        results = DuplicateChecker(db, workers=1).check_files_batch(versions)
    for path, result in results.items():
        assert not result.is_duplicate, (labels[path].case, result_reason(result))
        if "same tags" in labels[path].case:
            assert "same artist and title as" in result_reason(result)
            assert ", but 0:0" in result_reason(result)  # "but 0:06 against 0:04"


def test_every_path_given_is_a_key_and_unreadable_ones_say_why(tmp_path: Path) -> None:
    song = make_audio(tmp_path / "song.flac", "flac", tags=Tags())
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all")
    folder = tmp_path / "folder"
    folder.mkdir()
    paths = [str(song), str(text), str(folder), str(tmp_path / "gone.mp3")]
    with LibraryDatabase(tmp_path / "lib.db") as db:
        results = DuplicateChecker(db, workers=1).check_files_batch(paths)
    assert list(results) == paths  # in the order given, not the order settled
    assert result_reason(results[str(song)]) == "not in the library"
    assert result_reason(results[str(text)]).startswith("cannot read: ")
    assert result_reason(results[str(folder)]) == "cannot read: not a file"
    assert "no such file" in result_reason(results[str(tmp_path / "gone.mp3")])
    assert not any(r.is_duplicate for r in results.values())


def test_a_library_file_checked_at_its_own_path_does_not_match_itself(tmp_path: Path) -> None:
    song = make_audio(tmp_path / "music" / "song.mp3", "mp3", seconds=2, tags=Tags())
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        result = DuplicateChecker(db, workers=1).check_file(song)
        assert not result.is_duplicate
        copy = tmp_path / "copy.mp3"
        shutil.copyfile(song, copy)
        assert DuplicateChecker(db, workers=1).check_file(copy).kind == "exact"


def test_full_hashes_are_read_once_and_cached_in_the_library_row(tmp_path: Path) -> None:
    song = make_audio(tmp_path / "music" / "song.ogg", "ogg", seconds=2, tags=Tags())
    copy = tmp_path / "new" / "song.ogg"
    copy.parent.mkdir()
    shutil.copyfile(song, copy)
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        assert db.get_file_by_path(str(song)).file_content_hash is None  # type: ignore[union-attr]
        checker = DuplicateChecker(db, workers=1)
        assert checker.check_file(copy).kind == "exact"
        row = db.get_file_by_path(str(song))
        assert row is not None and row.file_content_hash  # a byte copy needs no audio hash
        seen = song.stat()  # other bytes, same size and mtime: only the cache says "exact"
        song.write_bytes(b"\0" * seen.st_size)
        os.utime(song, ns=(seen.st_atime_ns, seen.st_mtime_ns))
        again = checker.check_file(copy)
    assert again.kind == "exact" and again.confidence == 1.0


def test_the_library_is_queried_once_per_kind_of_key_for_a_whole_batch(
    corpus: tuple[Path, dict[str, Label]],
) -> None:
    root, labels = corpus
    selects: list[str] = []
    with LibraryDatabase(root / "library.db") as db:

        def trace(cursor: apsw.Cursor, statement: str, bindings: object) -> bool:
            if statement.lstrip().upper().startswith("SELECT"):
                selects.append(statement)
            return True

        db.connection.exec_trace = trace
        DuplicateChecker(db, workers=1).check_files_batch(list(labels))
    lookups = [s for s in selects if "FROM library_index" in s]
    assert 1 <= len(lookups) <= 4, lookups  # audio_key, metadata, MusicBrainz id, fuzzy block


def test_a_transcode_to_lossy_is_worse_and_the_lossless_original_better(tmp_path: Path) -> None:
    tags = Tags(mbid=None)
    lossy = make_audio(tmp_path / "music" / "song.mp3", "mp3", seed=3, seconds=3, tags=tags)
    lossless = make_audio(tmp_path / "new" / "song.flac", "flac", seed=3, seconds=3, tags=tags)
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        result = DuplicateChecker(db, workers=1).check_file(lossless)
    assert result.kind == "same_song" and result.quality == "better"
    assert result.matched_file is not None and result.matched_file.file_path == str(lossy)
    assert "lossless over lossy" in result_reason(result)


def test_a_check_while_another_process_writes_answers_and_skips_the_cache(
    tmp_path: Path,
) -> None:
    song = make_audio(tmp_path / "music" / "song.mp3", "mp3", seconds=1, tags=Tags())
    copy = tmp_path / "copy.mp3"
    shutil.copyfile(song, copy)
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        writer = apsw.Connection(str(tmp_path / "lib.db"))
        writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            result = DuplicateChecker(db, workers=1).check_file(copy)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert result.kind == "exact"
        row = db.get_file_by_path(str(song))
    assert row is not None and row.file_content_hash is None


def test_placeholder_names_from_different_rips_are_not_the_same_song(tmp_path: Path) -> None:
    """Untagged rips named "Track 01.wav", and tags a ripper made up without a lookup
    ("Unknown Artist", "Track 1"), name no song: two such files of about the same length
    are different recordings, neither same_song nor fuzzy, in `check` and in `dupes`."""
    music, new = tmp_path / "music", tmp_path / "new"
    placeholder = Tags(artist="Unknown Artist", title="Track 1", album="Unknown Album", mbid=None)
    for cd in (1, 2):
        make_audio(music / f"cd{cd}" / "Track 01.wav", "wav", seed=cd, seconds=2 + cd / 10)
        make_audio(music / f"cd{cd}" / "01.flac", "flac", seed=10 + cd, seconds=2, tags=placeholder)
    named = make_audio(music / "Portishead - Roads.wav", "wav", seed=30, seconds=2)
    rip = make_audio(new / "Track 01.wav", "wav", seed=3, seconds=2.1)
    unknown = make_audio(new / "01.flac", "flac", seed=13, seconds=2, tags=placeholder)
    transcode = make_audio(new / "01 - Portishead - Roads.flac", "flac", seed=30, seconds=2)
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([music])
        results = DuplicateChecker(db, workers=1).check_files_batch([rip, unknown, transcode])
        groups = list(find_duplicates(db))
    assert not results[str(rip)].is_duplicate, result_reason(results[str(rip)])
    assert not results[str(unknown)].is_duplicate, result_reason(results[str(unknown)])
    assert results[str(transcode)].kind == "same_song"  # a name that says who and what
    assert results[str(transcode)].matched_file.file_path == str(named)  # type: ignore[union-attr]
    assert groups == []


def test_a_library_file_checked_through_a_symlinked_folder_does_not_match_itself(
    tmp_path: Path,
) -> None:
    song = make_audio(tmp_path / "music" / "song.flac", "flac", seconds=1, tags=Tags())
    (tmp_path / "link").symlink_to(tmp_path / "music")
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        result = DuplicateChecker(db, workers=1).check_file(tmp_path / "link" / "song.flac")
        assert not result.is_duplicate, result_reason(result)
        shutil.copyfile(song, tmp_path / "copy.flac")  # a real copy still matches
        copy = DuplicateChecker(db, workers=1).check_file(tmp_path / "copy.flac")
    assert copy.kind == "exact"


def test_a_library_file_checked_is_the_librarys_own_and_keeps_its_copies(tmp_path: Path) -> None:
    song = make_audio(tmp_path / "music" / "a" / "song.mp3", "mp3", seconds=2, tags=Tags())
    (tmp_path / "link").symlink_to(tmp_path / "music")
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        alone = DuplicateChecker(db, workers=1).check_file(song)
        linked = DuplicateChecker(db, workers=1).check_file(tmp_path / "link" / "a" / "song.mp3")
        shutil.copyfile(song, tmp_path / "music" / "copy.mp3")
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        copied = DuplicateChecker(db, workers=1).check_file(song)
    assert result_reason(alone) == "the library's own file"
    assert (alone.status, alone.is_duplicate) == ("own", False)
    assert alone.indexed_as is not None and alone.indexed_as.file_path == str(song)
    assert linked.status == "own"
    assert result_reason(linked) == f"the library's own file (indexed as {song})"
    assert (copied.status, copied.is_duplicate, copied.kind) == ("own", True, "exact")
    assert copied.matched_file is not None
    assert copied.matched_file.file_path == str(tmp_path / "music" / "copy.mp3")
