"""Headers that declare a stream the file does not hold: a FLAC STREAMINFO of garbage or of
another stream than its frames, an MP3 cut short that keeps its Xing header, an Ogg file cut
inside its last page, a WMA or DSF data object cut short. Each is a read error, never a row;
and the files that only look alike (tags at either end, no VBR header, a cut between two Ogg
pages, an unknown FLAC length) read as before."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from mutagen.apev2 import APEv2

from music_tools import ExtractError, extract
from support.audio_factory import (
    Tags,
    encode_with_ffmpeg,
    ffmpeg_encoders,
    make_audio,
    write_tags,
)

_FFMPEG = ffmpeg_encoders()
needs_ffmpeg_mp3 = pytest.mark.skipif("mp3" not in _FFMPEG, reason="needs ffmpeg's MP3 encoder")


def _reason(path: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        extract(path)
    return caught.value.reason


def _cut(path: Path, keep: int) -> Path:
    path.write_bytes(path.read_bytes()[:keep])
    return path


# -- FLAC ----------------------------------------------------------------------------------

_FIELDS = ("min_block", "max_block", "min_frame", "max_frame", "rate", "channels", "bits", "total")


def _streaminfo(path: Path, **changes: int) -> Path:
    """Rewrite STREAMINFO fields in place (channels and bits as counted, not as stored)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"fLaC") + 8
    body = data[at : at + 18]
    packed = int.from_bytes(body[10:18], "big")
    values = dict(
        zip(
            _FIELDS,
            (
                int.from_bytes(body[0:2], "big"),
                int.from_bytes(body[2:4], "big"),
                int.from_bytes(body[4:7], "big"),
                int.from_bytes(body[7:10], "big"),
                packed >> 44,
                (packed >> 41 & 7) + 1,
                (packed >> 36 & 31) + 1,
                packed & ((1 << 36) - 1),
            ),
            strict=True,
        )
    )
    values.update(changes)
    packed = (
        values["rate"] << 44
        | (values["channels"] - 1) << 41
        | (values["bits"] - 1) << 36
        | values["total"]
    )
    data[at : at + 18] = (
        values["min_block"].to_bytes(2, "big")
        + values["max_block"].to_bytes(2, "big")
        + values["min_frame"].to_bytes(3, "big")
        + values["max_frame"].to_bytes(3, "big")
        + packed.to_bytes(8, "big")
    )
    path.write_bytes(bytes(data))
    return path


def _frames_start(path: Path) -> int:
    data = path.read_bytes()
    offset = data.index(b"fLaC") + 4
    while True:
        last, length = data[offset] & 0x80, int.from_bytes(data[offset + 1 : offset + 4], "big")
        offset += 4 + length
        if last:
            return offset


@pytest.fixture
def flac(tmp_path: Path) -> Path:
    return make_audio(tmp_path / "a.flac", "flac", seconds=2.0, tags=Tags())


def test_a_streaminfo_of_another_rate_and_channel_count_than_the_frames_is_damaged(
    flac: Path,
) -> None:
    reason = _reason(_streaminfo(flac, rate=48_000, channels=1))
    assert reason == (
        "damaged FLAC: its STREAMINFO says 48,000 Hz, 1 channel, "
        "its frames 44,100 Hz, 2 channels (a corrupt header?)"
    )


def test_the_first_frame_is_compared_when_the_last_one_cannot_be_placed(flac: Path) -> None:
    """Unequal block sizes leave fixed-size frames unnumbered: the last frame settles
    nothing, and the first frame's header tells the garbage apart."""
    _streaminfo(flac, min_block=1024, rate=125_637, channels=3, bits=24)
    assert _reason(flac).startswith("damaged FLAC: its STREAMINFO says 125,637 Hz, 3 channels")


def test_a_streaminfo_of_garbage_but_its_md5_is_always_damaged(tmp_path: Path) -> None:
    intact = make_audio(tmp_path / "intact.flac", "flac", seconds=1.0)
    data = intact.read_bytes()
    at = data.index(b"fLaC") + 8
    rng = random.Random(19)
    for seed in range(40):
        path = tmp_path / f"{seed}.flac"
        garbage = bytes(rng.randrange(256) for _ in range(18))
        path.write_bytes(data[:at] + garbage + data[at + 18 :])
        assert _reason(path).startswith("damaged FLAC: "), seed


@pytest.mark.parametrize(
    ("changes", "declared"),
    [
        ({"bits": 3}, "3 bits a sample"),
        ({"min_block": 8192}, "blocks of 8192 to 4096 samples"),
        ({"min_frame": 70_000}, "frames of 70000 to"),
        ({"max_frame": 9_000_000}, "frames of up to 9.0 MB, more than blocks of 4096 samples"),
    ],
)
def test_a_streaminfo_value_the_format_forbids_is_damage(
    flac: Path, changes: dict[str, int], declared: str
) -> None:
    reason = _reason(_streaminfo(flac, **changes))
    assert reason.startswith(f"damaged FLAC: its STREAMINFO declares {declared}"), reason


def test_frames_that_cannot_hold_the_declared_length_are_damage(flac: Path) -> None:
    start = _frames_start(flac)
    data = flac.read_bytes()
    flac.write_bytes(data[:start] + bytes(len(data) - start))  # no frame left
    assert _reason(flac) == "damaged FLAC: no frame where its audio should start (corrupt?)"
    _streaminfo(flac, total=44_100 * 3600)
    assert "of frames or more, " in _reason(flac)


def test_flacs_that_only_look_odd_are_not_damaged(tmp_path: Path) -> None:
    """An ID3v2 tag before "fLaC", a large picture and padding, ID3v1 and APEv2 tags after
    the frames, an unknown length (a total of 0): all read."""
    path = make_audio(tmp_path / "a.flac", "flac", seconds=1.5, tags=Tags())
    write_tags(path, "flac", Tags(), picture=True, cover=bytes(range(256)) * 400, padding=70_000)
    tag = APEv2()
    tag["Title"] = "Test Title"
    tag.save(path)
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    path.write_bytes(id3 + path.read_bytes() + b"TAG" + bytes(125))
    assert extract(path).duration == pytest.approx(1.5)
    assert extract(_streaminfo(path, total=0)).sample_rate == 44_100


# -- MP3 -----------------------------------------------------------------------------------


def _lame(path: Path) -> Path:
    """A VBR MP3 with a Xing and LAME header, as libsndfile's LAME writes it."""
    return make_audio(path, "mp3", seconds=3.0, tags=Tags(), picture=True)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_an_mp3_cut_short_with_its_xing_header_is_damaged(tmp_path: Path, keep: float) -> None:
    path = _lame(tmp_path / "a.mp3")
    whole = extract(path)
    _cut(path, int(path.stat().st_size * keep))
    reason = _reason(path)
    assert reason.startswith("damaged MP3: ") and reason.endswith(" of audio missing (truncated?)")
    assert whole.duration == pytest.approx(3.0, abs=0.1)


@needs_ffmpeg_mp3
def test_an_ffmpeg_mp3_cut_short_is_damaged(tmp_path: Path) -> None:
    path = encode_with_ffmpeg(tmp_path / "a.mp3", "mp3", seconds=3.0)
    _cut(path, path.stat().st_size * 2 // 3)
    assert _reason(path).startswith("damaged MP3: ")


def test_mp3_tags_at_either_end_are_no_damage(tmp_path: Path) -> None:
    """A 300 KB cover before the stream, ID3v1 and APEv2 after it (the Xing byte count is
    the stream's alone): the whole file holds more than the header declares, never less."""
    path = _lame(tmp_path / "a.mp3")
    write_tags(path, "mp3", Tags(), picture=True, cover=bytes(range(256)) * 1200, id3v1=True)
    tag = APEv2()
    tag["Title"] = "Test Title"
    tag.save(path)
    assert extract(path).duration == pytest.approx(3.0, abs=0.1)


def test_a_xing_byte_count_without_its_own_frame_is_no_damage(tmp_path: Path) -> None:
    path = _lame(tmp_path / "a.mp3")
    data = bytearray(path.read_bytes())
    xing = data.index(b"Xing")
    header = data[xing - 36 : xing - 32]  # MPEG 1 Layer III, stereo: 36 bytes in
    assert header[:2] == b"\xff\xfb" and header[2] >> 2 & 3 == 0  # at 44,100 Hz
    bitrate = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)[header[2] >> 4]
    frame_length = 144_000 * bitrate // 44_100 + (header[2] >> 1 & 1)
    at = xing + 12  # after the tag, the flags and the frame count: the byte count
    count = int.from_bytes(data[at : at + 4], "big")
    data[at : at + 4] = (count - frame_length).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    extract(path)


@needs_ffmpeg_mp3
@pytest.mark.parametrize("quality", [["-b:a", "128k"], ["-q:a", "2"]], ids=["CBR", "VBR"])
def test_an_mp3_without_a_vbr_header_cut_short_reads_as_the_shorter_file(
    tmp_path: Path, quality: list[str]
) -> None:
    """Without a Xing header the length is the bytes there are at the first frame's bitrate
    (an estimate, for VBR): nothing declares more, so nothing is missing."""
    source = make_audio(tmp_path / "a.wav", "wav", seconds=3.0)
    path = tmp_path / "a.mp3"
    command = ["ffmpeg", "-loglevel", "error", "-i", str(source), "-c:a", "libmp3lame"]
    subprocess.run([*command, *quality, "-write_xing", "0", str(path)], check=True)
    whole = extract(path).duration
    cut = extract(_cut(path, path.stat().st_size // 2)).duration
    assert whole is not None
    assert cut is not None and cut < whole * 0.75


# -- Ogg -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ogg", "opus"])
def test_an_ogg_file_cut_inside_its_last_page_is_damaged(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / f"a.{fmt}", fmt, seconds=3.0, tags=Tags())
    data = path.read_bytes()
    _cut(path, len(data) - 200)
    reason = _reason(path)
    assert reason.startswith("damaged Ogg: ") and "of its last page missing" in reason
    _cut(path, data.rindex(b"OggS") + 10)
    assert _reason(path) == "damaged Ogg: its last page's header is cut short (truncated?)"


def test_an_ogg_file_cut_between_two_pages_reads_as_the_shorter_file(tmp_path: Path) -> None:
    """Nothing in it says more was there: it is read as what it holds, and its length
    (from the granule of its last whole page) is then the shorter one."""
    path = make_audio(tmp_path / "a.ogg", "ogg", seconds=3.0, tags=Tags())
    data = path.read_bytes()
    whole = extract(path).duration
    _cut(path, data.rindex(b"OggS", 0, len(data) // 2))
    cut = extract(path).duration
    assert whole is not None and cut is not None and cut < whole * 0.6
    path.write_bytes(path.read_bytes() + b"TAG" + bytes(125))  # junk after the last page
    assert extract(path).duration == cut


# -- WMA, DSF ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wma", "dsf"])
def test_a_data_object_cut_short_is_damaged(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / f"a.{fmt}", fmt, seconds=0.5)
    extract(path)
    _cut(path, path.stat().st_size - 700)
    reason = _reason(path)
    assert reason.startswith(f"damaged {fmt.upper()}: ") and "(truncated?)" in reason, reason
