"""The Python API's signatures cannot be misused: one path or many, kinds checked, one
progress type for the indexer and the checker."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from music_tools.library import (
    DuplicateChecker,
    LibraryDatabase,
    LibraryIndexer,
    Progress,
    find_duplicates,
)
from music_tools.queries import relocate
from support.audio_factory import Tags, make_audio
from support.factories import library_file


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """lib/A/song.wav and its byte copy lib/B/song.wav (same mtime: A is kept, by path)."""
    song = make_audio(tmp_path / "lib" / "A" / "song.wav", "wav", seed=1, seconds=0.5, tags=Tags())
    (tmp_path / "lib" / "B").mkdir()
    shutil.copy2(song, tmp_path / "lib" / "B" / "song.wav")
    return tmp_path / "lib"


@pytest.mark.parametrize("as_given", [str, Path, lambda root: (p for p in [root])])
def test_index_takes_one_root_or_an_iterable_of_roots(
    db: LibraryDatabase, library: Path, as_given: object
) -> None:
    report = LibraryIndexer(db, 1).index(as_given(library))  # type: ignore[operator]
    assert report.roots == [str(library)]
    assert report.new == 2


@pytest.mark.parametrize("as_given", [str, Path])
def test_check_files_batch_takes_one_path_or_an_iterable_of_paths(
    db: LibraryDatabase, library: Path, tmp_path: Path, as_given: type
) -> None:
    LibraryIndexer(db, 1).index(library / "A")
    copy = tmp_path / "new" / "song.wav"
    copy.parent.mkdir()
    shutil.copy2(library / "B" / "song.wav", copy)
    checker = DuplicateChecker(db, 1)
    one = checker.check_files_batch(as_given(copy))
    assert list(one) == [str(copy)] and one[str(copy)].status == "duplicate"
    many = checker.check_files_batch(as_given(p) for p in [copy, library / "A" / "song.wav"])
    assert list(many) == [str(copy), str(library / "A" / "song.wav")]


@pytest.mark.parametrize("as_given", [str, Path])
def test_find_duplicates_takes_one_preferred_root_or_several(
    db: LibraryDatabase, library: Path, as_given: type
) -> None:
    LibraryIndexer(db, 1).index(library)
    (group,) = find_duplicates(db)
    assert group.keeper.file_path == str(library / "A" / "song.wav")  # first by path
    (preferring_b,) = find_duplicates(db, roots=as_given(library / "B"))
    assert preferring_b.keeper.file_path == str(library / "B" / "song.wav")
    (listed,) = find_duplicates(db, roots=[as_given(library / "B"), library / "A"])
    assert listed.keeper.file_path == str(library / "B" / "song.wav")


def test_the_store_takes_one_path_or_many(db: LibraryDatabase) -> None:
    files = [library_file(i) for i in range(3)]
    db.batch_insert_files(files)
    first, second, third = (f.file_path for f in files)
    assert list(db.batch_get_files_by_paths(first)) == [first]
    assert db.batch_get_files_by_paths(Path(first))[first] is not None
    assert db.batch_mark_inactive(Path(second)).written == 1
    assert db.batch_delete_files(third).written == 1
    assert db.batch_delete_files(f for f in [first]).written == 1
    assert db.count_files(active_only=False) == 1


def test_relocate_takes_paths(db: LibraryDatabase, library: Path, tmp_path: Path) -> None:
    LibraryIndexer(db, 1).index(library)
    moved = tmp_path / "moved"
    library.rename(moved)
    assert relocate(db, library, moved) == 2
    assert db.get_file_by_path(str(moved / "A" / "song.wav")) is not None


def test_find_duplicates_refuses_a_kind_it_does_not_know(db: LibraryDatabase) -> None:
    with pytest.raises(ValueError, match="'exakt'") as refused:
        find_duplicates(db, kinds=["exact", "exakt"])
    assert "exact, same_audio, same_song, same_recording, fuzzy" in str(refused.value)
    with pytest.raises(ValueError, match="at least one"):
        find_duplicates(db, kinds=[])


def test_find_duplicates_takes_one_kind_as_a_str(db: LibraryDatabase, library: Path) -> None:
    LibraryIndexer(db, 1).index(library)
    (group,) = find_duplicates(db, kinds="exact")
    assert group.kind == "exact"
    assert list(find_duplicates(db, kinds="fuzzy")) == []


def test_the_indexer_and_the_checker_report_progress_alike(
    db: LibraryDatabase, library: Path
) -> None:
    indexed: list[Progress] = []
    LibraryIndexer(db, 1, on_progress=indexed.append).index(library)
    checked: list[Progress] = []
    DuplicateChecker(db, 1, on_progress=checked.append).check_files_batch(library.rglob("*.wav"))
    assert indexed[-1] == Progress("read", 2, 2, found=2)
    assert checked[-1] == Progress("check", 2, 2)
    assert all(isinstance(event, Progress) for event in indexed + checked)


@pytest.mark.parametrize(
    "empty", [lambda: "", lambda: [""], lambda: ("",), lambda: (p for p in [""])]
)
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(
    db: LibraryDatabase, library: Path, empty: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(library)
    with pytest.raises(ValueError, match="empty path"):
        LibraryIndexer(db, 1).index(empty())
    with pytest.raises(ValueError, match="empty path"):
        db.batch_mark_inactive(empty())
    assert db.count_files() == 0
