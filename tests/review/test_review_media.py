"""Listening and looking: files streamed with range requests, spectrograms drawn from the
decoded audio, cached, and refused with the reason where soundfile cannot decode."""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile

from music_tools.review import ReviewError
from music_tools.review.png import encode_png
from music_tools.review.present import media_types
from music_tools.review.spectrogram import HEIGHT, draw_spectrogram, read_seconds
from support.audio_factory import DATA
from support.factories import library_file
from support.review_library import Served


def _decode_png(data: bytes) -> np.ndarray:
    """The RGB pixels of a PNG without filters, as encode_png writes it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(height, width, 3)


def test_png_round_trips() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(_decode_png(encode_png(pixels)), pixels)


def test_a_file_is_streamed_whole_or_by_range(served: Served) -> None:
    flac = next(f for g in served.session.groups for f in g.files if f.file_format == "flac")
    content = Path(flac.file_path).read_bytes()
    status, headers, data = served.request("GET", f"/audio/{flac.id}")
    assert (status, data, headers["Content-Type"]) == (200, content, "audio/flac")
    status, headers, data = served.request(
        "GET", f"/audio/{flac.id}", headers={"Range": "bytes=100-199"}
    )
    assert status == 206 and data == content[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(content)}"
    status, _, data = served.request("GET", f"/audio/{flac.id}", headers={"Range": "bytes=-10"})
    assert status == 206 and data == content[-10:]
    past = served.request("GET", f"/audio/{flac.id}", headers={"Range": f"bytes={10**9}-"})
    assert past[0] == 416


def test_a_file_gone_since_indexing_is_named_so(served: Served) -> None:
    mp3 = next(f for g in served.session.groups for f in g.files if f.file_format == "mp3")
    Path(mp3.file_path).unlink()
    for path in (f"/audio/{mp3.id}", f"/spectrogram/{mp3.id}"):
        status, _, data = served.request("GET", path)
        assert status == 404 and "not at its indexed place" in json.loads(data)["error"]


def test_the_page_asks_the_browser_about_each_format_by_its_codec() -> None:
    assert media_types(library_file(1)) == ("audio/flac", "audio/flac")
    alac = library_file(2, file_format="m4a", codec="alac")
    assert media_types(alac) == ("audio/mp4", 'audio/mp4; codecs="alac"')
    assert media_types(library_file(3, file_format="wma", codec="wma"))[0] == "audio/x-ms-wma"
    assert media_types(library_file(4, file_format="xyz")) == ("application/octet-stream", "")


def test_a_spectrogram_is_drawn_once_and_then_read_from_the_cache(served: Served) -> None:
    flac = next(f for g in served.session.groups for f in g.files if f.file_format == "flac")
    status, headers, data = served.request("GET", f"/spectrogram/{flac.id}")
    assert status == 200 and headers["Content-Type"] == "image/png"
    pixels = _decode_png(data)
    assert pixels.shape[0] == HEIGHT and pixels.shape[1] > 100
    cached = list(served.cache.iterdir())
    assert len(cached) == 1
    marker = encode_png(np.zeros((2, 2, 3), np.uint8))
    cached[0].write_bytes(b"44100 0.0 2.0\n" + marker)
    assert served.request("GET", f"/spectrogram/{flac.id}")[2] == marker


def test_a_lowpassed_file_shows_nothing_above_its_cutoff(tmp_path: Path) -> None:
    """What the spectrogram is for: a file cut at 11 kHz is dark above it."""
    rate = 44_100
    noise = np.random.default_rng(3).standard_normal(rate * 3)
    spectrum = np.fft.rfft(noise)
    spectrum[np.fft.rfftfreq(len(noise), 1 / rate) > 11_000] = 0
    path = tmp_path / "cut.flac"
    soundfile.write(path, (0.3 * np.fft.irfft(spectrum)).astype(np.float32), rate)
    samples, got_rate, start = read_seconds(str(path), 3.0)
    assert (got_rate, start) == (rate, 0.0)
    brightness = draw_spectrogram(samples).astype(float).sum(axis=2).mean(axis=1)[::-1]
    hz_per_row = rate / 2 / HEIGHT
    below = brightness[: int(10_000 / hz_per_row)].mean()
    above = brightness[int(12_000 / hz_per_row) :].mean()
    assert above < below / 4


def test_a_format_soundfile_cannot_decode_is_refused_with_the_reason(tmp_path: Path) -> None:
    m4a = tmp_path / "song.m4a"
    shutil.copyfile(DATA / "aac-a.m4a", m4a)
    with pytest.raises(ReviewError) as refused:
        read_seconds(str(m4a), None)
    assert refused.value.status == 415
    assert "soundfile cannot decode it" in str(refused.value)


def test_pairs_export_as_csv_with_the_chosen_keepers(served: Served) -> None:
    status, headers, data = served.request("GET", "/export.csv?q=portishead")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == 2
    keeper = served.session.groups[0].keeper.file_path
    assert {r["keeper"] for r in rows} == {keeper}
    assert {r["duplicate"] for r in rows} == {
        f.file_path for f in served.session.groups[0].files if f.file_path != keeper
    }
    assert {r["kind"] for r in rows} == {"same_song"}
