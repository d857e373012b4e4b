"""The words `check` prints, rendered from a result's structured evidence: every basis and
every near miss says what it said when the library built the text itself."""

from __future__ import annotations

import os

import pytest

from music_tools.cli.dupes_render import (
    group_reason,
    match_reason,
    near_miss_reason,
    result_reason,
    result_record,
)
from music_tools.dupes import DuplicateGroup, DuplicateResult, Evidence, KeeperReason, Match
from music_tools.models import LibraryFile

ODD = os.fsdecode(b"/music/caf\xe9.mp3")  # a name that is not valid UTF-8
OLD = LibraryFile(file_path="/music/old.mp3", file_format="mp3", bitrate=320, duration=187.0)
OLD_VBR = LibraryFile(
    file_path="/music/v0.mp3", file_format="mp3", bitrate=245, bitrate_mode="VBR", duration=187.0
)


def _match(evidence: Evidence, kind: str = "same_song", confirmed: bool = True) -> Match:
    return Match(OLD, kind, 0.9, evidence, confirmed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("evidence", "words"),
    [
        (Evidence("same_bytes", ODD), "same bytes as /music/caf\\xe9.mp3"),
        (Evidence("flac_md5", OLD.file_path), "same decoded audio (FLAC MD5) as /music/old.mp3"),
        (Evidence("audio_hash", OLD.file_path), "same audio as /music/old.mp3, other tags"),
        (
            Evidence("audio_key", OLD.file_path),
            "same audio key as /music/old.mp3 (not confirmed: a file changed or is gone)",
        ),
        (
            Evidence("tags", OLD.file_path, 186.6, 187.0),
            "same artist and title as /music/old.mp3 (mp3 320 kbps), 3:07 against 3:07",
        ),
        (
            Evidence("musicbrainz", OLD.file_path, None, 187.0),
            "same MusicBrainz recording as /music/old.mp3 (mp3 320 kbps), a length unknown",
        ),
        (
            Evidence("tags", OLD.file_path, 187.0, 187.0, bit_error_rate=0.052),
            "same artist and title as /music/old.mp3 (mp3 320 kbps), 3:07 against 3:07, "
            "fingerprints agree (5% of bits differ)",
        ),
        (
            Evidence("names", OLD.file_path, 187.0, 186.0, similarity=0.912),
            "similar artist and title (91%) to /music/old.mp3, 3:07 against 3:06, "
            "not confirmed by fingerprint",
        ),
        (
            Evidence("names", OLD.file_path, 187.0, 186.0, similarity=0.9, bit_error_rate=0.1),
            "similar artist and title (90%) to /music/old.mp3, 3:07 against 3:06, "
            "fingerprints agree (10% of bits differ)",
        ),
        (
            Evidence("fingerprint", OLD.file_path, 190.0, 187.0, bit_error_rate=0.08, offset_s=1.5),
            "same recording as /music/old.mp3 by fingerprint (8% of bits differ, offset +1.5 s)",
        ),
    ],
)
def test_each_kind_of_match_is_worded_from_its_evidence(evidence: Evidence, words: str) -> None:
    assert match_reason(_match(evidence)) == words


def test_a_copy_whose_bitrate_mode_is_known_is_worded_with_it() -> None:
    evidence = Evidence("tags", OLD_VBR.file_path, 186.6, 187.0)
    match = Match(OLD_VBR, "same_song", 0.9, evidence, True)  # type: ignore[arg-type]
    words = "same artist and title as /music/v0.mp3 (mp3 245 kbps VBR), 3:07 against 3:07"
    assert match_reason(match) == words


@pytest.mark.parametrize(
    ("evidence", "words"),
    [
        (
            Evidence("names", OLD.file_path, 240.0, 187.0, miss="lengths"),
            "similar artist and title to /music/old.mp3, but 4:00 against 3:07",
        ),
        (
            Evidence("names", OLD.file_path, 187.0, 187.0, 0.9, 0.31, miss="another_recording"),
            "similar artist and title (90%) to /music/old.mp3, 3:07 against 3:07, "
            "but another recording (31% of fingerprint bits differ)",
        ),
        (
            Evidence("tags", OLD.file_path, 6.0, 4.0, miss="lengths"),
            "same artist and title as /music/old.mp3, but 0:06 against 0:04",
        ),
        (
            Evidence(
                "musicbrainz",
                OLD.file_path,
                187.0,
                187.0,
                bit_error_rate=0.4,
                miss="another_recording",
            ),
            "same MusicBrainz recording as /music/old.mp3, 3:07 against 3:07, "
            "but another recording (40% of fingerprint bits differ)",
        ),
        (
            Evidence("fingerprint", OLD.file_path, 210.0, 187.0, miss="another_edit"),
            "same recording as /music/old.mp3 by fingerprint, but 3:30 against 3:07: another edit",
        ),
        (
            Evidence(
                "fingerprint",
                OLD.file_path,
                187.0,
                187.0,
                miss="another_version",
                versions=(("mix", "remix"), ()),
            ),
            "same recording as /music/old.mp3 by fingerprint, but titled as another version "
            "(mix, remix against no version)",
        ),
    ],
)
def test_each_near_miss_is_worded_from_its_evidence(evidence: Evidence, words: str) -> None:
    assert near_miss_reason(evidence) == words


def test_a_result_says_what_the_file_is_then_the_evidence_then_the_verdict() -> None:
    new = LibraryFile(file_path="/dl/new.flac")
    match = _match(Evidence("same_bytes", OLD.file_path), "exact")
    duplicate = DuplicateResult(
        "/dl/new.flac",
        "duplicate",
        new,
        matches=[match],
        quality="better",
        quality_reason="lossless over lossy",
    )
    assert result_reason(duplicate) == (
        "same bytes as /music/old.mp3; new file better (lossless over lossy)"
    )
    own = DuplicateResult(
        "/dl/new.flac",
        "own",
        new,
        indexed_as=LibraryFile(file_path="/music/new.flac"),
        matches=[match],
        quality="same",
        quality_reason="same quality",
    )
    assert result_reason(own) == (
        "the library's own file (indexed as /music/new.flac); same bytes as /music/old.mp3; "
        "same quality"
    )
    near = Evidence("tags", OLD.file_path, 6.0, 4.0, miss="lengths")
    missed = DuplicateResult("/dl/new.flac", "new", new, near_misses=[near])
    assert result_reason(missed) == "same artist and title as /music/old.mp3, but 0:06 against 0:04"
    gone = DuplicateResult("/dl/new.flac", "new", new, near_misses=[near], gone=[ODD])
    assert result_reason(gone) == (
        "not in the library: its copy /music/caf\\xe9.mp3 is gone from disk "
        "(music-tools index of its folder marks it missing)"
    )
    assert result_reason(DuplicateResult("/dl/x", "new", new)) == "not in the library"
    unreadable = DuplicateResult("/dl/x", "unreadable", error="permission denied")
    assert result_reason(unreadable) == "cannot read: permission denied"


def test_the_json_record_carries_the_evidence_with_printable_paths() -> None:
    new = LibraryFile(file_path="/dl/new.mp3")
    evidence = Evidence("fingerprint", ODD, 190.0, 187.0, bit_error_rate=0.08, offset_s=1.5)
    result = DuplicateResult("/dl/new.mp3", "duplicate", new, matches=[_match(evidence)])
    (record,) = result_record(result)["matches"]
    assert record["evidence"] == {
        "basis": "fingerprint",
        "other": "/music/caf\\xe9.mp3",
        "new_length": 190.0,
        "other_length": 187.0,
        "bit_error_rate": 0.08,
        "offset_s": 1.5,
    }


@pytest.mark.parametrize(
    ("why", "words"),
    [
        (KeeperReason("quality", "lossless over lossy"), "kept: lossless over lossy"),
        (
            KeeperReason("preferred_root", root=os.fsdecode(b"/caf\xe9")),
            "kept: same quality, in the preferred root /caf\\xe9",
        ),
        (
            KeeperReason("album_folder", album="OK Computer", album_files=12),
            "kept: same quality, its folder holds its album (12 files of 'OK Computer')",
        ),
        (KeeperReason("no_copy_marker"), "kept: same quality, no copy marker in its name"),
        (KeeperReason("oldest"), "kept: same quality, the oldest file"),
        (KeeperReason("indexed_first"), "kept: same quality, indexed first"),
        (KeeperReason("first_by_path"), "kept: same quality, first by path"),
    ],
)
def test_each_keeper_rule_is_worded_from_its_reason(why: KeeperReason, words: str) -> None:
    assert group_reason(DuplicateGroup("exact", OLD, [], why)) == words
