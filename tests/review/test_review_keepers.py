"""The keeper rules: applied in order, each keeping the copies as good as the best by it."""

from __future__ import annotations

from music_tools.dupes.keepers import by_quality, keeper_rules
from music_tools.dupes.keepers import choose_keeper as dupes_keeper
from music_tools.library import LibraryFile
from music_tools.review.keepers import (
    PRESETS,
    KeeperContext,
    choose_keeper,
    not_best_reason,
    verdict_of,
)
from support.factories import library_file

NONE = KeeperContext()


def _mp3(i: int, bitrate: int, **changes: object) -> LibraryFile:
    values = {"file_format": "mp3", "codec": "mp3", "is_lossless": False, "bitrate": bitrate}
    return library_file(i, **{**values, **changes})


def _judged(i: int, verdict: str | None, **changes: object) -> LibraryFile:
    return library_file(i, quality_verdict=verdict, **changes)


def test_lossless_beats_any_bitrate_and_the_flag_says_so() -> None:
    flac, mp3 = library_file(1), _mp3(2, 320)
    assert choose_keeper([mp3, flac], "quality", NONE) is flac
    assert not_best_reason([mp3, flac], mp3, NONE) == "a lossless copy exists"  # not analysed
    assert not_best_reason([mp3, flac], flac, NONE) == ""


def test_vbr_averages_a_few_percent_apart_are_the_same_quality() -> None:
    """245 and 251 kbps are two V0 files: the bitrate decides nothing, the oldest wins."""
    old_v0 = _mp3(1, 245, file_mtime_ns=1)
    new_v0 = _mp3(2, 251, file_mtime_ns=2)
    assert choose_keeper([new_v0, old_v0], "quality", NONE) is old_v0
    assert not_best_reason([new_v0, old_v0], old_v0, NONE) == ""
    cbr = _mp3(3, 320, file_mtime_ns=3)
    assert choose_keeper([old_v0, cbr], "quality", NONE) is cbr
    assert not_best_reason([old_v0, cbr], old_v0, NONE) == "a copy with a higher bitrate exists"


def test_lossless_copies_go_by_sample_rate_then_bit_depth_not_bitrate() -> None:
    cd = library_file(1, bitrate=1411)
    hires = library_file(2, sample_rate=96_000, bits_per_sample=24, bitrate=900)
    deep = library_file(3, bits_per_sample=24, bitrate=700)
    assert choose_keeper([cd, hires], "quality", NONE) is hires
    assert choose_keeper([cd, deep], "quality", NONE) is deep


def test_a_lossless_file_made_from_a_lossy_one_loses_once_rows_carry_the_verdict() -> None:
    genuine = _judged(1, "genuine")
    fake = _judged(2, "lossy_source", sample_rate=96_000)
    upsampled = _judged(3, "upsampled", sample_rate=96_000)
    assert verdict_of(fake) == "lossy_source" and verdict_of(library_file(4)) is None
    assert choose_keeper([fake, genuine], "quality", NONE) is genuine
    assert choose_keeper([upsampled, genuine], "quality", NONE) is genuine
    assert not_best_reason([fake, genuine], fake, NONE) == "a genuine lossless copy exists"
    assert "genuine" in not_best_reason([upsampled, genuine], upsampled, NONE)
    unsure = _judged(5, "unsure", sample_rate=96_000)
    assert choose_keeper([unsure, genuine], "quality", NONE) is unsure  # no proof: as given


def test_presets_order_folder_and_age_against_quality() -> None:
    context = KeeperContext(preferred=("/keep",))
    flac_elsewhere = library_file(1, root="/other", file_mtime_ns=5)
    mp3_kept_folder = _mp3(2, 320, root="/keep", file_mtime_ns=9)
    old_mp3 = _mp3(3, 128, root="/other", file_mtime_ns=1)
    files = [flac_elsewhere, mp3_kept_folder, old_mp3]
    assert choose_keeper(files, "quality", context) is flac_elsewhere
    assert choose_keeper(files, "folder", context) is mp3_kept_folder
    assert choose_keeper(files, "oldest", context) is old_mp3
    assert set(PRESETS) == {"quality", "folder", "oldest"}


def test_equal_copies_go_to_the_preferred_folder_then_the_oldest_then_the_path() -> None:
    a = library_file(1, root="/b", file_mtime_ns=1, file_path="/b/x.flac")
    b = library_file(1, root="/a", file_mtime_ns=2, file_path="/a/x.flac")
    assert choose_keeper([a, b], "quality", KeeperContext(preferred=("/a",))) is b
    assert choose_keeper([a, b], "quality", NONE) is a
    c = library_file(1, root="/a", file_mtime_ns=1, file_path="/a/y.flac")
    assert choose_keeper([a, c], "quality", NONE) is c  # same age: the first by path


def test_the_quality_preset_keeps_what_dupes_keeps() -> None:
    """The page orders the rules of `dupes`: its album-folder rule too (a stray copy in a
    Downloads folder goes, though older)."""
    home = library_file(1, file_path="/m/Album/x.flac", directory="/m/Album", file_mtime_ns=9)
    stray = library_file(1, file_path="/m/Down/x.flac", directory="/m/Down", file_mtime_ns=1)
    albums = {(None, "/m/Album", home.album or ""): 3, (None, "/m/Down", home.album or ""): 1}
    assert choose_keeper([stray, home], "quality", KeeperContext(albums=albums)) is home
    assert dupes_keeper(by_quality([stray, home]), keeper_rules([], albums))[0] is home
    assert choose_keeper([stray, home], "oldest", KeeperContext(albums=albums)) is stray
