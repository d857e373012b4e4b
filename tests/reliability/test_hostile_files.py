"""Hostile files: a 2 GiB sparse file, huge declared sizes in ID3 frames, MP4 atoms, RIFF
chunks and FLAC blocks, text and nothing named as audio. No exception but ExtractError
escapes, no file is read whole, memory stays bounded (mutated real samples of every format
are in tests/read/test_reader_errors.py, through Hypothesis)."""

from __future__ import annotations

import struct
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from music_tools import ExtractError, extract
from support.audio_factory import ALL_FORMATS, Tags, file_name, make_audio

MEMORY_BOUND = 24 * 1024 * 1024
GIB = 1024**3


def _bounded(path: Path) -> str:
    """extract(path) with its peak memory and time measured: 'ok' or the reason."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        extract(path)
        outcome = "ok"
    except ExtractError as exc:
        outcome = exc.reason
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{path.name}: {peak:,} bytes at the peak"
    assert time.monotonic() - started < 10, f"{path.name} took too long"
    return outcome


@pytest.mark.parametrize("extension", [".flac", ".mp3", ".wav", ".m4a", ".ogg", ".wma"])
def test_a_2_gib_sparse_file_is_refused_without_being_read(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"sparse{extension}"
    with open(path, "wb") as out:
        out.truncate(2 * GIB)
    assert _bounded(path) != "ok"


@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("content", [b"", b"just some text, not audio\n" * 40])
def test_nothing_and_text_named_as_audio_are_errors(
    tmp_path: Path, fmt: str, content: bytes
) -> None:
    path = tmp_path / file_name(fmt)
    path.write_bytes(content)
    assert _bounded(path) != "ok"


def _id3_frame_declaring(path: Path) -> None:
    data = path.read_bytes()
    frame = b"TIT2" + struct.pack(">I", 0x7FFF_FFFF) + b"\x00\x00\x03Huge"
    body = frame + b"\x00" * 64
    size = len(body)
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    path.write_bytes(b"ID3\x03\x00\x00" + synchsafe + body + data)


def _mp4_atom_declaring(path: Path) -> None:
    data = bytearray(path.read_bytes())
    moov = data.find(b"moov")
    data[moov - 4 : moov] = struct.pack(">I", 1)  # a 64-bit size follows... or not
    path.write_bytes(
        bytes(data[: moov + 4]) + struct.pack(">Q", 2**63 - 1) + bytes(data[moov + 4 :])
    )


def _riff_chunk_declaring(path: Path) -> None:
    data = bytearray(path.read_bytes())
    fmt = data.find(b"fmt ")
    data[fmt + 4 : fmt + 8] = struct.pack("<I", 0xFFFF_FFFF)
    path.write_bytes(bytes(data))


def _flac_block_declaring(path: Path) -> None:
    data = bytearray(path.read_bytes())
    # the block after STREAMINFO: a PICTURE that declares 16 MB the file does not hold
    at = 4 + 4 + 34
    data[at : at + 4] = bytes([6]) + (0xFF_FFFF).to_bytes(3, "big")
    path.write_bytes(bytes(data))


HOSTILE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "id3-frame": ("mp3", _id3_frame_declaring),
    "mp4-atom": ("m4a", _mp4_atom_declaring),
    "riff-chunk": ("wav", _riff_chunk_declaring),
    "flac-block": ("flac", _flac_block_declaring),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_huge_declared_sizes_never_make_a_file_read_whole(tmp_path: Path, case: str) -> None:
    fmt, sabotage = HOSTILE[case]
    path = make_audio(tmp_path / file_name(fmt), fmt, seconds=0.3, tags=Tags(), picture=True)
    sabotage(path)
    _bounded(path)  # a file or an error: both fine, neither unbounded


def _packet_offsets(data: bytes, start: int) -> dict[bytes, int]:
    """Where each SV8 packet before the audio starts (its two-letter key), from `start`."""
    found: dict[bytes, int] = {}
    position = start
    while data[position : position + 2] not in (b"AP", b"SE", b""):
        key = data[position : position + 2]
        found.setdefault(key, position)
        size, length = 0, 0
        while True:
            byte = data[position + 2 + length]
            size, length = (size << 7) | (byte & 0x7F), length + 1
            if not byte & 0x80:
                break
        position += size
    return found


@pytest.mark.parametrize("id3", [False, True])
@pytest.mark.parametrize("how", ["renamed", "inserted"])
def test_musepack_packet_sizes_that_loop_are_refused_not_read_for_ever(
    tmp_path: Path, id3: bool, how: str
) -> None:
    """A packet before the stream header or the replay gain whose size is smaller than its
    own header sends mutagen's SV8 header loop back to the same packet for ever (found by
    review: an index worker hung on such a file); the file is refused as corrupt, in a
    child process that must end."""
    import subprocess
    import sys

    path = make_audio(tmp_path / file_name("mpc"), "mpc", seconds=0.5)
    data = bytearray(path.read_bytes())
    at = _packet_offsets(bytes(data), 4)[b"RG"]
    if how == "renamed":  # the RG packet, renamed and sized 0 (the file the review found)
        data[at : at + 3] = b"R\x07\x00"
    else:  # an unknown packet of size 0 between the stream header and the replay gain
        data[at:at] = b"XY\x00"
    if id3:
        data[:0] = b"ID3\x04\x00\x00\x00\x00\x00\x00"  # mutagen skips an ID3 tag first
    path.write_bytes(bytes(data))
    code = "\n".join(
        [
            "from music_tools import extract, ExtractError",
            "try:",
            f"    extract({str(path)!r})",
            "except ExtractError as exc:",
            "    print(exc.reason)",
        ]
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == (
        "corrupt MPC file: its packet sizes lead back to a packet already read"
    ), done.stderr
