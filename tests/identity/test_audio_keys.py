"""Identity keys: re-tagging keeps audio_key and audio_hash, different audio changes all."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash
from mutagen.apev2 import APEv2
from mutagen.id3 import ID3

from music_tools import LibraryFile, extract
from music_tools.formats.window import KEY_BYTES
from support.audio_factory import (
    ALL_FORMATS,
    Tags,
    file_name,
    make_audio,
    write_tags,
)

ID3_FORMATS = ("mp3", "wav", "aiff", "dsf")
PADDED_FORMATS = ("mp3", "flac", "ogg", "opus", "wav", "aiff")
RAW_STREAM_FORMATS = ("mp3", "wv", "mpc", "ape")


def _keys(path: Path) -> LibraryFile:
    return extract(path, full_hash=True)


def _retagged(base: Path, fmt: str, tmp: Path, name: str, change: Callable[[Path], None]) -> Path:
    copy = tmp / name / base.name
    copy.parent.mkdir()
    shutil.copyfile(base, copy)
    change(copy)
    assert copy.read_bytes() != base.read_bytes(), f"{name} did not change the file"
    return copy


RETAGS: dict[str, Callable[[Path, str], None]] = {
    "change a tag": lambda p, fmt: write_tags(p, fmt, Tags(title="Another Title")),
    "add a picture": lambda p, fmt: write_tags(p, fmt, Tags(), picture=True),
    "drop every tag but one": lambda p, fmt: write_tags(
        p,
        fmt,
        Tags(
            album=None, album_artist=None, track=None, disc=None, date=None, genre=None, mbid=None
        ),
    ),
    "long unicode tags": lambda p, fmt: write_tags(
        p, fmt, Tags(artist="Мумий Тролль ♫ " * 40, title="東京 " * 300)
    ),
}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("retag", list(RETAGS))
def test_retagging_keeps_audio_keys_and_changes_the_content_hash(
    tmp_path: Path, fmt: str, retag: str
) -> None:
    base = make_audio(tmp_path / "base" / file_name(fmt), fmt, seed=5, tags=Tags())
    copy = _retagged(base, fmt, tmp_path, "copy", lambda p: RETAGS[retag](p, fmt))
    before, after = _keys(base), _keys(copy)
    assert after.audio_key == before.audio_key
    assert after.audio_hash == before.audio_hash
    assert after.file_content_hash != before.file_content_hash


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_different_audio_changes_all_three_keys(tmp_path: Path, fmt: str) -> None:
    one = _keys(make_audio(tmp_path / "1" / file_name(fmt), fmt, seed=0, tags=Tags()))
    two = _keys(make_audio(tmp_path / "2" / file_name(fmt), fmt, seed=1, tags=Tags()))
    assert one.audio_key != two.audio_key
    assert one.audio_hash != two.audio_hash
    assert one.file_content_hash != two.file_content_hash
    assert one.metadata_hash == two.metadata_hash  # same tags: same song as far as tags go


@pytest.mark.parametrize("fmt", ID3_FORMATS)
def test_changing_id3_version_keeps_audio_keys(tmp_path: Path, fmt: str) -> None:
    base = make_audio(tmp_path / "base" / file_name(fmt), fmt)
    write_tags(base, fmt, Tags(), id3_version=3)
    copy = _retagged(
        base, fmt, tmp_path, "v24", lambda p: write_tags(p, fmt, Tags(), id3_version=4)
    )
    assert copy.read_bytes()[:4] == b"ID3\x04" or fmt != "mp3"
    assert (_keys(base).audio_key, _keys(base).audio_hash) == (
        _keys(copy).audio_key,
        _keys(copy).audio_hash,
    )


@pytest.mark.parametrize("fmt", PADDED_FORMATS)
def test_changing_tag_padding_keeps_audio_keys(tmp_path: Path, fmt: str) -> None:
    base = make_audio(tmp_path / "base" / file_name(fmt), fmt, tags=Tags())
    write_tags(base, fmt, Tags(), padding=0)
    copy = _retagged(
        base, fmt, tmp_path, "padded", lambda p: write_tags(p, fmt, Tags(), padding=20_000)
    )
    assert _keys(copy).audio_hash == _keys(base).audio_hash
    assert _keys(copy).audio_key == _keys(base).audio_key


def _add_id3v1(path: Path) -> None:
    write_tags(path, "mp3", Tags(), id3v1=True)


def _add_ape(path: Path) -> None:
    ape = APEv2()
    ape["Artist"], ape["Title"] = "Ape", "Tag"
    ape.save(path)


def _add_lyrics3v2(path: Path) -> None:
    body = b"LYRICSBEGININD00002" + b"10" + b"LYR00011hello world"
    path.write_bytes(path.read_bytes() + body + f"{len(body):06d}".encode() + b"LYRICS200")


def _strip_all(path: Path) -> None:
    ID3(path).delete(path, delete_v1=True, delete_v2=True)


@pytest.mark.parametrize(
    "change", [_add_id3v1, _add_ape, _add_lyrics3v2, _strip_all], ids=lambda f: f.__name__
)
def test_mp3_trailing_and_leading_tags_are_not_audio(tmp_path: Path, change: Callable) -> None:
    base = make_audio(tmp_path / "base" / "a.mp3", "mp3", tags=Tags())
    copy = _retagged(base, "mp3", tmp_path, "c", change)
    assert (_keys(copy).audio_key, _keys(copy).audio_hash) == (
        _keys(base).audio_key,
        _keys(base).audio_hash,
    )


@pytest.mark.parametrize("fmt", RAW_STREAM_FORMATS)
def test_raw_stream_payload_is_exactly_the_untagged_bytes(tmp_path: Path, fmt: str) -> None:
    plain = make_audio(tmp_path / "plain" / file_name(fmt), fmt, seed=9)
    tagged = _retagged(
        plain, fmt, tmp_path, "tagged", lambda p: write_tags(p, fmt, Tags(), picture=True)
    )
    if fmt == "mp3":
        _add_ape(tagged)
    assert _keys(tagged).audio_hash == xxhash.xxh3_128_hexdigest(plain.read_bytes())


@pytest.mark.parametrize("fmt", ["wav", "aiff"])
def test_pcm_payload_is_exactly_the_sample_data(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / file_name(fmt), fmt, seed=2, seconds=0.5, tags=Tags())
    import soundfile

    frames, _ = soundfile.read(path, dtype="int16")
    raw = frames.astype(">i2" if fmt == "aiff" else "<i2").tobytes()
    if fmt == "aiff":
        raw = bytes(8) + raw  # SSND starts with its offset and block size fields
    assert _keys(path).audio_hash == xxhash.xxh3_128_hexdigest(raw)


def test_flac_with_a_streaminfo_md5_uses_it(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.flac", "flac", tags=Tags())
    from mutagen.flac import FLAC

    md5 = FLAC(path).info.md5_signature
    assert md5 != 0
    assert _keys(path).audio_key == f"md5:{md5:032x}"


def test_flac_without_an_md5_gets_a_hashed_key_that_survives_retagging(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "base" / "a.flac", "flac", tags=Tags())
    raw = bytearray(path.read_bytes())
    streaminfo_md5 = 8 + 18  # "fLaC", block header, then 18 bytes before the MD5
    raw[streaminfo_md5 : streaminfo_md5 + 16] = bytes(16)
    path.write_bytes(bytes(raw))
    key = _keys(path).audio_key
    assert key is not None and key.startswith("xxh3:")
    copy = _retagged(path, "flac", tmp_path, "re", lambda p: write_tags(p, "flac", Tags(title="Z")))
    assert _keys(copy).audio_key == key


def test_the_default_path_reads_a_small_fraction_of_a_large_file(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "long.wav", "wav", seconds=60, tags=Tags())  # about 10 MB
    assert path.stat().st_size > 10_000_000
    before = _read_bytes()
    extract(path)
    read = _read_bytes() - before
    assert read < 400_000, read
    assert read >= 2 * KEY_BYTES


def _read_bytes() -> int:
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])


@pytest.mark.parametrize("fmt", ["ogg", "opus", "flac", "mp3"])
def test_tags_too_big_for_one_ogg_page_keep_audio_keys(tmp_path: Path, fmt: str) -> None:
    base = make_audio(tmp_path / "base" / file_name(fmt), fmt, seconds=3, tags=Tags())
    huge = Tags(title="東京 " * 30_000)  # a 90 KB comment packet spans two Ogg pages
    copy = _retagged(base, fmt, tmp_path, "huge", lambda p: write_tags(p, fmt, huge))
    assert copy.stat().st_size > base.stat().st_size + 80_000
    assert (_keys(copy).audio_key, _keys(copy).audio_hash) == (
        _keys(base).audio_key,
        _keys(base).audio_hash,
    )
