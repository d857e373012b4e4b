"""Damaged and hostile files: recorded as read errors with a clear reason, never stored as
rows (so never a keeper or a match), never read whole, never blocking."""

from __future__ import annotations

import os
import struct
import threading
import tracemalloc
from pathlib import Path

import pytest

from music_tools import ExtractError, extract
from support.audio_factory import Tags, make_audio, write_tags


def _reason(path: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        extract(path)
    return caught.value.reason


def test_a_half_truncated_flac_is_damaged_not_a_copy_of_the_intact_one(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.flac", "flac", seconds=4.0, tags=Tags())
    intact = extract(path)
    assert intact.audio_key and intact.audio_key.startswith("md5:")
    data = path.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    reason = _reason(cut)
    assert reason.startswith("damaged FLAC: ") and "missing (truncated?)" in reason, reason


def test_an_intact_flac_of_any_length_is_not_damaged(tmp_path: Path) -> None:
    """Frame headers are found by sync code and CRC-8, which audio bytes can pass by chance:
    many seeds and lengths, none may be called damaged."""
    for seed in range(16):
        seconds = (0.05, 0.3, 1.0, 2.5)[seed % 4]
        path = make_audio(tmp_path / f"{seed}.flac", "flac", seed=seed, seconds=seconds)
        extract(path)


def _wav_with_declared_size(path: Path, declared: int) -> Path:
    data = bytearray(path.read_bytes())
    offset = data.index(b"data")
    data[offset + 4 : offset + 8] = struct.pack("<I", declared)
    path.write_bytes(bytes(data))
    return path


def test_a_wav_whose_header_claims_4_gb_is_damaged(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.wav", "wav", seconds=0.5)
    reason = _reason(_wav_with_declared_size(path, 0xFFFF_FFF0))
    assert reason.startswith("damaged WAV: ") and "truncated?" in reason, reason


def test_a_wav_cut_to_100_bytes_is_damaged(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.wav", "wav", seconds=0.5)
    path.write_bytes(path.read_bytes()[:100])
    assert _reason(path).startswith("damaged WAV: ")


def test_an_aiff_cut_short_is_damaged(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.aiff", "aiff", seconds=0.5)
    path.write_bytes(path.read_bytes()[:5000])
    assert _reason(path).startswith("damaged AIFF: ")


def test_an_m4a_cut_short_is_damaged(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.m4a", "m4a")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    _reason(path)  # damaged, truncated or unreadable: an error in any case, never a row


def test_track_numbers_too_large_are_stored_as_no_value(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.flac", "flac", seconds=0.2)
    write_tags(path, "flac", Tags(track="123456789012345678901234567890", disc="9" * 5000))
    file = extract(path)
    assert file.track_number is None and file.disc_number is None
    assert file.title == "Test Title"


def test_a_fifo_named_as_audio_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    outcome: list[str] = []
    reader = threading.Thread(target=lambda: outcome.append(_reason(fifo)), daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # unblock the thread so the test run can end
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert outcome == ["not a regular file (a FIFO)"]


def test_a_huge_id3_tag_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.mp3", "mp3", seconds=0.3, tags=Tags())
    audio = path.read_bytes()
    size = 2**28 - 1  # the largest an ID3v2 header can declare: 256 MiB
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    with open(path, "wb") as out:
        out.write(b"ID3\x04\x00\x00" + synchsafe)
        out.seek(10 + size)
        out.write(audio)
    tracemalloc.start()
    try:
        reason = _reason(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "tags" in reason and "268.4 MB" in reason, reason
    assert peak < 16 * 1024 * 1024


def test_a_reason_says_what_was_wrong_even_when_mutagen_says_nothing(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.mp3", "mp3", seconds=0.1, tags=Tags())
    path.write_bytes(path.read_bytes()[:300])  # cut inside its ID3 tag
    assert _reason(path) == "corrupt MP3 file: damaged or cut-short ID3 data"
