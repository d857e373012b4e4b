"""find_duplicates inside a library of real audio: groups, keepers, and what is left out."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from music_tools.cli.dupes_render import group_reason
from music_tools.dupes.joining import Pairs, join
from music_tools.dupes.rules import has_copy_marker, quality_verdict
from music_tools.library import (
    DuplicateChecker,
    LibraryDatabase,
    LibraryFile,
    LibraryIndexer,
    find_duplicates,
)
from support.audio_factory import Tags, make_audio, write_tags
from support.dupe_corpus import SONGS, Label, build_corpus, encode


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Label]]:
    root = tmp_path_factory.mktemp("groups")
    labels = build_corpus(root, SONGS[:3])
    with LibraryDatabase(root / "library.db") as db:
        LibraryIndexer(db, workers=1).index([root])
    return root, labels


def _group_of(groups: list[set[str]], path: str) -> set[str]:
    return next((g for g in groups if path in g), {path})


def test_every_labelled_duplicate_is_grouped_with_its_original_and_no_version_is(
    indexed: tuple[Path, dict[str, Label]],
) -> None:
    root, labels = indexed
    with LibraryDatabase(root / "library.db") as db:
        found = list(find_duplicates(db))
    groups = [{g.keeper.file_path} | {m.file.file_path for m in g.others} for g in found]
    for path, label in labels.items():
        original = str(root / "library" / f"{Path(path).name[:2]}") + "."
        group = _group_of(groups, path)
        if label.kind is not None:
            assert label.of in group, (label.case, path)
        else:
            assert not any(p.startswith(original) for p in group), (label.case, path)


def test_key_kinds_alone_and_the_kind_of_each_member(
    indexed: tuple[Path, dict[str, Label]],
) -> None:
    root, labels = indexed
    with LibraryDatabase(root / "library.db") as db:
        exact = list(find_duplicates(db, kinds=["exact"]))
        audio = list(find_duplicates(db, kinds=["exact", "same_audio"]))
    assert exact and all(g.kind == "exact" for g in exact)
    copies = {p for p, label in labels.items() if label.kind == "exact"}
    assert {m.file.file_path for g in exact for m in g.others} | {
        g.keeper.file_path for g in exact
    } >= copies
    assert all(g.kind in ("exact", "same_audio") for g in audio)
    groups = [{g.keeper.file_path} | {m.file.file_path for m in g.others} for g in audio]
    for path, label in labels.items():
        group = _group_of(groups, path)
        assert (label.kind in ("exact", "same_audio")) == (label.of in group), label.case


def test_the_keeper_is_the_best_copy_then_the_preferred_root_then_the_oldest(
    tmp_path: Path,
) -> None:
    tags = Tags(mbid=None)
    mp3 = make_audio(tmp_path / "a" / "song.mp3", "mp3", seed=5, seconds=3, tags=tags)
    flac = make_audio(tmp_path / "b" / "song.flac", "flac", seed=5, seconds=3, tags=tags)
    twin = tmp_path / "c" / "song.flac"
    twin.parent.mkdir()
    shutil.copyfile(flac, twin)
    write_tags(twin, "flac", Tags(mbid=None, album="Other album"))
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "a", tmp_path / "b"])
        LibraryIndexer(db, workers=1).index([tmp_path / "c"])
        (group,) = find_duplicates(db)
        assert group.keeper.file_path == str(flac)  # lossless, then indexed first
        assert group.kind == "same_song"
        kinds = {m.file.file_path: m.kind for m in group.others}
        assert kinds == {str(mp3): "same_song", str(twin): "same_audio"}
        (preferring_c,) = find_duplicates(db, roots=[str(tmp_path / "c")])
    assert preferring_c.keeper.file_path == str(twin)
    assert "preferred root" in group_reason(preferring_c)


@pytest.mark.parametrize(
    ("new", "old", "verdict"),
    [
        (
            {"is_lossless": True, "sample_rate": 44100},
            {"is_lossless": False, "bitrate": 320},
            "better",
        ),
        ({"is_lossless": False, "bitrate": 128}, {"is_lossless": False, "bitrate": 320}, "worse"),
        ({"is_lossless": False, "bitrate": 250}, {"is_lossless": False, "bitrate": 245}, "same"),
        (
            {"is_lossless": True, "sample_rate": 96000, "bits_per_sample": 24},
            {"is_lossless": True, "sample_rate": 44100, "bits_per_sample": 16},
            "better",
        ),
        (
            {"is_lossless": True, "sample_rate": 44100, "bits_per_sample": 16, "bitrate": 700},
            {"is_lossless": True, "sample_rate": 44100, "bits_per_sample": 16, "bitrate": 900},
            "same",
        ),
        ({"is_lossless": None}, {"is_lossless": True}, "unknown"),
    ],
)
def test_quality_verdict(new: dict[str, object], old: dict[str, object], verdict: str) -> None:
    got, _ = quality_verdict(LibraryFile(**new), LibraryFile(**old))  # type: ignore[arg-type]
    assert got == verdict


def test_the_preferred_root_decides_between_copies_of_the_same_quality(tmp_path: Path) -> None:
    """Two MP3 encodes whose average bitrates differ by a few kbps are the same quality
    (quality_verdict's slack), so --root decides, not the few kbps."""
    for folder, level in (("a", 0.5), ("b", 0.52)):  # about 122 and 120 kbps
        song = encode(tmp_path / folder / "song.mp3", "mp3", 1, 3, level)
        write_tags(song, "mp3", Tags(mbid=None))
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path])
        (group,) = find_duplicates(db)
        files = [group.keeper] + [m.file for m in group.others]
        low, high = sorted(files, key=lambda f: f.bitrate or 0)
        assert low.bitrate != high.bitrate
        assert quality_verdict(low, high)[0] == "same"
        (preferring_low,) = find_duplicates(db, roots=[str(Path(low.file_path).parent)])
    assert preferring_low.keeper.file_path == low.file_path
    assert "preferred root" in group_reason(preferring_low)


def _members(group: object) -> set[str]:
    keeper, others = group.keeper, group.others  # type: ignore[attr-defined]
    return {keeper.file_path} | {m.file.file_path for m in others}


def test_a_flac_and_its_transcode_are_grouped_beside_a_same_tag_file_a_second_shorter(
    tmp_path: Path,
) -> None:
    """The shorter file agrees in length with the FLAC but not with the MP3 (its encoder
    padding makes it 50 ms longer): the FLAC and the MP3 agree, as `check` says, and are
    one group; the shorter file is not in it."""
    tags = Tags(artist="Radiohead", title="Airbag", album="OK Computer", mbid=None)
    flac = encode(tmp_path / "music" / "airbag.flac", "flac", 7, 3.0)
    mp3 = encode(tmp_path / "music" / "airbag.mp3", "mp3", 7, 3.05)
    short = encode(tmp_path / "music" / "airbag (edit).flac", "flac", 8, 2.02)
    for path in (flac, mp3, short):
        write_tags(path, path.suffix[1:], tags)
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "music"])
        lengths = {
            Path(f.file_path).name: f.duration
            for f in db.batch_get_files_by_paths([str(flac), str(mp3), str(short)]).values()
            if f is not None
        }
        assert lengths == {"airbag.flac": 3.0, "airbag.mp3": 3.05, "airbag (edit).flac": 2.02}
        checked = DuplicateChecker(db, workers=1).check_file(mp3)
        groups = [_members(g) for g in find_duplicates(db, ["same_song"])]
    assert checked.kind == "same_song"
    assert checked.matched_file is not None and checked.matched_file.file_path == str(flac)
    assert {str(flac), str(mp3)} in groups, groups
    assert all(str(short) not in g for g in groups if str(flac) in g)


def test_a_group_never_holds_two_files_whose_lengths_disagree(tmp_path: Path) -> None:
    """Same song is not transitive by length: A (2 s) and B (3 s) share their tags, B and
    C (4 s) their MusicBrainz recording id; A~B and B~C, but A and C are 2 s apart."""
    mbid = "4b6e6a5e-0d7a-4a5d-9f0e-3f3c2a1b0c9d"
    a = make_audio(
        tmp_path / "m" / "a.flac",
        "flac",
        seed=1,
        seconds=2.0,
        tags=Tags(artist="Low", title="Words", mbid=None),
    )
    b = make_audio(
        tmp_path / "m" / "b.flac",
        "flac",
        seed=2,
        seconds=3.0,
        tags=Tags(artist="Low", title="Words", mbid=mbid),
    )
    c = make_audio(
        tmp_path / "m" / "c.flac",
        "flac",
        seed=3,
        seconds=4.0,
        tags=Tags(artist="Low", title="Words (Demo)", mbid=mbid),
    )
    with LibraryDatabase(tmp_path / "lib.db") as db:
        LibraryIndexer(db, workers=1).index([tmp_path / "m"])
        groups = [_members(g) for g in find_duplicates(db, ["same_song"])]
    assert groups, "A~B or B~C is a group"
    assert not any({str(a), str(c)} <= g for g in groups), groups
    assert {str(b)} < next(g for g in groups if str(b) in g)


def _copies(*paths: Path, source: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)


def _index(target: str | Path, folder: Path) -> LibraryDatabase:
    db = LibraryDatabase(target, machine="test-host")
    LibraryIndexer(db, workers=1).index([folder])
    return db


def test_the_keeper_of_byte_copies_is_the_one_in_its_albums_folder(
    tmp_path: Path, db_target: str | Path
) -> None:
    """A copy in a compilations folder, first by path and older, loses to the copy whose
    folder holds the rest of its album (on both stores: the album counts are one query)."""
    music = tmp_path / "Music"
    album = music / "Radiohead" / "OK Computer"
    ok = Tags(artist="Radiohead", album="OK Computer", mbid=None)
    for n, title in enumerate(("Airbag", "Paranoid Android", "Subterranean"), start=1):
        make_audio(
            album / f"0{n} {title}.flac", "flac", seed=n, seconds=1, tags=replace(ok, title=title)
        )
    other = Tags(artist="Various", title="Other", album="Best of 97", mbid=None)
    for n in range(2):
        make_audio(
            music / "Compilations" / f"other {n}.flac",
            "flac",
            seed=10 + n,
            seconds=1,
            tags=replace(other, title=f"Other {n}"),
        )
    stray = music / "Compilations" / "Paranoid Android.flac"
    _copies(stray, source=album / "02 Paranoid Android.flac")
    os.utime(stray, ns=(10**18, 10**18))  # older than the album's copy: age does not decide
    with _index(db_target, music) as db:
        (group,) = find_duplicates(db, ["exact"])
    assert group.keeper.file_path == str(album / "02 Paranoid Android.flac")
    assert [m.file.file_path for m in group.others] == [str(stray)]
    assert "folder holds its album" in group_reason(group)


def test_the_keeper_is_a_name_without_a_copy_marker(tmp_path: Path) -> None:
    music = tmp_path / "Music"
    source = make_audio(music / "a" / "song.flac", "flac", seconds=1, tags=Tags(mbid=None))
    marked = music / "a" / "song (1).flac"  # first by path, and the oldest
    _copies(marked, source=source)
    os.utime(marked, ns=(10**18, 10**18))
    with _index(tmp_path / "lib.db", music) as db:
        (group,) = find_duplicates(db, ["exact"])
    assert group.keeper.file_path == str(source), group_reason(group)
    assert "no copy marker in its name" in group_reason(group)


def test_the_keeper_between_copies_alike_in_every_other_way_is_the_oldest_file(
    tmp_path: Path,
) -> None:
    music = tmp_path / "Music"
    new = make_audio(music / "a" / "song.flac", "flac", seconds=1, tags=Tags(mbid=None))
    old = music / "b" / "song.flac"  # the same name, last by path
    _copies(old, source=new)
    os.utime(old, ns=(10**18, 10**18))
    with _index(tmp_path / "lib.db", music) as db:
        (group,) = find_duplicates(db, ["exact"])
    assert group.keeper.file_path == str(old), group_reason(group)
    assert "the oldest file" in group_reason(group)


@pytest.mark.parametrize(
    ("name", "marked"),
    [
        ("Paranoid Android (copy).flac", True),
        ("Paranoid Android - Copy.flac", True),
        ("Paranoid Android - Copy (2).flac", True),
        ("Copy of Paranoid Android.flac", True),
        ("Paranoid Android (1).flac", True),
        ("Paranoid Android(2).mp3", True),
        ("Paranoid Android copy.flac", True),
        ("Paranoid Android.flac", False),
        ("Copycat.flac", False),
        ("Symphony (1990).flac", False),
        ("05 Copy Machine (Live).flac", False),
    ],
)
def test_copy_markers_in_file_names(name: str, marked: bool) -> None:
    assert has_copy_marker(f"/music/{name}") is marked


def test_a_member_is_confirmed_only_when_confirmed_pairs_link_it_to_the_keeper() -> None:
    """A and B are the same song; K is alike by name to A, B and C, A and B to C, but only
    the fingerprints of K and C were compared, and agree: one group, in which C is
    confirmed from K, A and B are not; from A, B is."""
    files = {n: LibraryFile(id=n, file_path=f"/m/{n}.flac", duration=200.0) for n in range(1, 5)}
    k, a, b, c = files
    pairs = Pairs(
        edges=[(a, b, "same_song"), (k, a, "fuzzy"), (k, b, "fuzzy"), (k, c, "fuzzy")],
        unconfirmed={(k, a), (k, b), (a, c), (b, c)},
    )
    pairs.edges += [(a, c, "fuzzy"), (b, c, "fuzzy")]  # the clique rule lets C join
    joined = join(files, pairs)
    (members, kind), *_ = joined.groups
    assert sorted(members) == [k, a, b, c] and kind == "fuzzy"
    assert [joined.confirmed(k, m) for m in (a, b, c)] == [False, False, True]
    assert joined.confirmed(a, b)
    assert join(files, Pairs(edges=pairs.edges)).confirmed(k, a)  # nothing unconfirmed
