"""The lean readers against mutagen, file by file: the same LibraryFile, or they step aside.

Every file is read twice, through the fast path and with `fast_read=False` through mutagen;
durations may differ by 10 ms and bitrates by 1%, every other field must be equal.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from music_tools import ExtractError, LibraryFile, extract
from music_tools.read.extract import read_lean
from support.audio_factory import (
    DATA,
    Tags,
    encode_with_ffmpeg,
    ffmpeg_encoders,
    file_name,
    make_audio,
    write_tags,
)

ODD_CORPUS = os.environ.get("MUSIC_TOOLS_ODD_CORPUS")


def _fuzz(examples: int) -> settings:
    """Hypothesis settings: `examples` runs unless MUSIC_TOOLS_FUZZ_EXAMPLES says otherwise."""
    return settings(
        max_examples=int(os.environ.get("MUSIC_TOOLS_FUZZ_EXAMPLES", str(examples))),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FAST_FORMATS = ("flac", "mp3", "wav", "aiff", "m4a", "alac", "ape", "dsf", "wv", "mpc", "wma")
FAST_KIND = {"mp3": "mp3", "flac": "flac", "wav": "wav", "aiff": "aiff", "m4a": "m4a"}


def _through_mutagen(path: Path) -> LibraryFile:
    return extract(path, fast_read=False)


def assert_same_as_mutagen(path: Path) -> bool:
    """The fast and the mutagen path agree on `path`; True if the fast reader read it."""
    try:
        expected = _through_mutagen(path)
    except ExtractError as exc:
        with pytest.raises(ExtractError) as caught:
            extract(path)
        assert caught.value.reason == exc.reason
        return False
    got = extract(path)
    for name in (f.name for f in dataclasses.fields(LibraryFile)):
        mine, theirs = getattr(got, name), getattr(expected, name)
        if name == "duration" and mine is not None and theirs is not None:
            assert mine == pytest.approx(theirs, abs=0.01), (path, name)
        elif name == "bitrate" and mine is not None and theirs is not None:
            assert mine == pytest.approx(theirs, rel=0.01), (path, name)
        else:
            assert mine == theirs, (path, name, mine, theirs)
    return read_lean(path) is not None


def _variants(root: Path, fmt: str) -> Iterator[Path]:
    """Files of one format as the factory makes them: tags, pictures, versions, odd values."""
    yield make_audio(root / "plain" / file_name(fmt), fmt, seed=1)
    yield make_audio(root / "tagged" / file_name(fmt), fmt, seed=2, tags=Tags(), picture=True)
    track = "7/10" if fmt in ("m4a", "alac") else "07 of 10"  # MP4 holds numbers only
    multi = Tags(artist="A\x00B", title="", genre="Rock\x00Pop", track=track, date="c. 1999")
    yield make_audio(root / "multi" / file_name(fmt), fmt, seed=3, tags=multi)
    big = make_audio(root / "big" / file_name(fmt), fmt, seed=4, seconds=3.0)
    write_tags(big, fmt, Tags(title="x" * 300_000, extra={"comment": "y" * 5000}), picture=True)
    yield big
    if fmt in ("mp3", "wav", "aiff"):
        for version in (3, 4):
            path = make_audio(root / f"v2{version}" / file_name(fmt), fmt, seed=5)
            write_tags(path, fmt, Tags(), id3_version=version, id3v1=fmt == "mp3", padding=0)
            yield path


@pytest.fixture(scope="module")
def factory_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("fast")
    return {fmt: list(_variants(root / fmt, fmt)) for fmt in FAST_FORMATS}


@pytest.mark.parametrize("fmt", FAST_FORMATS)
def test_the_fast_path_gives_mutagens_answers_for_every_factory_file(
    factory_files: dict[str, list[Path]], fmt: str
) -> None:
    read = [assert_same_as_mutagen(path) for path in factory_files[fmt]]
    assert all(read), [p for p, r in zip(factory_files[fmt], read, strict=True) if not r]


def test_the_fast_path_gives_mutagens_answers_for_the_committed_samples(tmp_path: Path) -> None:
    for sample in sorted(DATA.glob("*-?.*")):
        copy = tmp_path / sample.name
        shutil.copyfile(sample, copy)
        assert_same_as_mutagen(copy)


FFMPEG = ffmpeg_encoders()


@pytest.mark.parametrize("fmt", ["m4a", "alac", "mp3"])
def test_the_fast_path_gives_mutagens_answers_for_files_an_encoder_made(
    tmp_path: Path, fmt: str
) -> None:
    """Files as a user's encoder writes them (ffmpeg: AAC and ALAC in MP4 with the moov
    first, MP3 by LAME with its Xing/LAME header), before and after tagging with a cover."""
    if fmt not in FFMPEG:
        pytest.skip(f"needs ffmpeg with its {fmt} encoder (.ci/run installs it)")
    path = encode_with_ffmpeg(tmp_path / file_name(fmt), fmt, seed=3, seconds=4.0)
    assert assert_same_as_mutagen(path)
    write_tags(path, fmt, Tags(), picture=True, cover=bytes(range(256)) * 600)
    assert assert_same_as_mutagen(path)  # the audio_key among the fields


@pytest.mark.skipif(not ODD_CORPUS, reason="set MUSIC_TOOLS_ODD_CORPUS (.ci/run does)")
def test_the_fast_path_gives_mutagens_answers_for_the_odd_corpus() -> None:
    assert ODD_CORPUS is not None
    files = [p for p in sorted(Path(ODD_CORPUS).rglob("*")) if p.is_file()]
    read = sum(assert_same_as_mutagen(path) for path in files)
    assert read > 0


def test_audio_keys_are_those_of_the_mutagen_path(factory_files: dict[str, list[Path]]) -> None:
    for paths in factory_files.values():
        for path in paths:
            assert extract(path).audio_key == _through_mutagen(path).audio_key


_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "=", "a=b", "2011-03-01", "(17)", "17", "3/12", "\u00e9\u4e2d"]),
    # a long value drawn as its length: drawn as 70,000 characters it can exceed
    # Hypothesis' data budget (HealthCheck.data_too_large) in a list of them
    st.integers(min_value=2000, max_value=70_000).map(lambda n: "x" * n),
)
_VORBIS_KEYS = st.sampled_from(
    [
        "artist",
        "TITLE",
        "album",
        "albumartist",
        "album artist",
        "tracknumber",
        "discnumber",
        "date",
        "year",
        "originaldate",
        "genre",
        "musicbrainz_trackid",
        "comment",
        "x",
    ]
)


@_fuzz(60)
@given(
    comments=st.lists(st.tuples(_VORBIS_KEYS, st.lists(_TEXT, min_size=1, max_size=3)), max_size=8),
    picture=st.booleans(),
)
def test_random_vorbis_comments_in_flac_read_as_mutagen_reads_them(
    flac_base: Path, comments: list[tuple[str, list[str]]], picture: bool
) -> None:
    from mutagen.flac import FLAC

    path = flac_base.with_name("fuzz.flac")
    shutil.copyfile(flac_base, path)
    audio = FLAC(path)
    for key, values in comments:
        audio[key] = values
    if picture:
        from support.audio_factory import _picture

        audio.add_picture(_picture())
    audio.save()
    assert assert_same_as_mutagen(path)


@pytest.fixture(scope="module")
def flac_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("fuzz") / "base.flac", "flac", seconds=0.5)


_ID3_TEXT_FRAMES = ("TPE1", "TIT2", "TALB", "TPE2", "TRCK", "TPOS", "TCON", "TDRC", "TYER")
_ID3_FRAME = st.one_of(
    st.tuples(
        st.sampled_from(
            (*_ID3_TEXT_FRAMES, "TDAT", "TDOR", "TORY", "TXXX", "COMM", "UFID", "APIC")
        ),
        st.integers(0, 3),
        st.lists(_TEXT, min_size=1, max_size=3),
    ),
)


def _id3_frame(frame_id: str, encoding: int, texts: list[str]) -> object:
    from mutagen import id3

    if frame_id == "TXXX":
        return id3.TXXX(encoding=encoding, desc="MusicBrainz Track Id", text=texts)
    if frame_id == "COMM":
        return id3.COMM(encoding=encoding, lang="eng", desc="", text=texts)
    if frame_id == "UFID":
        return id3.UFID(owner="http://musicbrainz.org", data=texts[0].encode())
    if frame_id == "APIC":
        return id3.APIC(encoding=encoding, mime="image/png", type=3, desc="", data=b"x" * 100_000)
    return getattr(id3, frame_id)(encoding=encoding, text=texts)


@_fuzz(60)
@given(
    fmt=st.sampled_from(["mp3", "mp3", "wav", "aiff"]),
    frames=st.lists(_ID3_FRAME, max_size=8),
    version=st.sampled_from([3, 4]),
    v1=st.booleans(),
)
def test_random_id3_frames_read_as_mutagen_reads_them(
    id3_bases: dict[str, Path],
    fmt: str,
    frames: list[tuple[str, int, list[str]]],
    version: int,
    v1: bool,
) -> None:
    from hypothesis import assume
    from mutagen import MutagenError
    from mutagen.aiff import AIFF
    from mutagen.id3 import ID3
    from mutagen.wave import WAVE

    base = id3_bases[fmt]
    path = base.with_name("fuzz" + base.suffix)
    shutil.copyfile(base, path)
    holder: Any = {"wav": WAVE, "aiff": AIFF}[fmt](path) if fmt != "mp3" else None
    if holder is not None:
        holder.add_tags()
    tags = holder.tags if holder is not None else ID3()
    for frame_id, encoding, texts in frames:
        tags.add(_id3_frame(frame_id, encoding, texts))
    try:
        if holder is not None:
            holder.save(v2_version=version)
        else:
            tags.save(path, v2_version=version, v1=2 if v1 else 0)
    except (UnicodeEncodeError, ValueError, MutagenError):
        assume(False)  # text the chosen encoding cannot hold
    assert_same_as_mutagen(path)


@pytest.fixture(scope="module")
def id3_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    return {
        fmt: make_audio(root / file_name(fmt), fmt, seconds=0.5) for fmt in ("mp3", "wav", "aiff")
    }


def _syncsafe(size: int) -> bytes:
    return bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


_V24_TEXT_FRAME = st.tuples(
    st.sampled_from(["TIT2", "TPE1", "TALB", "TPE2", "TCON", "TXXX", "PRIV", "TDRC"]),
    st.integers(min_value=0, max_value=400),  # text length: either side of 128 bytes
)


@_fuzz(120)
@given(
    frames=st.lists(_V24_TEXT_FRAME, min_size=1, max_size=7),
    plain=st.booleans(),
    padding=st.sampled_from([0, 10, 37, 1024]),
)
def test_v24_frame_sizes_plain_or_syncsafe_read_as_mutagen_reads_them(
    id3_bases: dict[str, Path], frames: list[tuple[str, int]], plain: bool, padding: int
) -> None:
    """ID3v2.4 frame sizes as the standard writes them (syncsafe) or as iTunes once did
    (plain integers): mutagen tells them apart by walking the frames both ways."""
    audio = id3_bases["mp3"].read_bytes()
    if audio[:3] == b"ID3":
        audio = audio[10 + int.from_bytes(audio[6:10], "big") :]  # factory tags: syncsafe < 128
    body = b""
    for index, (frame_id, length) in enumerate(frames):
        text = (f"{frame_id}{index}-" * 200)[:length].encode("latin-1")
        data = b"\x00desc\x00" + text if frame_id == "TXXX" else b"\x00" + text
        size = len(data).to_bytes(4, "big") if plain else _syncsafe(len(data))
        body += frame_id.encode() + size + b"\x00\x00" + data
    body += bytes(padding)
    path = id3_bases["mp3"].with_name("v24-sizes.mp3")
    path.write_bytes(b"ID3\x04\x00\x00" + _syncsafe(len(body)) + body + audio)
    assert_same_as_mutagen(path)
    # the plain-size walk, derived from the syncsafe one, is the walk made on its own
    from music_tools.formats import id3
    from music_tools.formats.window import FileWindow

    with path.open("rb") as fileobj:
        end = 10 + len(body)
        tag = id3._TagBytes(FileWindow(fileobj, path.stat().st_size), 0, end)
        try:
            alone = id3._walk(tag, 10, end, False)
            derived = id3._plain_walk(tag, id3._walk(tag, 10, end, True), 10, end)
        except id3._Unsure:
            return  # a walk mutagen's two readings part ways on: left to mutagen
        assert derived == alone


@pytest.mark.parametrize("count", [4096, 4097])
def test_a_v24_tag_of_countless_plain_sized_frames_goes_to_mutagen(
    id3_bases: dict[str, Path], count: int
) -> None:
    """The frame cap counts frames, padding aside, as the plain walk alone counts them (found
    by review: the walk derived from the syncsafe one counted one frame too few)."""
    audio = id3_bases["mp3"].read_bytes()
    if audio[:3] == b"ID3":
        audio = audio[10 + int.from_bytes(audio[6:10], "big") :]
    body = b"TIT2" + (200).to_bytes(4, "big") + b"\x00\x00\x03" + b"T" * 199  # reads apart
    for index in range(count - 1):
        body += b"PRIV" + (8).to_bytes(4, "big") + b"\x00\x00" + b"o%05d\x00x" % index
    path = id3_bases["mp3"].with_name(f"cap-{count}.mp3")
    path.write_bytes(b"ID3\x04\x00\x00" + _syncsafe(len(body)) + body + audio)
    assert (read_lean(path) is None) == (count > 4096)
    assert_same_as_mutagen(path)


def test_the_known_id3_frames_are_mutagens() -> None:
    """The v2.4 frame-size test counts known frames: the table must be mutagen's own."""
    from mutagen.id3 import Frames

    from music_tools.formats.tag_fields import ID3_KNOWN_FRAMES

    assert set(Frames) == ID3_KNOWN_FRAMES


@given(st.one_of(st.text(max_size=30), st.from_regex(r"[0-9]{1,5}([-T:/. ][0-9]{1,3}){0,6}")))
def test_dates_print_as_mutagens_id3_timestamps(text: str) -> None:
    from mutagen.id3 import ID3TimeStamp

    from music_tools.formats.id3 import timestamp_text

    assert timestamp_text(text) == str(ID3TimeStamp(text))


def _bytes_read() -> int:
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])


@pytest.mark.parametrize("fmt", ["mp3", "flac", "wav"])
def test_a_huge_picture_is_stepped_over_not_read(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / file_name(fmt), fmt, seconds=0.5)
    write_tags(path, fmt, Tags(), picture=True, cover=bytes(12 * 1024 * 1024))
    before = _bytes_read()
    assert read_lean(path) is not None
    assert _bytes_read() - before < 512 * 1024
    assert_same_as_mutagen(path)


def test_a_huge_text_tag_goes_to_mutagen_unread(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "t.mp3", "mp3", seconds=0.5)
    write_tags(path, "mp3", Tags(title="x" * (3 * 1024 * 1024)))
    before = _bytes_read()
    assert read_lean(path) is None
    assert _bytes_read() - before < 512 * 1024


@_fuzz(150)
@given(
    fmt=st.sampled_from(FAST_FORMATS),
    edits=st.lists(
        st.tuples(st.integers(0, 600), st.booleans(), st.binary(min_size=1, max_size=4)),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_headers_and_tags_read_as_mutagen_reads_them(
    tmp_path_factory: pytest.TempPathFactory,
    samples: dict[str, bytes],
    fmt: str,
    edits: list[tuple[int, bool, bytes]],
) -> None:
    """Bytes overwritten where headers and tags live (the first or last 600 bytes)."""
    data = bytearray(samples[fmt])
    for where, from_end, blob in edits:
        at = len(data) - 1 - where if from_end else where
        data[at : at + len(blob)] = blob
    path = tmp_path_factory.mktemp("damaged") / file_name(fmt)
    path.write_bytes(bytes(data))
    assert_same_as_mutagen(path)


@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.from_regex(
                r"(\((1?[0-9]{1,2}|2[0-9]{2}|CR|RX|x)\)){0,3}\(?[A-Za-z ]{0,6}", fullmatch=True
            ),
            st.integers(0, 300).map(str),
        ),
        max_size=4,
    )
)
def test_genres_read_as_mutagens_tcon_genres(values: list[str]) -> None:
    from mutagen.id3 import TCON

    from music_tools.formats.id3 import _genres

    assert _genres(values) == TCON(encoding=3, text=values).genres


def test_a_tag_of_countless_frames_goes_to_mutagen(tmp_path: Path) -> None:
    from mutagen.id3 import ID3, TXXX

    path = make_audio(tmp_path / "many.mp3", "mp3", seconds=0.5)
    tags = ID3()
    for i in range(5000):
        tags.add(TXXX(encoding=3, desc=f"d{i}", text="v"))
    tags.save(path)
    assert read_lean(path) is None
    assert_same_as_mutagen(path)


def test_repeated_id3_frames_merge_as_in_mutagen(tmp_path: Path) -> None:
    """mutagen merges a repeated text frame's new values into the first, and keeps the last
    UFID; raw frames are written here, as mutagen itself never writes a frame twice."""

    def frame(frame_id: bytes, body: bytes) -> bytes:
        size = len(body)
        return (
            frame_id
            + bytes([size >> 21 & 0x7F, size >> 14 & 0x7F, size >> 7 & 0x7F, size & 0x7F])
            + b"\x00\x00"
            + body
        )

    frames = (
        frame(b"TPE1", b"\x03piman\x00jzig")
        + frame(b"TPE1", b"\x03jzig\x00third")
        + frame(b"TIT2", b"\x03Title")
        + frame(b"TCON", b"\x03(17)")
        + frame(b"TCON", b"\x0317")
        + frame(b"UFID", b"http://musicbrainz.org\x00first")
        + frame(b"UFID", b"http://musicbrainz.org\x00second")
    )
    size = len(frames)
    header = b"ID3\x04\x00\x00" + bytes(
        [size >> 21 & 0x7F, size >> 14 & 0x7F, size >> 7 & 0x7F, size & 0x7F]
    )
    path = make_audio(tmp_path / "repeated.mp3", "mp3", seconds=0.5)
    path.write_bytes(header + frames + path.read_bytes())
    assert assert_same_as_mutagen(path)
    f = extract(path)
    assert (f.artist, f.musicbrainz_recording_id) == ("piman; jzig; third", "second")


_MP4_TEXT_KEYS = ("\xa9ART", "\xa9nam", "\xa9alb", "aART", "\xa9day", "\xa9gen", "\xa9cmt")


@_fuzz(60)
@given(
    fmt=st.sampled_from(["m4a", "alac"]),
    texts=st.dictionaries(st.sampled_from(_MP4_TEXT_KEYS), st.lists(_TEXT, min_size=1, max_size=3)),
    numbers=st.dictionaries(
        st.sampled_from(["trkn", "disk"]),
        st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)), min_size=1, max_size=2),
    ),
    mbids=st.lists(st.binary(max_size=40), max_size=2),
    cover=st.booleans(),
)
def test_random_mp4_items_read_as_mutagen_reads_them(
    mp4_bases: dict[str, Path],
    fmt: str,
    texts: dict[str, list[str]],
    numbers: dict[str, list[tuple[int, int]]],
    mbids: list[bytes],
    cover: bool,
) -> None:
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    base = mp4_bases[fmt]
    path = base.with_name("fuzz.m4a")
    shutil.copyfile(base, path)
    audio = MP4(path)
    for key, values in texts.items():
        audio[key] = values
    for key, pairs in numbers.items():
        audio[key] = pairs
    if mbids:
        audio["----:com.apple.iTunes:MusicBrainz Track Id"] = [MP4FreeForm(m) for m in mbids]
    if cover:
        audio["covr"] = [MP4Cover(b"x" * 100_000, imageformat=MP4Cover.FORMAT_JPEG)]
    audio.save()
    assert assert_same_as_mutagen(path)


@pytest.fixture(scope="module")
def mp4_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz-mp4")
    return {fmt: make_audio(root / fmt / file_name(fmt), fmt) for fmt in ("m4a", "alac")}


@pytest.mark.parametrize(
    ("profile", "rate", "channels"),
    [
        ("aac_low", 8000, 1),
        ("aac_low", 96000, 2),
        ("aac_low", 48000, 6),
        ("aac_main", 22050, 1),
        ("aac_ltp", 44100, 2),
    ],
)
def test_aac_configs_of_every_shape_read_as_mutagen_reads_them(
    tmp_path: Path, profile: str, rate: int, channels: int
) -> None:
    """The esds bit fields (object type, sampling index, channel configuration, the GA
    specific config) of AAC files ffmpeg writes in several profiles, rates and layouts."""
    if "m4a" not in FFMPEG:
        pytest.skip("needs ffmpeg with its aac encoder (.ci/run installs it)")
    path = tmp_path / f"{profile}-{rate}-{channels}.m4a"
    source = f"sine=frequency=440:sample_rate={rate}:duration=1"
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    options = ["-ac", str(channels), "-c:a", "aac", "-profile:a", profile, "-strict", "-2"]
    subprocess.run([*command, *options, "-movflags", "+faststart", str(path)], check=True)
    assert assert_same_as_mutagen(path)  # mutagen says 2 channels for ffmpeg's mono: so do we
