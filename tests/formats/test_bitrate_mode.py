"""CBR, VBR or ABR (`LibraryFile.bitrate_mode`): read from an MP3's Xing/Info/VBRI header and
its LAME extension by both paths alike, as mutagen's `MPEGInfo.bitrate_mode` says it; None
where it is not known or does not apply (lossless formats, MP3 without a VBR header)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_fast_read import assert_same_as_mutagen

from music_tools import extract
from support.audio_factory import ffmpeg_encoders, file_name, make_audio

needs_lame = pytest.mark.skipif(
    "mp3" not in ffmpeg_encoders(), reason="needs ffmpeg with libmp3lame (.ci/run installs it)"
)

#: LAME's VBR method nibble -> what mutagen (and so music-tools) calls the file
_BY_METHOD = {1: "CBR", 8: "CBR", 2: "ABR", 9: "ABR", 3: "VBR", 4: "VBR", 5: "VBR", 6: "VBR"}


@pytest.fixture(scope="module")
def lame_mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of an MP3 with a Xing header and a LAME extension (libsndfile's LAME)."""
    path = make_audio(tmp_path_factory.mktemp("lame") / "a.mp3", "mp3", seed=1, seconds=1.0)
    data = path.read_bytes()
    assert b"Xing" in data[:4096] and b"LAME" in data[:4096]
    return data


def _xing_at(data: bytes | bytearray) -> int:
    return data.index(b"Xing") if b"Xing" in data[:4096] else data.index(b"Info")


def _lame_at(data: bytes | bytearray) -> int:
    return data.index(b"LAME", _xing_at(data))


def _write(path: Path, data: bytes | bytearray) -> Path:
    path.write_bytes(bytes(data))
    return path


def _read_alike(path: Path) -> str | None:
    """The mode both paths give `path` (the lean reader reading it)."""
    assert assert_same_as_mutagen(path)
    mode = extract(path).bitrate_mode
    assert mode == extract(path, fast_read=False).bitrate_mode
    return mode


@pytest.mark.parametrize("method", range(16))
@pytest.mark.parametrize("tag", [b"Xing", b"Info"])
def test_the_lame_vbr_method_names_the_mode_on_both_paths(
    tmp_path: Path, lame_mp3: bytes, method: int, tag: bytes
) -> None:
    data = bytearray(lame_mp3)
    data[_xing_at(data) : _xing_at(data) + 4] = tag
    at = _lame_at(data) + 9  # the extended header: revision nibble, VBR method nibble
    data[at] = method
    expected = _BY_METHOD.get(method, "CBR" if tag == b"Info" else "VBR")
    assert _read_alike(_write(tmp_path / "a.mp3", data)) == expected


@pytest.mark.parametrize(
    ("version", "scale", "tag", "expected"),
    [
        (b"LAME3.88 (beta)", True, b"Xing", "VBR"),  # an old LAME: its version, no extension
        (b"LAME3.88 (beta)", False, b"Xing", "VBR"),
        (b"Lavc60.31", True, b"Xing", "VBR"),  # another encoder: the VBR scale says so
        (b"Lavc60.31", False, b"Xing", None),  # nothing says: mutagen's UNKNOWN
        (b"Lavc60.31", False, b"Info", "CBR"),  # Info: written for CBR files only
    ],
)
def test_without_a_lame_extension_the_xing_header_names_the_mode(
    tmp_path: Path,
    lame_mp3: bytes,
    version: bytes,
    scale: bool,
    tag: bytes,
    expected: str | None,
) -> None:
    data = bytearray(lame_mp3)
    xing, lame = _xing_at(data), _lame_at(data)
    data[xing : xing + 4] = tag
    data[lame : lame + 20] = version.ljust(20, b"\x00")
    flags = int.from_bytes(data[xing + 4 : xing + 8], "big")
    assert flags & 8  # the VBR scale is there; cleared, its 4 bytes read as the version's
    if not scale:
        data[xing + 4 : xing + 8] = (flags & ~8).to_bytes(4, "big")
        del data[lame - 4 : lame]
        data[lame + 32 : lame + 32] = b"\x00" * 4  # the frame keeps its length
    assert _read_alike(_write(tmp_path / "a.mp3", data)) == expected


def test_an_mp3_without_a_vbr_header_has_no_mode(tmp_path: Path, lame_mp3: bytes) -> None:
    data = bytearray(lame_mp3)
    xing = _xing_at(data)
    data[xing : xing + 4] = b"\x00" * 4
    assert _read_alike(_write(tmp_path / "a.mp3", data)) is None


@needs_lame
@pytest.mark.parametrize(
    ("args", "expected"),
    [(("-b:a", "192k"), "CBR"), (("-q:a", "0"), "VBR"), (("-abr", "1", "-b:a", "160k"), "VBR")],
)
def test_mp3s_an_encoder_made_read_their_mode_alike(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    source = make_audio(tmp_path / "a.wav", "wav", seed=2, seconds=2.0)
    path = tmp_path / "a.mp3"
    command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-c:a", "libmp3lame"]
    subprocess.run([*command, *args, str(path)], check=True)
    assert _read_alike(path) == expected


@pytest.mark.parametrize("fmt", ["flac", "wav", "ogg"])
def test_other_formats_have_no_mode(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / file_name(fmt), fmt, seed=3)
    assert extract(path).bitrate_mode is None
    assert extract(path, fast_read=False).bitrate_mode is None
