"""Musepack SV8 packets, read as mutagen.musepack reads them: for the lean reader, and for
the damage check of a stream whose packet sizes send mutagen round in circles.

An SV8 stream starts with "MPCK", then packets: a two-letter key, a size (7 bits a byte, the
high bit saying another byte follows; the size counts the key and itself) and the data.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["RATES", "ReadAt", "replay_gain_fits", "stream_header", "sv8_int"]

RATES = (44100, 48000, 37800, 32000)

ReadAt = Callable[[int, int], bytes]
"""read(offset, size) -> bytes"""


def sv8_int(data: bytes) -> tuple[int, int] | None:
    """mutagen's `_parse_sv8_int` over `data` (9 bytes at most): (value, bytes used), or None
    where it fails (the bytes end before a byte without the high bit)."""
    value = 0
    for index, byte in enumerate(data[:9]):
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, index + 1
    return None


def stream_header(read: ReadAt, body: int, data_size: int) -> tuple[int, int, int] | None:
    """(samples, sample rate, channels) of the "SH" packet whose data starts at `body`, as
    mutagen's `__parse_stream_header` reads them; None where it fails."""
    samples = sv8_int(read(body + 5, 9))  # after the CRC and the stream version
    if samples is None:
        return None
    skip = sv8_int(read(body + 5 + samples[1], 9))
    if skip is None:
        return None
    remaining = data_size - 5 - samples[1] - skip[1]
    data = read(body + 5 + samples[1] + skip[1], remaining)
    if remaining < 2 or len(data) != remaining or data[0] >> 5 >= len(RATES):
        return None
    return samples[0] - skip[0], RATES[data[0] >> 5], (data[1] >> 4) + 1


def replay_gain_fits(read: ReadAt, body: int, data_size: int) -> bool:
    """Whether mutagen's `__parse_replaygain_packet` reads the "RG" packet at `body`."""
    return data_size >= 9 and len(read(body, data_size)) == data_size
