"""The lean readers of APEv2-tagged formats (APE, WavPack, Musepack) and of WMA against
mutagen, with random tags: every kind of item or attribute, repeated keys, multi-value text,
huge and empty values."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fast_read import _fuzz, assert_same_as_mutagen

from music_tools.formats.info import TAG_TEXT_CAP
from support.audio_factory import file_name, make_audio

_APE_FORMATS = ("ape", "wv", "mpc")
_KEYS = st.sampled_from(
    [
        "Artist",
        "ARTIST",
        "Title",
        "album",
        "Album Artist",
        "AlbumArtist",
        "Track",
        "Disc",
        "Year",
        "Date",
        "Genre",
        "MUSICBRAINZ_TRACKID",
        "Comment",
        "Cover Art (Front)",
        "xy",
    ]
)
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "\x00", "a\x00b", "07/12", "1999-02-03", "\u00e9\u4e2d"]),
    st.integers(2000, 70_000).map(lambda n: "x" * n),  # long values, drawn as one number
)


@pytest.fixture(scope="module")
def ape_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz-ape")
    return {fmt: make_audio(root / fmt / file_name(fmt), fmt) for fmt in _APE_FORMATS}


@_fuzz(60)
@given(
    fmt=st.sampled_from(_APE_FORMATS),
    items=st.lists(
        st.tuples(_KEYS, st.sampled_from([0, 1, 2]), st.lists(_VALUES, min_size=1, max_size=3)),
        max_size=8,
    ),
)
def test_random_apev2_items_read_as_mutagen_reads_them(
    ape_bases: dict[str, Path], fmt: str, items: list[tuple[str, int, list[str]]]
) -> None:
    from mutagen.apev2 import APEv2, APEValue

    path = ape_bases[fmt].with_name(f"fuzz{ape_bases[fmt].suffix}")
    shutil.copyfile(ape_bases[fmt], path)
    tag = APEv2()
    for key, kind, values in items:
        text = "\x00".join(values)
        tag[key] = APEValue(text.encode() if kind == 1 else text, kind)
    tag.save(path)
    read = assert_same_as_mutagen(path)
    assert read or path.stat().st_size > TAG_TEXT_CAP  # more text than a lean reader reads


@pytest.mark.parametrize("fmt", _APE_FORMATS)
def test_a_file_without_an_ape_footer_but_an_id3v1_tag_goes_to_mutagen(
    ape_bases: dict[str, Path], fmt: str
) -> None:
    path = ape_bases[fmt].with_name(f"v1{ape_bases[fmt].suffix}")
    shutil.copyfile(ape_bases[fmt], path)
    with path.open("ab") as out:
        out.write(b"TAG" + b"Title".ljust(30, b"\x00") + bytes(95))
    assert not assert_same_as_mutagen(path)


_ASF_NAMES = st.sampled_from(
    [
        "Title",
        "Author",
        "WM/Composer",
        "WM/AlbumTitle",
        "WM/AlbumArtist",
        "WM/TrackNumber",
        "WM/Track",
        "WM/PartOfSet",
        "WM/Year",
        "WM/Genre",
        "MusicBrainz/Track Id",
        "Description",
        "x",
    ]
)


def _asf_value(kind: str, text: str) -> object:
    from mutagen import asf

    if kind == "unicode":
        return asf.ASFUnicodeAttribute(text)
    if kind == "bytes":
        return asf.ASFByteArrayAttribute(text.encode())
    if kind == "bool":
        return asf.ASFBoolAttribute(len(text) % 2 == 1)
    if kind == "guid":
        return asf.ASFGUIDAttribute(bytes(16))
    number = len(text) * 7919
    return {"dword": asf.ASFDWordAttribute, "qword": asf.ASFQWordAttribute}.get(
        kind, asf.ASFWordAttribute
    )(number % 65536)


@_fuzz(60)
@given(
    attributes=st.lists(
        st.tuples(
            _ASF_NAMES,
            st.lists(
                st.tuples(
                    st.sampled_from(["unicode", "bytes", "bool", "dword", "qword", "word", "guid"]),
                    _VALUES,
                ),
                min_size=1,
                max_size=3,
            ),
        ),
        max_size=8,
    )
)
def test_random_asf_attributes_read_as_mutagen_reads_them(
    wma_base: Path, attributes: list[tuple[str, list[tuple[str, str]]]]
) -> None:
    from mutagen.asf import ASF

    path = wma_base.with_name("fuzz.wma")
    shutil.copyfile(wma_base, path)
    audio = ASF(path)
    for name, values in attributes:
        audio[name] = [_asf_value(kind, text) for kind, text in values]
    audio.save()
    read = assert_same_as_mutagen(path)
    assert read or path.stat().st_size > TAG_TEXT_CAP


@pytest.fixture(scope="module")
def wma_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("fuzz-wma") / "base.wma", "wma")
