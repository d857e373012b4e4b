"""Headers that contradict themselves or the file (review D5, D6), and files that only look
odd but are intact (review P2, P3).

- A PCM WAV whose `fmt ` byte rate is not its sample rate x block align, or whose block
  align is not its channels x bytes per sample; an AIFF whose COMM declares more sample
  frames than its SSND holds: damaged. Compressed WAVs (ADPCM, MP3 in WAV) have other
  rules: left alone.
- An MP3 whose VBR header declares more bytes than its frames could hold at the layer's
  highest bitrate, or whose file holds far more stream than those frames could: damaged;
  never one that only carries tags (ID3v1, APEv2, Lyrics3) after its stream.
- A WAV, AIFF or M4A with an ID3v1 or APEv2 tag appended (mutagen and soundfile read them
  fine), and a WAV streamed to a pipe (its sizes 0xFFFFFFFF, or 0): intact, read whole.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import mutagen
import pytest
import soundfile
from mutagen.apev2 import BINARY, APEv2, APEValue

from music_tools import ExtractError, LibraryFile, extract
from support.audio_factory import Tags, encode_with_ffmpeg, ffmpeg_encoders, make_audio, write_tags

_FFMPEG = ffmpeg_encoders()
needs_ffmpeg = pytest.mark.skipif(not {"mp3", "m4a"} <= _FFMPEG, reason="needs ffmpeg's encoders")


def _reason(path: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        extract(path)
    for_mutagen = pytest.raises(ExtractError)
    with for_mutagen:
        extract(path, fast_read=False)
    return caught.value.reason


def _both(path: Path) -> LibraryFile:
    """The file as the lean readers and as mutagen read it: the same length."""
    fast, slow = extract(path), extract(path, fast_read=False)
    assert fast.duration == pytest.approx(slow.duration, abs=0.01), (fast, slow)
    return fast


def _ffmpeg(source: Path, path: Path, *args: str) -> Path:
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *args, str(path)]
    subprocess.run(command, check=True)
    return path


def _patch(path: Path, at: int, fmt: str, value: int) -> Path:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, at, value)
    path.write_bytes(bytes(data))
    return path


# -- WAV and AIFF: the format chunk against itself, COMM against SSND -----------------------


def _fmt(path: Path) -> int:
    """Where the `fmt ` chunk's fields start."""
    return path.read_bytes().index(b"fmt ") + 8


def test_a_wav_whose_sample_rate_contradicts_its_byte_rate_is_damaged(tmp_path: Path) -> None:
    """The review's repro: the rate set to 192,000, the byte rate left at 176,400."""
    path = make_audio(tmp_path / "a.wav", "wav", seconds=0.5)
    _patch(path, _fmt(path) + 4, "<I", 192_000)
    reason = _reason(path)
    assert reason.startswith("damaged WAV: ") and "byte rate" in reason, reason


def test_a_wav_whose_block_align_contradicts_its_channels_is_damaged(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.wav", "wav", seconds=0.5)
    at = _fmt(path)
    _patch(path, at + 12, "<H", 8)  # block align 8: as if 4 bytes a sample
    _patch(path, at + 8, "<I", 44_100 * 8)  # and a byte rate to match it
    reason = _reason(path)
    assert reason.startswith("damaged WAV: ") and "block align" in reason, reason


@pytest.mark.parametrize(
    ("subtype", "channels"),
    [("PCM_16", 2), ("PCM_24", 2), ("PCM_U8", 1), ("FLOAT", 2), ("DOUBLE", 1), ("PCM_32", 6)],
)
def test_intact_wavs_of_every_pcm_kind_are_not_damaged(
    tmp_path: Path, subtype: str, channels: int
) -> None:
    path = tmp_path / "a.wav"
    soundfile.write(path, [[0.1] * channels] * 4410, 44_100, subtype=subtype)
    assert _both(path).duration == pytest.approx(0.1)


@needs_ffmpeg
@pytest.mark.parametrize(
    "codec",
    [
        ("-c:a", "pcm_s16le"),
        ("-c:a", "pcm_s24le", "-ac", "6"),  # WAVE_FORMAT_EXTENSIBLE
        ("-c:a", "pcm_f32le"),
        ("-c:a", "adpcm_ms"),
        ("-c:a", "adpcm_ima_wav"),
        ("-c:a", "libmp3lame", "-b:a", "128k"),
    ],
    ids=["s16", "s24-extensible", "f32", "adpcm_ms", "adpcm_ima", "mp3-in-wav"],
)
def test_wavs_ffmpeg_writes_are_not_damaged(tmp_path: Path, codec: tuple[str, ...]) -> None:
    source = make_audio(tmp_path / "s.wav", "wav", seconds=0.5)
    path = _ffmpeg(source, tmp_path / "a.wav", *codec)
    extract(path)  # (a compressed WAV's length is mutagen's reading: bytes over block align)


def test_an_aiff_whose_comm_declares_more_frames_than_its_ssnd_holds_is_damaged(
    tmp_path: Path,
) -> None:
    path = make_audio(tmp_path / "a.aiff", "aiff", seconds=0.5)
    at = path.read_bytes().index(b"COMM") + 8
    _patch(path, at + 2, ">I", 22_050 * 10)  # ten times the frames the SSND chunk holds
    reason = _reason(path)
    assert reason.startswith("damaged AIFF: ") and "frames" in reason, reason


@needs_ffmpeg
def test_aiffs_soundfile_and_ffmpeg_write_are_not_damaged(tmp_path: Path) -> None:
    made = make_audio(tmp_path / "a.aiff", "aiff", seconds=0.5)
    assert _both(made).duration == pytest.approx(0.5)
    for codec in ("pcm_s16be", "pcm_s24be"):
        path = _ffmpeg(made, tmp_path / f"{codec}.aiff", "-c:a", codec)
        assert _both(path).duration == pytest.approx(0.5, abs=0.01)


# -- MP3: a VBR header against the layer's limits and the file -----------------------------


def _xing_frames(path: Path, divide: int) -> Path:
    data = bytearray(path.read_bytes())
    at = data.index(b"Xing") if b"Xing" in data else data.index(b"Info")
    assert int.from_bytes(data[at + 4 : at + 8], "big") & 1  # the frame count is there
    frames = int.from_bytes(data[at + 8 : at + 12], "big")
    data[at + 8 : at + 12] = (frames // divide).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


def _lame(path: Path) -> Path:
    return make_audio(path, "mp3", seconds=3.0, tags=Tags())


def _ffmpeg_vbr(path: Path) -> Path:
    source = make_audio(path.with_suffix(".wav"), "wav", seconds=3.0)
    return _ffmpeg(source, path, "-c:a", "libmp3lame", "-q:a", "2")


@pytest.mark.parametrize(
    "make", [_lame, pytest.param(_ffmpeg_vbr, marks=needs_ffmpeg)], ids=["lame", "ffmpeg"]
)
def test_an_mp3_whose_xing_frame_count_is_too_small_is_damaged(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    """The review's repro: the frame count divided by 10 read as 3.0 s at 1,723 kbps."""
    path = _xing_frames(make(tmp_path / "a.mp3"), 10)
    reason = _reason(path)
    assert reason.startswith("damaged MP3: ") and "kbps" in reason, reason


def _big_trailing_tags(path: Path) -> Path:
    """ID3v1, then a 600 KB APEv2 tag (a binary item), then Lyrics3v2 before the ID3v1."""
    write_tags(path, "mp3", Tags(), id3v1=True)
    tag = APEv2()
    tag["Title"] = "Test Title"
    tag["Cover Art (Front)"] = APEValue(b"cover.jpg\x00" + bytes(600_000), BINARY)
    tag.save(path)
    data = path.read_bytes()
    body = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00020[00:01]la la la la"
    lyrics = body + str(len(body)).zfill(6).encode() + b"LYRICS200"
    path.write_bytes(data[:-128] + lyrics + data[-128:])
    return path


@needs_ffmpeg
@pytest.mark.parametrize(
    "quality",
    [
        ("-b:a", "320k"),
        ("-b:a", "32k"),
        ("-q:a", "0"),
        ("-q:a", "9"),
        ("-b:a", "160k", "-ar", "24000"),
        ("-b:a", "8k", "-ar", "8000"),
    ],
    ids=["cbr320", "cbr32", "vbr0", "vbr9", "mpeg2", "mpeg2.5"],
)
@pytest.mark.parametrize("seconds", [0.2, 3.0])
def test_mp3s_with_big_trailing_tags_are_not_damaged(
    tmp_path: Path, quality: tuple[str, ...], seconds: float
) -> None:
    source = make_audio(tmp_path / "a.wav", "wav", seconds=seconds)
    path = _ffmpeg(source, tmp_path / "a.mp3", "-c:a", "libmp3lame", *quality)
    assert b"Xing" in path.read_bytes() or b"Info" in path.read_bytes()
    whole = extract(path).duration
    assert extract(_big_trailing_tags(path)).duration == whole


def test_a_lame_mp3_with_big_trailing_tags_is_not_damaged(tmp_path: Path) -> None:
    path = _lame(tmp_path / "a.mp3")
    whole = extract(path).duration
    assert extract(_big_trailing_tags(path)).duration == whole


# -- tags appended to WAV, AIFF and M4A; a WAV streamed to a pipe ----------------------------


def _id3v1(path: Path) -> Path:
    with path.open("ab") as out:
        out.write(b"TAG" + b"Title".ljust(30, b"\0") + b"Artist".ljust(30, b"\0") + bytes(65))
    return path


def _apev2(path: Path) -> Path:
    tag = APEv2()
    tag["Title"] = "Test Title"
    tag.save(path)
    return path


@pytest.mark.parametrize("append", [_id3v1, _apev2], ids=["ID3v1", "APEv2"])
@pytest.mark.parametrize("fmt", ["wav", "aiff", pytest.param("m4a", marks=needs_ffmpeg)])
def test_a_tag_appended_to_a_wav_aiff_or_m4a_is_not_damage(
    tmp_path: Path, fmt: str, append: Callable[[Path], Path]
) -> None:
    make = encode_with_ffmpeg if fmt == "m4a" else make_audio
    path = make(tmp_path / f"a.{fmt}", fmt, seconds=0.5)
    whole = extract(path)
    append(path)
    assert mutagen.File(path) is not None
    if fmt != "m4a":
        assert soundfile.info(path).duration == pytest.approx(0.5)
    assert _both(path).duration == whole.duration


@needs_ffmpeg
def test_a_wav_ffmpeg_streamed_to_a_pipe_reads_whole(tmp_path: Path) -> None:
    """ffmpeg writing to a pipe cannot go back to fill in the sizes: RIFF and data say
    0xFFFFFFFF, and the data runs to the end of the file."""
    source = make_audio(tmp_path / "s.wav", "wav", seconds=2.0)
    path = tmp_path / "piped.wav"
    with path.open("wb") as out:
        command = ["ffmpeg", "-loglevel", "error", "-i", str(source), "-f", "wav", "-"]
        subprocess.run(command, stdout=out, check=True)
    assert b"data\xff\xff\xff\xff" in path.read_bytes()[:200]
    assert soundfile.info(path).duration == pytest.approx(2.0)
    assert _both(path).duration == pytest.approx(2.0)


def test_a_streamed_wav_whose_data_size_was_left_at_0_reads_whole(tmp_path: Path) -> None:
    """The other placeholder a streaming writer leaves in the data size: 0 (with the RIFF
    size 0xFFFFFFFF; a RIFF size of 0 too is more than mutagen reads, and an error)."""
    path = make_audio(tmp_path / "a.wav", "wav", seconds=1.0)
    _patch(path, 4, "<I", 0xFFFF_FFFF)
    _patch(path, path.read_bytes().index(b"data") + 4, "<I", 0)
    file = _both(path)
    assert file.duration == pytest.approx(1.0)
    copy = shutil.copyfile(path, tmp_path / "b.wav")
    assert extract(copy).audio_key == file.audio_key
