"""A VBR file is judged by its average bitrate, as the readers report it, against a CBR
file's: within 5% of the higher (`rules._BITRATE_SLACK`, what VBR averages of one setting
wander by) they are the same quality and the later keeper rules decide; further apart the
higher bitrate wins. The mode itself ("CBR", "VBR") never decides."""

from __future__ import annotations

import pytest

from music_tools.dupes.keepers import best_copies, by_quality
from music_tools.dupes.rules import quality_verdict
from music_tools.library import LibraryFile
from music_tools.review.keepers import KeeperContext, choose_keeper, not_best_reason
from support.factories import library_file


def _mp3(i: int, kbps: int, mode: str | None, age: int = 0) -> LibraryFile:
    values = {"file_format": "mp3", "codec": "mp3", "is_lossless": False, "file_mtime_ns": age}
    return library_file(i, bitrate=kbps, bitrate_mode=mode, **values)


@pytest.mark.parametrize(
    ("vbr", "cbr", "verdict"),
    [
        (245, 256, "same"),  # LAME V0 against 256 kbps CBR: a small margin, no verdict
        (244, 256, "same"),  # 4.7% apart
        (243, 256, "worse"),  # 5.1% apart: past the slack
        (262, 256, "same"),  # a V0 average above the CBR rate is not better either
        (245, 320, "worse"),  # V0 against 320 kbps CBR: the average is 23% lower
        (190, 256, "worse"),  # V2 against 256 kbps CBR
        (190, 192, "same"),  # V2 against 192 kbps CBR
        (190, 160, "better"),
    ],
)
def test_a_vbr_average_within_the_slack_of_a_cbr_rate_is_the_same_quality(
    vbr: int, cbr: int, verdict: str
) -> None:
    variable, constant = _mp3(1, vbr, "VBR"), _mp3(2, cbr, "CBR")
    assert quality_verdict(variable, constant)[0] == verdict
    mirrored = {"same": "same", "worse": "better", "better": "worse"}[verdict]
    assert quality_verdict(constant, variable)[0] == mirrored
    as_cbr = _mp3(3, vbr, "CBR")  # the label changes nothing: the averages decide
    assert quality_verdict(as_cbr, constant)[0] == verdict


def test_a_v0_copy_is_not_passed_over_for_a_256_kbps_cbr_one() -> None:
    """The CBR copy's higher nominal rate does not make it the keeper: both are the best
    copies, so the older one is kept, and keeping the V0 copy is not flagged."""
    v0, cbr = _mp3(1, 245, "VBR", age=1), _mp3(2, 256, "CBR", age=2)
    assert best_copies(by_quality([cbr, v0])) == [cbr, v0]  # ranked, both among the best
    assert choose_keeper([cbr, v0], "quality", KeeperContext()) is v0
    assert not_best_reason([cbr, v0], v0, KeeperContext()) == ""
    cbr320 = _mp3(3, 320, "CBR", age=3)
    assert choose_keeper([v0, cbr320], "quality", KeeperContext()) is cbr320
