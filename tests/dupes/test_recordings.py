"""same_recording and fingerprint-checked same_song, on a labelled corpus of music-like audio
(transcodes under missing or wrong tags, silence added or cut, other takes with identical
tags, unrelated songs in the same key and tempo)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from music_tools.cli import cli
from music_tools.cli.dupes_render import result_reason
from music_tools.dupes import KINDS, DuplicateChecker, find_duplicates
from music_tools.identity.fpcalc import Fpcalc
from music_tools.index import IndexInterrupted, Progress
from music_tools.library import LibraryDatabase, LibraryIndexer
from support.audio_factory import Tags, write_tags
from support.fingerprint_corpus import Label, build_corpus, fpcalc_children, requires_fpcalc
from support.music_factory import song, write_song

pytestmark = requires_fpcalc


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Label]]:
    root = tmp_path_factory.mktemp("fingerprints")
    return root, build_corpus(root)


@pytest.fixture(scope="module")
def library(corpus: tuple[Path, dict[str, Label]]) -> Path:
    """The library folder indexed and fingerprinted (two workers: the pool's path)."""
    root, _ = corpus
    db_path = root / "library.db"
    with LibraryDatabase(db_path) as db:
        report = LibraryIndexer(db, 2, fingerprint=True).index([root / "library"])
    assert report.fingerprints is not None and report.fingerprints.made == 6
    return db_path


@pytest.fixture(scope="module")
def everything(corpus: tuple[Path, dict[str, Label]]) -> Path:
    """The library and the new files indexed together, fingerprinted."""
    root, _ = corpus
    db_path = root / "everything.db"
    with LibraryDatabase(db_path) as db:
        LibraryIndexer(db, 2, fingerprint=True).index([root])
    return db_path


def _precision_recall(
    found: set[tuple[str, str]], truth: set[tuple[str, str]]
) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


@pytest.mark.slow
def test_check_finds_transcodes_under_wrong_or_missing_tags(
    corpus: tuple[Path, dict[str, Label]], library: Path
) -> None:
    _, labels = corpus
    with LibraryDatabase(library) as db:
        results = DuplicateChecker(db, 2, fingerprint=True).check_files_batch(labels)
    found = {
        (path, r.matched_file.file_path)
        for path, r in results.items()
        if r.is_duplicate and r.matched_file is not None
    }
    truth = {(path, label.of) for path, label in labels.items() if label.of}
    precision, recall = _precision_recall(found, truth)
    assert recall >= 0.95 and precision >= 0.98, sorted(truth ^ found)
    for path, label in labels.items():
        if label.of and "tags" in label.case:
            assert results[path].kind == "same_recording", (
                label.case,
                result_reason(results[path]),
            )
            assert 0.9 <= results[path].confidence <= 0.99


@pytest.mark.slow
def test_another_take_with_identical_tags_is_not_a_duplicate_and_check_says_why(
    corpus: tuple[Path, dict[str, Label]], library: Path
) -> None:
    _, labels = corpus
    takes = [path for path, label in labels.items() if "another take" in label.case]
    with LibraryDatabase(library) as db:
        results = DuplicateChecker(db, 1).check_files_batch(takes)
    for path in takes:
        assert not results[path].is_duplicate
        assert "another recording" in result_reason(results[path])


@pytest.mark.slow
def test_dupes_groups_each_recording_and_never_two_recordings(
    corpus: tuple[Path, dict[str, Label]], everything: Path
) -> None:
    _, labels = corpus
    recording = {path: label.of or path for path, label in labels.items()}
    recording.update({of: of for of in recording.values()})
    with LibraryDatabase(everything) as db:
        groups = list(find_duplicates(db, KINDS))
    paired: set[tuple[str, str]] = set()
    for group in groups:
        members = [group.keeper.file_path] + [m.file.file_path for m in group.others]
        assert len({recording[m] for m in members}) == 1, (group.kind, members)
        paired |= {(m, recording[m]) for m in members if m != recording[m]}
    truth = {(path, label.of) for path, label in labels.items() if label.of}
    assert paired == truth


@pytest.mark.slow
def test_dupes_kinds_same_recording_alone(everything: Path) -> None:
    result = CliRunner().invoke(
        cli, ["dupes", "--db", str(everything), "--kinds", "same_recording", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)
    assert len(groups) == 6
    assert all(g["keeper"]["path"].endswith(".flac") for g in groups)
    assert {o["kind"] for g in groups for o in g["others"]} == {"same_recording"}


@pytest.mark.slow
def test_without_fpcalc_same_tags_of_the_same_length_are_still_same_song(
    corpus: tuple[Path, dict[str, Label]], everything: Path
) -> None:
    """What the fingerprint adds: without it, another take with identical tags is grouped."""
    _, labels = corpus
    takes = {path for path, label in labels.items() if "another take" in label.case}
    with LibraryDatabase(everything) as db:
        groups = list(find_duplicates(db, ["same_song"], fpcalc=Fpcalc("")))
    grouped = {m.file.file_path for g in groups for m in g.others} | {
        g.keeper.file_path for g in groups
    }
    assert takes <= grouped


def test_a_changed_file_or_a_new_fingerprinter_is_fingerprinted_again(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    path = write_song(music / "a.flac", song(40, 12.0), "flac")
    with LibraryDatabase(tmp_path / "l.db") as db:
        first = LibraryIndexer(db, 1, fingerprint=True).index([music]).fingerprints
        again = LibraryIndexer(db, 1, fingerprint=True).index([music]).fingerprints
        assert first is not None and again is not None
        assert (first.made, again.made, again.up_to_date) == (1, 0, 1)
        before = db.connection.execute("SELECT fingerprint FROM fingerprints").get
        write_song(path, song(41, 12.0), "flac")
        changed = LibraryIndexer(db, 1, fingerprint=True).index([music]).fingerprints
        assert changed is not None and changed.made == 1
        assert db.connection.execute("SELECT fingerprint FROM fingerprints").get != before
        db.connection.execute("UPDATE fingerprints SET algorithm = 'chromaprint1/fpcalc 0.9'")
        assert len(db.fingerprints.stale("chromaprint2/fpcalc 1.5.1")) == 1
        terms = db.connection.execute("SELECT count(*) FROM fingerprint_terms").get
        assert terms > 0


def test_silent_or_undecodable_audio_is_recorded_without_a_fingerprint(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    write_song(music / "silent.wav", song(1, 1.0) * 0, "wav")
    shutil.copy(write_song(music / "ok.flac", song(42, 12.0), "flac"), music / "ok2.flac")
    with LibraryDatabase(tmp_path / "l.db") as db:
        report = LibraryIndexer(db, 2, fingerprint=True).index([music]).fingerprints
        assert report is not None and (report.made, report.without) == (2, 1)
        reason = db.connection.execute(
            "SELECT reason FROM fingerprints WHERE fingerprint IS NULL"
        ).get
        assert reason.startswith("no fingerprint")


def test_index_fingerprint_summary_says_how_many_and_how_fast(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    write_song(music / "a.mp3", song(43, 12.0), "mp3")
    db = tmp_path / "l.db"
    result = CliRunner().invoke(cli, ["index", "--fingerprint", "--db", str(db), str(music)])
    assert result.exit_code == 0, result.output
    assert "fingerprinted 1 (0 without a fingerprint, 0 up to date)" in result.output
    assert "files/s)" in result.output.split("fingerprinted")[1]
    as_json = CliRunner().invoke(
        cli, ["index", "--fingerprint", "--json", "--db", str(db), str(music)]
    )
    assert json.loads(as_json.output)["fingerprints"]["up_to_date"] == 1


def test_check_fingerprint_names_the_same_recording_and_its_confidence(
    corpus: tuple[Path, dict[str, Label]], library: Path
) -> None:
    _, labels = corpus
    untagged = next(p for p, label in labels.items() if label.case == "transcode, no tags")
    result = CliRunner().invoke(
        cli, ["check", "--fingerprint", "--format", "json", "--db", str(library), untagged]
    )
    assert result.exit_code == 3, result.output
    (record,) = json.loads(result.output)
    assert record["match_type"] == "same_recording"
    assert record["matched_path"].endswith(".flac") and record["confidence"] >= 0.9


def test_ctrl_c_while_fingerprinting_keeps_what_was_done_and_leaves_no_fpcalc(
    tmp_path: Path,
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for n in range(6):
        write_song(music / f"{n}.flac", song(60 + n, 12.0), "flac")

    def stop_at_the_third(event: Progress) -> None:
        if event.phase == "fingerprint" and event.done == 3:
            raise KeyboardInterrupt

    with LibraryDatabase(tmp_path / "l.db") as db:
        indexer = LibraryIndexer(db, 2, fingerprint=True, on_progress=stop_at_the_third)
        with pytest.raises(IndexInterrupted) as stopped:
            indexer.index([music])
        prints = stopped.value.report.fingerprints
        assert prints is not None and prints.interrupted and prints.made == 3
        assert db.connection.execute("SELECT count(*) FROM fingerprints").get == 3
        assert fpcalc_children() == []
        rest = LibraryIndexer(db, 2, fingerprint=True).index([music]).fingerprints
        assert rest is not None and (rest.made, rest.up_to_date) == (3, 3)


def _recording_groups(db: LibraryDatabase) -> set[frozenset[str]]:
    return {
        frozenset([g.keeper.file_path, *(m.file.file_path for m in g.others)])
        for g in find_duplicates(db, ["same_recording"])
    }


def test_a_postgresql_catalog_finds_the_same_recordings_across_two_machines(
    corpus: tuple[Path, dict[str, Label]], everything: Path, postgres_url: str
) -> None:
    """The library fingerprinted on one machine, the new files on another: the catalog
    groups the same recordings as the SQLite library of both folders does."""
    root, _ = corpus
    for machine, folder in (("alpha", root / "library"), ("beta", root / "new")):
        with LibraryDatabase(postgres_url, machine=machine) as db:
            report = LibraryIndexer(db, 2, fingerprint=True).index([folder])
            assert report.fingerprints is not None and report.fingerprints.made > 0
    with LibraryDatabase(everything, readonly=True) as db:
        expected = _recording_groups(db)
    with LibraryDatabase(postgres_url, machine="alpha") as db:
        found = _recording_groups(db)
        machines = {
            f.machine for g in find_duplicates(db, ["same_recording"]) for f in [g.keeper]
        } | {m.file.machine for g in find_duplicates(db, ["same_recording"]) for m in g.others}
    assert expected and found == expected
    assert machines == {"alpha", "beta"}


def test_copies_of_one_audio_are_fingerprinted_once_not_each(tmp_path: Path) -> None:
    """Same tags, same length: only the audio can tell the other take apart, but copies of
    the same audio (one audio_key) need one fingerprint between them, not one each."""
    music = tmp_path / "music"
    first, other = _two_takes(music / "take1.flac", music / "take2.flac")
    counting, runs = _counted_fpcalc(tmp_path)
    with LibraryDatabase(tmp_path / "l.db") as db:
        LibraryIndexer(db, 1).index([music])
        groups = list(find_duplicates(db, ["same_song"], fpcalc=counting))
    assert len(runs()) == 2  # one per distinct audio, not seven
    members = {
        frozenset([g.keeper.file_path, *(m.file.file_path for m in g.others)]) for g in groups
    }
    assert (
        frozenset(str(p) for p in [first, *(music / f"copy{i}.flac" for i in range(5))]) in members
    )
    assert all(str(other) not in group for group in members)


def test_check_fingerprints_copies_of_one_library_audio_once(tmp_path: Path) -> None:
    """A new file with the tags and length of a library song that has five copies: check
    needs the new file's fingerprint and one of the copies', not one per copy; the copies
    that shared it keep it for the next run."""
    music = tmp_path / "music"
    _, new = _two_takes(music / "take1.flac", tmp_path / "downloads" / "take2.flac")
    with LibraryDatabase(tmp_path / "l.db") as db:
        LibraryIndexer(db, 1).index([music])
        counting, runs = _counted_fpcalc(tmp_path)
        checker = DuplicateChecker(db, workers=1, fpcalc=counting)
        result = checker.check_files_batch([str(new)])[str(new)]
        assert not result.is_duplicate  # another take: the fingerprints tell
        assert len(runs()) == 2  # the new file and one copy, not six copies
        stored = db.engine.fetch("SELECT count(*) FROM fingerprints WHERE fingerprint IS NOT NULL")
        assert stored[0][0] == 6  # every copy keeps the print it shared
        DuplicateChecker(db, workers=1, fpcalc=counting).check_files_batch([str(new)])
        assert len(runs()) == 3  # only the new file, which the library does not hold


def _two_takes(first: Path, other: Path) -> tuple[Path, Path]:
    """Two takes of one song with the same tags and length (only the audio tells them
    apart), and five byte copies of the first beside it."""
    import shutil

    from mutagen.flac import FLAC

    for folder in {first.parent, other.parent}:
        folder.mkdir(parents=True, exist_ok=True)
    write_song(first, song(50, 14.0), "flac")
    write_song(other, song(50, 14.0, take=1), "flac")
    for path in (first, other):
        tags = FLAC(path)
        tags["artist"], tags["title"] = "Band", "Song"
        tags.save()
    for i in range(5):
        shutil.copy(first, first.parent / f"copy{i}.flac")
    return first, other


def _counted_fpcalc(tmp_path: Path) -> tuple[Fpcalc, Callable[[], list[str]]]:
    """fpcalc through a wrapper that logs each call, and a function giving the
    fingerprinting calls so far."""
    real = shutil.which("fpcalc")
    assert real is not None
    calls = tmp_path / "calls"
    calls.touch()
    counting = tmp_path / "fpcalc"
    counting.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\nexec "{real}" "$@"\n')
    counting.chmod(0o755)
    return Fpcalc(str(counting)), lambda: [
        line for line in calls.read_text().splitlines() if "-raw" in line
    ]


@pytest.fixture(scope="module")
def edits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One recording as an extended mix (40 s), the album version (its first 20 s), a radio
    edit (its first 14 s) and a remix titled so (30 s), all untagged but the remix; a
    tagged album version and a remix of it titled so, of the same length (a little
    quieter: other audio to the keys, the same to the fingerprint); and an untagged MP3
    transcode of the album version (the one true duplicate)."""
    root = tmp_path_factory.mktemp("edits")
    audio = song(70, 40.0)
    rate = 44_100
    music = root / "music"
    music.mkdir()
    paths = {
        "extended": write_song(music / "extended.flac", audio, "flac"),
        "album": write_song(music / "album.flac", audio[: 20 * rate], "flac"),
        "radio": write_song(music / "radio.flac", audio[: 14 * rate], "flac"),
        "transcode": write_song(music / "transcode.mp3", audio[: 20 * rate], "mp3"),
        "titled": write_song(music / "titled.flac", audio[: 20 * rate], "flac"),
        "remix": write_song(music / "remix.flac", audio[: 20 * rate] * 0.9, "flac"),
        "long remix": write_song(music / "long remix.flac", audio[: 30 * rate], "flac"),
    }
    for name, title in (
        ("titled", "Song"),
        ("remix", "Song (Remix)"),
        ("long remix", "Song (Remix)"),
    ):
        write_tags(paths[name], paths[name].suffix[1:], Tags(artist="Band", title=title, mbid=None))
    return paths


def test_dupes_never_groups_an_edit_an_extended_mix_or_a_remix_with_the_original(
    edits: dict[str, Path], tmp_path: Path
) -> None:
    with LibraryDatabase(tmp_path / "l.db") as db:
        LibraryIndexer(db, 2, fingerprint=True).index([edits["album"].parent])
        groups = _recording_groups(db)
    name = {str(path): key for key, path in edits.items()}
    named = [{name[p] for p in group} for group in groups]
    assert any({"album", "transcode"} <= group for group in named)  # the one true pair
    for group in named:
        assert len(group & {"extended", "album", "radio", "long remix"}) <= 1, named
        assert not {"titled", "remix"} <= group, named


def test_check_says_an_edit_of_a_library_recording_is_another_edit(
    edits: dict[str, Path], tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(edits["titled"], library / "album.flac")
    db = tmp_path / "l.db"
    with LibraryDatabase(db) as lib:
        LibraryIndexer(lib, 1, fingerprint=True).index([library])
    given = [edits[key] for key in ("radio", "extended", "transcode", "remix")]
    result = CliRunner().invoke(
        cli, ["check", "--fingerprint", "--format", "json", "--db", str(db), *map(str, given)]
    )
    records = {Path(r["path"]).stem: r for r in json.loads(result.output)}
    assert records["transcode"]["match_type"] == "same_recording"
    for key, lengths in (("radio", "0:14 against 0:20"), ("extended", "0:40 against 0:20")):
        assert not records[key]["is_duplicate"], records[key]
        assert "same recording as " in records[key]["reason"]
        assert f"by fingerprint, but {lengths}: another edit" in records[key]["reason"]
    assert records["remix"]["reason"].endswith(
        "titled as another version (remix against no version)"
    )
    assert not records["remix"]["is_duplicate"], records["remix"]
    assert "another version" in records["remix"]["reason"]
