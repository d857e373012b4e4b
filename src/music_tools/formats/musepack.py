"""Musepack: SV8 packets, read as mutagen.musepack reads them; the damage check of a stream
whose packet sizes send mutagen round in circles, and the lean reader. The audio is read as a
raw stream between tags.

An SV8 stream starts with "MPCK", then packets: a two-letter key, a size (7 bits a byte, the
high bit saying another byte follows; the size counts the key and itself) and the data. The
lean reader follows mutagen.musepack for files that start with their Musepack header (SV7
"MP+", SV8 "MPCK"); the older stream versions (which give mutagen a bitrate in kbps) go to
mutagen. The bitrate is mutagen's: the whole file's size over the length.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import replace

from .apev2 import read_apev2
from .info import FastInfo, HeldBytes, read_bytes
from .raw import RAW, id3v2_size
from .window import FileWindow

__all__ = ["MUSEPACK", "read_musepack"]

RATES = (44100, 48000, 37800, 32000)

# -- SV8 packets ----------------------------------------------------------------------------

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


# -- the lean reader ------------------------------------------------------------------------

_HEADER_BYTES = 4096  # the SV8 packets before the audio ("SH", "RG", "EI") are a few dozen
_MAX_PACKETS = 64


class _Unsure(Exception):
    """Raised inside this module where mutagen's answer is not modelled; never leaves it."""


def read_musepack(window: FileWindow, layout: object) -> FastInfo | None:
    head = HeldBytes(window, 0, read_bytes(window, 0, _HEADER_BYTES))
    try:
        if head.get(0, 4) == b"MPCK":
            rate, channels, length = _sv8(head, 4)
        elif head.get(0, 3) == b"MP+":
            rate, channels, length = _sv7(head.get(0, 32))
        else:
            return None
    except _Unsure:
        return None
    tags = read_apev2(window)
    if tags is None:
        return None
    bitrate = _intround(window.size * 8 / length) if length else 0
    return FastInfo("mpc", "musepack", False, length, rate, channels, 0, bitrate, ape=tags or None)


def _sv7(header: bytes) -> tuple[int, int, float]:
    if len(header) != 32 or header[3] & 0xF < 7:
        raise _Unsure
    frames = int.from_bytes(header[4:8], "little")
    rate = RATES[(int.from_bytes(header[8:12], "little") >> 16) & 3]
    return rate, 2, float(frames * 1152 - 576) / rate


def _sv8(head: HeldBytes, offset: int) -> tuple[int, int, float]:
    found: tuple[int, int, int] | None = None
    replaygain = False
    for _ in range(_MAX_PACKETS):
        key = head.get(offset, 2)
        if len(key) != 2 or not b"AA" <= key <= b"ZZ":
            raise _Unsure
        if key in (b"AP", b"SE") or (found is not None and replaygain):
            break
        size = sv8_int(head.get(offset + 2, 9))
        if size is None:
            raise _Unsure
        body, data_size = offset + 2 + size[1], size[0] - 2 - size[1]
        if key == b"SH":
            if found is not None:
                raise _Unsure
            found = stream_header(head.get, body, data_size)
            if found is None:
                raise _Unsure
        elif key == b"RG":
            if replaygain or not replay_gain_fits(head.get, body, data_size):
                raise _Unsure
            replaygain = True
        if data_size < 0:
            raise _Unsure
        offset = body + data_size
    else:
        raise _Unsure
    if found is None or not replaygain:
        raise _Unsure
    samples, rate, channels = found
    return rate, channels, float(samples) / rate


def _intround(value: float) -> int:
    """mutagen's intround: half to even, from the float's exact value."""
    return int(decimal.Decimal(value).to_integral_value(decimal.ROUND_HALF_EVEN))


# -- the damage check: packet sizes that send mutagen round in circles -----------------------

_SV8_STEPS = 100_000  # packets walked at most; a longer walk is left to mutagen (it ends)


def musepack_damage(window: FileWindow, layout: object) -> str | None:
    """A Musepack SV8 stream whose packet sizes lead back to a packet already read (a size
    smaller than its own header): mutagen's header loop, which seeks by each size, would
    never end. Walked as mutagen walks (`MusepackInfo.__parse_sv8`), its errors left to it."""
    read = window.read
    header = read(0, 10)
    position = id3v2_size(header) if header[:3] == b"ID3" and len(header) == 10 else 0
    if read(position, 4) != b"MPCK":
        return None
    position += 4
    mandatory = {b"SH", b"RG"}
    seen: set[tuple[int, bool, bool]] = set()
    for _ in range(_SV8_STEPS):
        key = read(position, 2)
        if len(key) != 2 or not b"AA" <= key <= b"ZZ":
            return None  # mutagen: "Invalid frame key."
        if key in (b"AP", b"SE") or not mandatory:
            return None
        state = (position, b"SH" in mandatory, b"RG" in mandatory)  # all the walk depends on
        if state in seen:
            return "corrupt MPC file: its packet sizes lead back to a packet already read"
        seen.add(state)
        size = sv8_int(read(position + 2, 9))
        if size is None:
            return None  # mutagen: "Invalid packet size."
        body, data_size = position + 2 + size[1], size[0] - 2 - size[1]
        if key in (b"SH", b"RG"):
            if key not in mandatory:
                return None  # mutagen: a duplicate packet
            mandatory.discard(key)
            if key == b"SH" and stream_header(read, body, data_size) is None:
                return None  # mutagen fails on the packet's contents
            if key == b"RG" and not replay_gain_fits(read, body, data_size):
                return None
        # mutagen reads a packet it parses to its end, and seeks past any other by its size:
        # backwards, when the size is smaller than the packet's own header
        position = body + data_size
        if position < 0:
            return None  # mutagen: a seek before the start fails
    return None


MUSEPACK = replace(RAW, damage=musepack_damage, read=read_musepack)
