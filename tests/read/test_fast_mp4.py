"""The lean MP4 reader on the layouts it walks past in spots: the moov after the audio,
items after a large cover, the tags before the track, a track that is not the sound, and
the shapes it must leave to mutagen (a child past its container, chapters)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from mutagen.mp4 import MP4, MP4Cover
from test_fast_read import _bytes_read, assert_same_as_mutagen

from audio_factory import FFMPEG_CODECS, Tags, encode_with_ffmpeg, ffmpeg_encoders, write_tags
from music_tools.read.fast import read_fast_path

FFMPEG = ffmpeg_encoders()
COVER = bytes(range(256)) * 600  # 150 KB: the items after it lie far past the first bytes

pytestmark = pytest.mark.skipif("m4a" not in FFMPEG, reason="needs ffmpeg with its aac encoder")


def _atoms(data: bytes, start: int, end: int) -> list[tuple[bytes, bytes]]:
    """(name, whole atom) of each atom from `start` to `end` (32-bit sizes only)."""
    found = []
    while start < end:
        (size,) = struct.unpack(">I", data[start : start + 4])
        found.append((data[start + 4 : start + 8], data[start : start + size]))
        start += size
    return found


def _atom(name: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + name + payload


def _rewrite_moov(path: Path, children: list[bytes]) -> None:
    """Give the file's moov these children (its sample offsets are left as they were: no
    reader of tags and properties follows them)."""
    data = path.read_bytes()
    top = _atoms(data, 0, len(data))
    path.write_bytes(
        b"".join(_atom(b"moov", b"".join(children)) if n == b"moov" else a for n, a in top)
    )


def _moov_children(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    moov = next(a for n, a in _atoms(data, 0, len(data)) if n == b"moov")
    return _atoms(moov, 8, len(moov))


def _tagged(tmp_path: Path, fmt: str = "m4a", *, faststart: bool = True) -> Path:
    path = tmp_path / f"{fmt}.m4a"
    if faststart:
        encode_with_ffmpeg(path, fmt, seed=5, seconds=3.0)
    else:
        source = tmp_path / "source.m4a"
        encode_with_ffmpeg(source, fmt, seed=5, seconds=3.0)
        codec = [a for a in FFMPEG_CODECS[fmt] if a not in ("-movflags", "+faststart")]
        command = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-c", "copy"]
        subprocess.run([*command, *codec[2:], str(path)], check=True)
    write_tags(path, fmt, Tags(), picture=True, cover=COVER)
    return path


@pytest.mark.parametrize("fmt", ["m4a", "alac"])
def test_a_moov_after_the_audio_reads_as_mutagen_reads_it(tmp_path: Path, fmt: str) -> None:
    if fmt not in FFMPEG:
        pytest.skip(f"needs ffmpeg with its {fmt} encoder")
    path = _tagged(tmp_path, fmt, faststart=False)
    data = path.read_bytes()
    names = [n for n, _ in _atoms(data, 0, len(data))]
    assert names.index(b"mdat") < names.index(b"moov")
    assert assert_same_as_mutagen(path)


def test_items_after_a_large_cover_read_as_mutagen_reads_them(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    items = list(MP4(path).keys())
    assert items.index("covr") < items.index("aART")  # mutagen writes the album artist last
    assert assert_same_as_mutagen(path)


def test_tags_before_the_track_read_as_mutagen_reads_them(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    children = _moov_children(path)
    tracks = [a for n, a in children if n == b"trak"]
    _rewrite_moov(path, [a for n, a in children if n != b"trak"] + tracks)
    assert [n for n, _ in _moov_children(path)][-1] == b"trak"
    assert assert_same_as_mutagen(path)


def test_a_track_that_is_not_sound_is_passed_over_as_mutagen_does(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    children = _moov_children(path)
    trak = next(a for n, a in children if n == b"trak")
    assert trak.count(b"soun") == 1
    other = trak.replace(b"soun", b"text")
    _rewrite_moov(path, [other + a if n == b"trak" else a for n, a in children])
    assert assert_same_as_mutagen(path)


def test_a_child_running_past_its_container_goes_to_mutagen(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    data = bytearray(path.read_bytes())
    ilst = data.index(b"ilst") - 4
    (size,) = struct.unpack(">I", data[ilst : ilst + 4])
    data[ilst : ilst + 4] = struct.pack(">I", size - 8)  # its last item now runs past its end
    path.write_bytes(bytes(data))
    assert read_fast_path(path) is None
    assert_same_as_mutagen(path)


def test_chapters_go_to_mutagen(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    chapter = struct.pack(">QB", 0, 5) + b"Intro"
    chpl = _atom(b"chpl", b"\x01\x00\x00\x00" + b"\x00" * 4 + b"\x01" + chapter)
    children = _moov_children(path)
    _rewrite_moov(path, [_atom(b"udta", chpl + a[8:]) if n == b"udta" else a for n, a in children])
    assert MP4(path).chapters is not None
    assert read_fast_path(path) is None
    assert_same_as_mutagen(path)


def test_a_large_cover_is_stepped_over_not_read(tmp_path: Path) -> None:
    path = _tagged(tmp_path)
    audio = MP4(path)
    audio["covr"] = [MP4Cover(bytes(12 * 1024 * 1024), imageformat=MP4Cover.FORMAT_PNG)]
    audio.save()
    before = _bytes_read()
    assert read_fast_path(path) is not None
    assert _bytes_read() - before < 512 * 1024
    assert assert_same_as_mutagen(path)
