"""LibraryIndexer on real audio files: cold index, rescans, moves, failures, odd folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from music_tools.index import ScanOptions
from music_tools.library import (
    IndexInterrupted,
    LibraryDatabase,
    LibraryFile,
    LibraryIndexer,
    Progress,
)
from music_tools.read import pool as pool_module
from support.audio_factory import ALL_FORMATS, Tags, file_name, make_audio, write_tags


def make_library(root: Path, count: int, formats: tuple[str, ...] = ALL_FORMATS) -> list[Path]:
    paths = []
    for i in range(count):
        fmt = formats[i % len(formats)]
        folder = root / f"Artist {i % 5}" / f"Album {i % 3}"
        tags = Tags(artist=f"Artist {i % 5}", title=f"Song {i}", album=f"Album {i % 3}")
        paths.append(
            make_audio(
                folder / file_name(fmt, f"{i:03d} Song {i}"), fmt, seed=i, seconds=0.3, tags=tags
            )
        )
    return paths


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture
def library(tmp_path: Path, corpus: Path) -> Path:
    """A fresh copy of a 100-file mixed library (built once per module)."""
    source = corpus / "library"
    if not source.exists():
        make_library(source, 100)
    target = tmp_path / "library"
    shutil.copytree(source, target)
    return target


def run(db: LibraryDatabase, *roots: Path, workers: int = 1, **options: bool):
    return LibraryIndexer(db, workers, options=ScanOptions(**options)).index(roots)


def test_a_cold_index_reads_every_file_once(db: LibraryDatabase, library: Path) -> None:
    events: list[Progress] = []
    report = LibraryIndexer(db, 2, on_progress=events.append).index([library])
    assert (report.new, report.updated, report.errors, report.missing) == (100, 0, 0, 0)
    assert db.count_files() == 100
    row = db.get_file_by_path(str(next(library.rglob("007 Song 7.*"))))
    assert row is not None and (row.title, row.library_root) == ("Song 7", str(library))
    assert row.indexed_at is not None and row.audio_key and row.metadata_hash
    assert events[-1] == Progress("read", 100, 100, found=100)
    assert events[0].total is None  # reading starts before the walk has ended


def test_an_unchanged_rescan_opens_no_file(db: LibraryDatabase, library: Path) -> None:
    run(db, library)
    victim = next(library.rglob("*.flac"))
    info = victim.stat()
    victim.write_bytes(b"not audio any more".ljust(info.st_size, b"!"))  # same size...
    os.utime(victim, ns=(info.st_atime_ns, info.st_mtime_ns))  # ...and mtime
    report = run(db, library)
    assert (report.unchanged, report.new, report.updated, report.errors) == (100, 0, 0, 0)
    assert db.get_file_by_path(str(victim)).title is not None  # type: ignore[union-attr]


def test_after_touching_one_percent_exactly_those_are_reread(
    db: LibraryDatabase, library: Path
) -> None:
    run(db, library)
    before = {f.file_path: f for f in db.iter_files()}
    touched = sorted(library.rglob("*.mp3"))[:1]
    for path in touched:
        write_tags(path, "mp3", Tags(title="Retitled"))
    report = run(db, library)
    assert (report.updated, report.unchanged, report.new) == (1, 99, 0)
    after = {f.file_path: f for f in db.iter_files()}
    changed = {p for p in after if after[p] != before[p]}
    assert changed == {str(p) for p in touched}
    assert after[str(touched[0])].title == "Retitled"
    assert after[str(touched[0])].id == before[str(touched[0])].id


def test_after_deleting_files_exactly_those_are_inactive(
    db: LibraryDatabase, library: Path
) -> None:
    run(db, library)
    gone = sorted(library.rglob("*.wav"))[:2]
    for path in gone:
        path.unlink()
    report = run(db, library)
    assert (report.missing, report.unchanged) == (2, 98)
    assert db.count_files() == 98 and db.count_files(active_only=False) == 100
    inactive = {f.file_path for f in db.iter_files(active_only=False) if not f.is_active}
    assert inactive == {str(p) for p in gone}
    report = run(db, library)
    assert report.missing == 0  # already inactive: not counted again


def test_rows_inserted_with_only_their_path_are_diffed_by_their_folder(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    """A LibraryFile made from a path alone knows its folder, so the indexer's per-folder
    diff finds the row: unchanged when its file is, missing when its file is gone."""
    folder = tmp_path / "library" / "A"
    kept = make_audio(folder / "kept.wav", "wav", seed=1, seconds=0.3)
    stat = kept.stat()
    gone = folder / "gone.wav"
    db.batch_insert_files(
        [
            LibraryFile(
                file_path=str(kept), file_size=stat.st_size, file_mtime_ns=stat.st_mtime_ns
            ),
            LibraryFile(file_path=str(gone), file_size=1, file_mtime_ns=1),
        ]
    )
    row = db.get_file_by_path(str(kept))
    assert row is not None and (row.filename, row.directory) == ("kept.wav", str(folder))
    report = run(db, tmp_path / "library")
    assert (report.new, report.unchanged, report.missing) == (0, 1, 1)
    assert db.count_files() == 1


def test_after_moving_files_exactly_those_are_relinked_in_place(
    db: LibraryDatabase, library: Path
) -> None:
    run(db, library)
    before = {f.file_path: f for f in db.iter_files()}
    moved = sorted(library.rglob("*.ogg"))[:3]
    target = library / "Moved Here"
    target.mkdir()
    for path in moved:
        path.rename(target / path.name)
    report = run(db, library)
    assert (report.moved, report.new, report.missing, report.unchanged) == (3, 0, 0, 97)
    assert db.count_files(active_only=False) == 100  # nothing inserted twice
    for path in moved:
        old, new = before[str(path)], db.get_file_by_path(str(target / path.name))
        assert new is not None and db.get_file_by_path(str(path)) is None
        assert (new.id, new.indexed_at, new.audio_key) == (old.id, old.indexed_at, old.audio_key)
        assert new.directory == str(target)


def test_a_renamed_folder_is_relinked_whole_though_the_walk_meets_it_first(
    db: LibraryDatabase, library: Path
) -> None:
    run(db, library)
    old_folder = library / "Artist 4" / "Album 2"
    before = {f.file_path: f for f in db.iter_files() if f.directory == str(old_folder)}
    new_folder = library / "Artist 0" / "A renamed album"  # walked before Artist 4
    old_folder.rename(new_folder)
    report = run(db, library)
    assert (report.moved, report.new, report.missing) == (len(before), 0, 0)
    assert db.count_files(active_only=False) == 100
    for path, old in before.items():
        new = db.get_file_by_path(str(new_folder / os.path.basename(path)))
        assert new is not None and (new.id, new.indexed_at) == (old.id, old.indexed_at)


def test_a_move_read_by_an_interrupted_run_is_relinked_by_the_next(
    db: LibraryDatabase, library: Path
) -> None:
    run(db, library)
    path = next(library.rglob("*.flac"))
    old = db.get_file_by_path(str(path))
    (library / "Elsewhere").mkdir()
    path.rename(library / "Elsewhere" / path.name)

    def stop_when_read(event: Progress) -> None:
        if event.total is not None and event.done == event.total:
            raise KeyboardInterrupt  # after the new path was written, before the end

    with pytest.raises(IndexInterrupted):
        LibraryIndexer(db, 1, on_progress=stop_when_read).index([library])
    assert db.count_files(active_only=False) == 101  # the new path, not yet re-linked
    report = run(db, library)
    assert (report.moved, report.new, report.unchanged, report.missing) == (1, 0, 99, 0)
    new = db.get_file_by_path(str(library / "Elsewhere" / path.name))
    assert old is not None and new is not None and new.id == old.id
    assert db.count_files(active_only=False) == 100


def test_deleting_one_of_two_copies_is_no_move(db: LibraryDatabase, library: Path) -> None:
    original = next(library.rglob("*.mp3"))
    copy = library / "Artist 4" / "a copy.mp3"
    shutil.copy2(original, copy)  # the same audio at two paths, both indexed in one run
    run(db, library)
    original.unlink()
    report = run(db, library)
    assert (report.moved, report.missing, report.new) == (0, 1, 0)
    kept = db.get_file_by_path(str(copy))
    assert kept is not None and kept.is_active
    assert db.count_files(active_only=False) == 101


def test_the_rows_of_a_root_that_vanished_are_counted_missing(
    db: LibraryDatabase, library: Path, tmp_path: Path
) -> None:
    spare = tmp_path / "spare"
    make_audio(spare / "s.wav", "wav", seed=1, seconds=0.3)
    run(db, library, spare)
    shutil.rmtree(spare)
    report = run(db, library, spare)
    assert report.gone_roots == {str(spare): 1}
    assert (report.missing, report.unchanged, report.roots) == (1, 100, [str(library)])


def test_a_file_that_comes_back_is_reactivated(db: LibraryDatabase, library: Path) -> None:
    run(db, library)
    path = next(library.rglob("*.aiff"))
    kept = path.with_name("kept-aside")
    path.rename(kept)
    run(db, library)
    assert db.get_file_by_path(str(path)).is_active is False  # type: ignore[union-attr]
    kept.rename(path)
    report = run(db, library)
    assert (report.reactivated, report.new) == (1, 0)
    assert db.get_file_by_path(str(path)).is_active is True  # type: ignore[union-attr]


def test_bad_files_are_recorded_and_retried_only_when_they_change(
    db: LibraryDatabase, library: Path
) -> None:
    bad = library / "broken.flac"
    bad.write_bytes(b"fLaC" + b"\x00" * 10)
    report = run(db, library)
    assert report.errors == 1 and report.failures[0].file_path == str(bad)
    assert [f.file_path for f in db.scan_errors] == [str(bad)]
    report = run(db, library)
    assert (report.errors, report.known_errors) == (0, 1)
    make_audio(bad, "flac", tags=Tags(title="Fixed"))
    report = run(db, library)
    assert (report.new, report.errors, report.known_errors) == (1, 0, 0)
    assert len(db.scan_errors) == 0
    assert db.get_file_by_path(str(bad)).title == "Fixed"  # type: ignore[union-attr]


def test_a_root_inside_another_is_indexed_once(db: LibraryDatabase, library: Path) -> None:
    report = run(db, library / "Artist 1", library, library / "Artist 1" / "Album 2")
    assert report.roots == [str(library)]
    assert report.new == 100 and db.count_files() == 100


def test_several_roots_share_one_database(
    db: LibraryDatabase, library: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    make_library(other, 4, ("flac",))
    report = run(db, library, other)
    assert report.new == 104
    only_other = run(db, other)
    assert (only_other.unchanged, only_other.missing) == (4, 0)
    assert db.count_files() == 104  # indexing one root leaves the other alone


def test_symlinks_are_followed_into_files_but_loops_end(
    db: LibraryDatabase, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    song = make_audio(outside / "linked.flac", "flac", tags=Tags())
    make_audio(root / "a" / "own.mp3", "mp3", tags=Tags())
    (root / "a" / "link.flac").symlink_to(song)
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    (root / "a" / "up").symlink_to(tmp_path, target_is_directory=True)  # holds root itself
    (root / "a" / "out").symlink_to(outside, target_is_directory=True)  # the file's folder
    (root / "a" / "dangling.mp3").symlink_to(tmp_path / "nowhere.mp3")
    report = run(db, root)
    assert sorted(Path(f.file_path).relative_to(root).as_posix() for f in db.iter_files()) == [
        "a/link.flac",
        "a/out/linked.flac",
        "a/own.mp3",
    ]
    assert report.new == 3
    assert report.errors == 1 and "broken symbolic link" in report.failures[0].reason


def test_hidden_files_are_skipped_unless_asked(db: LibraryDatabase, tmp_path: Path) -> None:
    make_audio(tmp_path / "lib" / ".hidden" / "a.flac", "flac")
    make_audio(tmp_path / "lib" / ".b.flac", "flac")
    make_audio(tmp_path / "lib" / "c.flac", "flac")
    assert run(db, tmp_path / "lib").new == 1
    assert run(db, tmp_path / "lib", include_hidden=True).new == 2


def test_all_files_reports_what_is_not_audio(db: LibraryDatabase, tmp_path: Path) -> None:
    make_audio(tmp_path / "lib" / "a.flac", "flac")
    (tmp_path / "lib" / "cover.jpg").write_bytes(b"\xff\xd8 jpeg")
    assert run(db, tmp_path / "lib").errors == 0
    report = run(db, tmp_path / "lib", all_files=True)
    assert [(f.file_path, f.reason) for f in report.failures] == [
        (str(tmp_path / "lib" / "cover.jpg"), "not an audio file")
    ]


def test_non_utf8_file_names_are_indexed_and_rescanned(db: LibraryDatabase, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    raw = os.fsencode(root) + b"/caf\xe9 \xff.flac"
    made = make_audio(root / "plain.flac", "flac", tags=Tags(title="Odd"))
    os.rename(os.fsencode(made), raw)  # soundfile cannot open such a name itself
    assert run(db, root).new == 1
    row = db.get_file_by_path(os.fsdecode(raw))
    assert row is not None and row.title == "Odd" and os.fsencode(row.file_path) == raw
    assert run(db, root).unchanged == 1


def test_with_two_workers_the_result_is_the_same(
    db_path: Path, library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LibraryDatabase(db_path) as one:
        run(one, library, workers=1)
        expected = {f.file_path: (f.audio_key, f.metadata_hash, f.title) for f in one.iter_files()}
    monkeypatch.setattr(pool_module, "IN_PROCESS_FILES", 0)  # use the pool for 100 files
    (library / "broken.ogg").write_bytes(b"OggS" + bytes(100))
    with LibraryDatabase(tmp_path / "two.db") as two:
        report = LibraryIndexer(two, 2).index([library])
        got = {f.file_path: (f.audio_key, f.metadata_hash, f.title) for f in two.iter_files()}
    assert got == expected
    assert [f.file_path for f in report.failures] == [str(library / "broken.ogg")]


def test_full_hash_fills_the_rows_of_unchanged_files_that_lack_it(
    db: LibraryDatabase, library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(db, library)
    assert {(f.audio_hash, f.file_content_hash) for f in db.iter_files()} == {(None, None)}
    ids = {f.file_path: f.id for f in db.iter_files()}
    monkeypatch.setattr(pool_module, "IN_PROCESS_FILES", 0)  # read in the pool, in tasks
    report = LibraryIndexer(db, 2, full_hash=True).index([library])
    assert (report.unchanged, report.hashed, report.new, report.updated) == (100, 100, 0, 0)
    with LibraryDatabase(tmp_path / "reference.db") as reference:
        LibraryIndexer(reference, 1, full_hash=True).index([library])
        expected = {
            f.file_path: (f.audio_hash, f.file_content_hash) for f in reference.iter_files()
        }
    assert {f.file_path: (f.audio_hash, f.file_content_hash) for f in db.iter_files()} == expected
    assert {f.file_path: f.id for f in db.iter_files()} == ids  # the same rows, filled
    again = LibraryIndexer(db, 2, full_hash=True).index([library])
    assert (again.unchanged, again.hashed) == (100, 0)
