"""A PNG from an RGB array, with zlib: the spectrogram needs nothing more (no filters, no
palette, 8 bits per channel), and no imaging library is worth a dependency for that."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

__all__ = ["encode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """`pixels` (height, width, 3) as a PNG file's bytes."""
    height, width, channels = pixels.shape
    if channels != 3:
        raise ValueError(f"want RGB pixels, got {channels} channels")
    rows = np.zeros((height, 1 + width * 3), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = pixels.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
