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
from mutagen.apev2 import APEv2

from audio_factory import encode_with_ffmpeg, ffmpeg_encoders, make_audio
from music_tools import ExtractError, LibraryFile, extract

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
