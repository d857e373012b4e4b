"""Tags and audio properties, one contract over every format we read."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.apev2 import APEv2
from mutagen.id3 import ID3, TIT2, TPE1, TXXX
from mutagen.oggvorbis import OggVorbis

from music_tools import extract
from support.audio_factory import ALL_FORMATS, Tags, file_name, make_audio, write_tags

EXPECTED_KIND = {
    "mp3": ("mp3", "mp3", False),
    "flac": ("flac", "flac", True),
    "ogg": ("ogg", "vorbis", False),
    "opus": ("opus", "opus", False),
    "wav": ("wav", "pcm", True),
    "aiff": ("aiff", "pcm", True),
    "m4a": ("m4a", "aac", False),
    "alac": ("m4a", "alac", True),
    "wma": ("wma", "wma", False),
    "wv": ("wv", "wavpack", True),
    "mpc": ("mpc", "musepack", False),
    "ape": ("ape", "ape", True),
    "dsf": ("dsf", "dsd", True),
}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_every_format_yields_its_tags_and_properties(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / file_name(fmt), fmt, seed=3, tags=Tags(), picture=True)
    f = extract(path)
    assert (f.file_format, f.codec, f.is_lossless) == EXPECTED_KIND[fmt]
    assert (f.artist, f.title, f.album, f.album_artist) == (
        "Test Artist",
        "Test Title",
        "Test Album",
        "Test Album Artist",
    )
    assert (f.track_number, f.disc_number, f.year, f.genre) == (3, 1, 2011, "Rock")
    assert f.musicbrainz_recording_id == "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
    assert f.duration is not None and 0.5 < f.duration < 1.2
    assert f.sample_rate in (22_050, 44_100, 48_000, 2_822_400)
    assert f.channels in (1, 2)
    assert f.bitrate is not None and f.bitrate > 0
    assert (f.bits_per_sample is not None) == (
        fmt in ("flac", "wav", "aiff", "alac", "wv", "ape", "dsf", "m4a")
    )
    assert f.file_size == path.stat().st_size
    assert f.file_mtime_ns == path.stat().st_mtime_ns
    assert (f.file_path, f.filename, f.directory) == (str(path), path.name, str(tmp_path))
    assert f.metadata_hash and f.audio_key and f.audio_hash is None


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_an_untagged_file_falls_back_to_its_file_name(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / file_name(fmt, "07 - Some Band - Some Song"), fmt)
    f = extract(path)
    assert f.artist is None and f.title is None
    named = make_audio(
        tmp_path / "tagged" / file_name(fmt), fmt, tags=Tags(artist="Some Band", title="Some Song")
    )
    assert f.metadata_hash == extract(named).metadata_hash


def test_id3v23_and_id3v24_multiple_artists_give_one_metadata_key(tmp_path: Path) -> None:
    read = {}
    for version in (3, 4):
        path = make_audio(tmp_path / f"v{version}.mp3", "mp3")
        write_tags(path, "mp3", Tags(artist="A\x00B", date="1999"), id3_version=version)
        read[version] = extract(path)
    # v2.3 has no multi-value frames: mutagen joins with "/", which may be a name (AC/DC)
    assert (read[3].artist, read[4].artist) == ("A/B", "A; B")
    assert read[3].year == read[4].year == 1999
    assert read[3].metadata_hash == read[4].metadata_hash


def test_id3v22_tags_are_read(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "v22.mp3", "mp3")
    audio = path.read_bytes()
    body = b"TT2" + struct.pack(">I", 6)[1:] + b"\x00Title" + b"TP1" + struct.pack(">I", 7)[1:]
    body += b"\x00Artist"
    size = len(body)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    path.write_bytes(b"ID3\x02\x00\x00" + syncsafe + body + audio)
    f = extract(path)
    assert (f.artist, f.title) == ("Artist", "Title")
    assert f.audio_key == extract(make_audio(tmp_path / "plain.mp3", "mp3")).audio_key


def test_an_mp3_with_only_id3v1_is_read(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "v1.mp3", "mp3")
    write_tags(path, "mp3", Tags(artist="Old Artist", title="Old Title", date="1987"), id3v1=True)
    ID3(path).delete(path, delete_v1=False, delete_v2=True)
    assert path.read_bytes()[:3] != b"ID3"
    f = extract(path)
    assert (f.artist, f.title, f.year) == ("Old Artist", "Old Title", 1987)


def test_an_mp3_with_only_apev2_is_read(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "ape.mp3", "mp3")
    ape = APEv2()
    ape["Artist"], ape["Title"], ape["Track"] = "Ape Artist", "Ape Title", "5/9"
    ape.save(path)
    f = extract(path)
    assert (f.artist, f.title, f.track_number) == ("Ape Artist", "Ape Title", 5)


def test_txxx_musicbrainz_id_is_used_without_ufid(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "t.mp3", "mp3")
    tags = ID3()
    tags.add(TPE1(encoding=3, text="X"))
    tags.add(TIT2(encoding=3, text="Y"))
    tags.add(TXXX(encoding=3, desc="MusicBrainz Track Id", text="0000-mbid"))
    tags.save(path)
    assert extract(path).musicbrainz_recording_id == "0000-mbid"


def test_vorbis_comments_with_several_artists_and_odd_numbers(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "v.ogg", "ogg")
    audio = OggVorbis(path)
    audio["artist"] = ["First", "Second"]
    audio["title"] = "Song"
    audio["tracknumber"] = "07 of 10"
    audio["date"] = "c. 1999-05"
    audio.save()
    f = extract(path)
    assert (f.artist, f.track_number, f.year) == ("First; Second", 7, 1999)


def test_wav_with_riff_info_only(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "info.wav", "wav")
    raw = bytearray(path.read_bytes())

    def sub(chunk_id: bytes, text: str) -> bytes:
        data = text.encode() + b"\x00"
        return chunk_id + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")

    info = (
        b"INFO"
        + sub(b"IART", "Riff Artist")
        + sub(b"INAM", "Riff Title")
        + sub(b"ICRD", "2004")
        + sub(b"ITRK", "9")
    )
    raw += b"LIST" + struct.pack("<I", len(info)) + info
    raw[4:8] = struct.pack("<I", len(raw) - 8)
    path.write_bytes(bytes(raw))
    f = extract(path)
    assert (f.artist, f.title, f.year, f.track_number) == ("Riff Artist", "Riff Title", 2004, 9)


def test_a_file_named_for_the_wrong_format_is_still_read(tmp_path: Path) -> None:
    flac = make_audio(tmp_path / "real.flac", "flac", tags=Tags())
    wrong = flac.rename(tmp_path / "misnamed.mp3")
    f = extract(wrong)
    assert (f.file_format, f.artist) == ("flac", "Test Artist")


@pytest.mark.parametrize("fmt", ["ogg", "opus"])
@pytest.mark.parametrize("picture", [False, True])
def test_the_fast_ogg_reader_agrees_with_mutagen(tmp_path: Path, fmt: str, picture: bool) -> None:
    import mutagen

    from music_tools.formats.ogg import OGG_WINDOW
    from music_tools.formats.ogg.reader import read_ogg
    from music_tools.formats.window import FileWindow

    path = make_audio(
        tmp_path / file_name(fmt), fmt, seed=4, seconds=2.5, tags=Tags(), picture=picture
    )
    if picture:  # a comment packet bigger than the first read, spread over several pages
        write_tags(path, fmt, Tags(title="x" * 200_000), picture=True)
    reference = mutagen.File(path)
    with open(path, "rb") as f:
        info = read_ogg(FileWindow(f, path.stat().st_size, OGG_WINDOW), None)
    assert info is not None
    assert info.length == pytest.approx(reference.info.length, abs=1e-6)
    assert (info.channels, info.sample_rate) == (
        reference.info.channels,
        getattr(reference.info, "sample_rate", 48_000),
    )
    expected: dict[str, list[str]] = {}
    for key, value in reference.tags:
        expected.setdefault(key.lower(), []).append(value)
    assert info.vorbis == expected
    f = extract(path)
    assert f.duration == pytest.approx(reference.info.length, abs=1e-6)
    assert f.artist == "Test Artist"


@settings(max_examples=300, deadline=None)
@given(
    vendor=st.binary(max_size=12),
    comments=st.lists(st.binary(max_size=24), max_size=6),
    misstated=st.lists(st.sampled_from([0, 0, 0, 1, -1, 50]), min_size=6, max_size=6),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
)
def test_ogg_comment_packets_read_as_the_plain_reading_reads_them(
    vendor: bytes, comments: list[bytes], misstated: list[int], cut: int | None
) -> None:
    """The comment reader unpacks lengths whole; on any packet, well formed, misstated or cut
    anywhere, it gives what reading each length from the bytes there are gives."""
    from music_tools.formats.ogg import reader as ogg

    packet = b"\x03vorbis" + len(vendor).to_bytes(4, "little") + vendor
    packet += len(comments).to_bytes(4, "little")
    for body, error in zip(comments, misstated, strict=False):
        packet += max(0, len(body) + error).to_bytes(4, "little") + body
    if cut is not None:
        packet = packet[:cut]
    assert ogg._comments(packet, 7) == ogg._read_comments(packet, 7, ogg._cut_u32)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789/ -x\u0663\u00b2", min_size=1, max_size=24))
def test_track_and_year_numbers_read_as_their_patterns_read_them(text: str) -> None:
    """The common cases skip the regexes; every text gives what the patterns give."""
    from music_tools.read import fields

    match = fields._LEADING_INT.match(text)
    number = int(match.group(1)) if match and len(match.group(1)) <= 18 else None
    assert fields._leading_int(text) == number
    year = fields._YEAR.search(text)
    assert fields._year(text) == (int(year.group(1)) if year else None)
