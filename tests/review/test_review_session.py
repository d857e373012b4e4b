"""The review session on both stores: groups held and paged, filters, keepers chosen by
hand and by preset, marks, and acting through the engine of `dupes` (preview, apply with
its log, undo), on real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from music_tools.identity.fpcalc import Fpcalc
from music_tools.library import LibraryDatabase, LibraryIndexer
from music_tools.review import GroupFilter, ReviewError, ReviewOptions, ReviewSession


def _session(db: LibraryDatabase, music: Path, tmp_path: Path, **options: object) -> ReviewSession:
    LibraryIndexer(db, workers=1).index([music])
    chosen = {
        "move_to": str(tmp_path / "spare"),
        "log_folder": str(tmp_path),
        "fpcalc": Fpcalc(""),  # the groups come from keys and tags
        **options,
    }
    session = ReviewSession(db, ReviewOptions(**chosen))  # type: ignore[arg-type]
    session.refresh()
    return session


def _names(session: ReviewSession, wanted: GroupFilter | None = None) -> list[list[str]]:
    page = session.page(wanted or GroupFilter(), 0, 100)
    return [
        [os.path.relpath(f.file_path, f.library_root or "/") for f in g.files] for g in page.groups
    ]


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_groups_are_held_in_path_order_and_paged_by_offset(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path)
    assert _names(session) == [
        ["copies/roads.flac", "flac/roads.flac", "mp3/roads.mp3"],
        ["flac/joga.flac", "mp3/joga.mp3"],
    ]
    second = session.page(GroupFilter(), 1, 1)
    assert second.total == 2 and [g.id for g in second.groups] == [1]
    assert session.page(GroupFilter(), 5, 10).groups == []


def test_groups_are_filtered_by_kind_folder_and_text(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path)
    assert session.page(GroupFilter(kind="same_song"), 0, 10).total == 2
    assert session.page(GroupFilter(kind="exact"), 0, 10).total == 0
    copies = str(tmp_path / "Music" / "copies")
    assert _names(session, GroupFilter(folder=copies + "/"))[0][0] == "copies/roads.flac"
    assert session.page(GroupFilter(folder=copies + "x"), 0, 10).total == 0
    assert _names(session, GroupFilter(text="BJÖRK")) == [["flac/joga.flac", "mp3/joga.mp3"]]
    assert _names(session, GroupFilter(text="homogenic", folder=copies)) == []


def test_a_keeper_chosen_by_hand_that_sounds_worse_is_flagged_until_a_preset_fixes_it(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path)
    joga = session.groups[1]
    assert joga.keeper.file_format == "flac" and session.not_best(joga) == ""
    mp3 = next(f for f in joga.files if f.file_format == "mp3")
    session.choose(joga.id, mp3.id or 0)
    assert session.not_best(joga) == "a genuine lossless copy exists"
    assert [g.id for g in session.page(GroupFilter(flagged=True), 0, 10).groups] == [1]
    assert session.apply_preset("quality", GroupFilter()) == 1
    assert joga.keeper.file_format == "flac"
    assert session.page(GroupFilter(flagged=True), 0, 10).total == 0
    with pytest.raises(ReviewError) as refused:
        session.choose(0, mp3.id or 0)  # a file of another group
    assert refused.value.status == 404


def test_the_folder_preset_keeps_the_copy_in_the_preferred_folder(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    copies = str(tmp_path / "Music" / "copies")
    session = _session(db, music, tmp_path, preferred=(copies,))
    roads = session.groups[0]
    assert roads.keeper.file_path.startswith(copies)  # same quality: the preferred folder
    session.choose(roads.id, next(f.id for f in roads.files if "mp3" in f.file_path) or 0)
    assert session.apply_preset("folder", GroupFilter(text="roads")) == 1
    assert roads.keeper.file_path.startswith(copies)


def test_preview_apply_and_undo_go_through_the_engine_and_restore_every_byte(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path)
    spare = tmp_path / "spare"
    before = _contents(music)
    session.mark(1, True)  # the Jóga group only
    preview = session.preview()
    assert [o.status for o in preview.outcomes] == ["would"]
    assert preview.outcomes[0].action.path == str(music / "mp3" / "joga.mp3")
    assert _contents(music) == before and not spare.exists()

    applied = session.apply()
    assert [o.status for o in applied.outcomes] == ["done"]
    assert applied.log is not None and os.path.exists(applied.log)
    assert _contents(spare) == {"mp3/joga.mp3": before["mp3/joga.mp3"]}
    assert "mp3/joga.mp3" not in _contents(music)
    assert session.groups[1].applied and not session.groups[1].marked
    assert session.preview().outcomes == []  # an applied group is not planned again

    undone = session.undo()
    assert [o.status for o in undone.outcomes] == ["done"]
    assert _contents(music) == before
    assert _contents(spare) == {}
    assert db.get_file_by_path(str(music / "mp3" / "joga.mp3")) is not None
    assert session.groups[1].marked and not session.groups[1].applied
    with pytest.raises(ReviewError, match="nothing to undo"):
        session.undo()


def test_files_in_a_protected_folder_are_never_acted_on(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    mp3s = str(tmp_path / "Music" / "mp3")
    session = _session(db, music, tmp_path, protected=(mp3s,))
    assert all(g.keeper.file_format == "flac" for g in session.groups)  # quality first
    session.mark_all(GroupFilter(), True)
    report = session.apply()
    protected = [o for o in report.outcomes if o.action.path.startswith(mp3s)]
    assert protected and {o.status for o in protected} == {"skipped"}
    assert all("protected" in o.reason for o in protected)
    assert all(os.path.exists(o.action.path) for o in protected)


def test_a_session_started_without_an_action_cannot_act(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path, move_to=None)
    session.mark_all(GroupFilter(), True)
    for act in (session.preview, session.apply):
        with pytest.raises(ReviewError) as refused:
            act()
        assert refused.value.status == 409


def test_pairs_name_each_duplicate_beside_its_chosen_keeper(
    db: LibraryDatabase, music: Path, tmp_path: Path
) -> None:
    session = _session(db, music, tmp_path)
    pairs = [(g.id, f.file_path, g.keeper.file_path) for g, f in session.pairs(GroupFilter())]
    assert len(pairs) == 3
    assert all(keeper.endswith(".flac") and dup != keeper for _, dup, keeper in pairs)
    only_joga = list(session.pairs(GroupFilter(text="jóga")))
    assert [f.file_path.endswith("joga.mp3") for _, f in only_joga] == [True]
