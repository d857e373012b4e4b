"""MP4 audio sample entries: AAC's esds descriptors and AudioSpecificConfig, ALAC's cookie.

A port of what mutagen's AudioSampleEntry reads for `mp4a` and `alac` entries, so that the
channels, sample rate, bits and bitrate are exactly its own. Anything mutagen would fail on
raises `Unsure`; so does an AAC config with a program config element (channel config 0).
"""

from __future__ import annotations

__all__ = ["SampleEntry", "Unsure", "parse_sample_entry"]

_FREQS = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_GA_TYPES = (1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23)
_CAN_SBR = (1, 2, 3, 4, 6, 17, 19, 20, 22)

SampleEntry = tuple[int, int, int, int]
"""(channels, bits per sample, sample rate, bitrate in bit/s)"""


class Unsure(Exception):
    """What mutagen makes of these bytes is not modelled here (or it fails on them)."""


class _Bits:
    """A big-endian bit reader over bytes held as one integer: a read is a shift and a mask."""

    __slots__ = ("position", "size", "value")

    def __init__(self, data: bytes, position: int = 0) -> None:
        self.value, self.size, self.position = (
            int.from_bytes(data, "big"),
            len(data) * 8,
            position * 8,
        )

    def bits(self, count: int) -> int:
        end = self.position + count
        if end > self.size:
            raise Unsure  # mutagen: BitReaderError, the file fails
        self.position = end
        return (self.value >> (self.size - end)) & ((1 << count) - 1)


def parse_sample_entry(name: bytes, entry: bytes) -> SampleEntry:
    """An `mp4a` or `alac` sample entry's payload, as mutagen's AudioSampleEntry reads it."""
    if len(entry) < 28:
        raise Unsure
    channels = int.from_bytes(entry[16:18], "big")
    bits = int.from_bytes(entry[18:20], "big")
    rate = int.from_bytes(entry[24:28], "big") >> 16
    extra = _child(entry, 28)
    if name == b"mp4a" and extra is not None and extra[0] == b"esds":
        return _esds(extra[1], channels, bits, rate)
    if name == b"alac" and extra is not None and extra[0] == b"alac":
        return _alac(extra[1], channels, bits, rate)
    raise Unsure  # another codec, or an entry without its usual box


def _child(data: bytes, offset: int) -> tuple[bytes, bytes] | None:
    """(name, payload) of the box at `offset` of `data`, as mutagen's Atom reads it."""
    if offset + 8 > len(data):
        raise Unsure
    length, name, header = (
        int.from_bytes(data[offset : offset + 4], "big"),
        data[offset + 4 : offset + 8],
        8,
    )
    if length == 1 or length == 0 or length < 8:
        raise Unsure  # 64-bit, to-the-end or invalid sizes: not modelled
    payload = data[offset + header : offset + length]
    if len(payload) != length - header:
        raise Unsure  # mutagen: "too short" / truncated
    return name, payload


def _esds(data: bytes, channels: int, bits: int, rate: int) -> SampleEntry:
    """The ES descriptor's byte-aligned fields read in place; the AudioSpecificConfig, whose
    fields are bits, through `_Bits`. Every read past the end fails, as mutagen's does."""
    size = len(data)
    if size < 4 or data[0] != 0:
        raise Unsure
    if _byte(data, 4) != 0x03:
        raise Unsure
    _, position = _length_at(data, 5)
    flags = _byte(data, position + 2)  # after the ES_ID
    position += 3
    if flags & 0x80:  # streamDependenceFlag
        position += 2
    if flags & 0x40:  # URL_Flag
        position += 1 + _byte(data, position)
    if flags & 0x20:  # OCRstreamFlag
        position += 2
    if _byte(data, position) != 0x04:
        raise Unsure
    length, start = _length_at(data, position + 1)
    if start + 13 > size:
        raise Unsure
    object_type, stream_type = data[start], data[start + 1] >> 2
    bitrate = int.from_bytes(data[start + 9 : start + 13], "big")
    if (object_type, stream_type) != (0x40, 0x5) or length == 13:
        return channels, bits, rate, bitrate
    if _byte(data, start + 13) != 0x05:
        return channels, bits, rate, bitrate
    length, position = _length_at(data, start + 14)
    config = _audio_specific_config(_Bits(data, position), length)
    return config[0] or channels, bits, config[1] or rate, bitrate


def _byte(data: bytes, position: int) -> int:
    if position >= len(data):
        raise Unsure  # mutagen: BitReaderError, the file fails
    return data[position]


def _length_at(data: bytes, position: int) -> tuple[int, int]:
    """A descriptor's length at `position`, and where its payload starts."""
    value = 0
    for byte in data[position : position + 4]:
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, position
    raise Unsure  # a fifth length byte, or the end of the data first


def _object_type(reader: _Bits) -> int:
    value = reader.bits(5)
    return 32 + reader.bits(6) if value == 31 else value


def _frequency(reader: _Bits) -> int:
    index = reader.bits(4)
    if index == 0xF:
        return reader.bits(24)
    return _FREQS[index] if index < len(_FREQS) else 0


class _Config:
    """What mutagen's DecoderSpecificInfo keeps of an AudioSpecificConfig."""

    __slots__ = (
        "configuration",
        "extension",
        "frequency",
        "object_type",
        "ps",
        "sbr",
        "x_conf",
        "x_freq",
    )

    def __init__(self) -> None:
        self.object_type = self.frequency = self.configuration = self.extension = 0
        self.sbr = self.ps = -1
        self.x_freq = 0
        self.x_conf: int | None = None


def _audio_specific_config(reader: _Bits, length: int) -> tuple[int, int]:
    """(channels, sample rate) as mutagen's DecoderSpecificInfo gives them, 0 for unknown."""
    config = _Config()
    _parse_config(reader, length, config)
    return _channels(config), _rate(config)


def _parse_config(reader: _Bits, length: int, c: _Config) -> None:
    start = reader.position
    c.object_type, c.frequency, c.configuration = (
        _object_type(reader),
        _frequency(reader),
        reader.bits(4),
    )
    if c.object_type in (5, 29):
        c.extension, c.sbr, c.ps = 5, 1, 1 if c.object_type == 29 else -1
        c.x_freq = _frequency(reader)
        c.object_type = _object_type(reader)
        if c.object_type == 22:
            c.x_conf = reader.bits(4)
    if c.object_type not in _GA_TYPES or not _ga_specific_config(
        reader, c.object_type, c.configuration
    ):
        return
    if c.object_type in (17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39) and reader.bits(2) in (2, 3):
        return
    if c.extension == 5 or length * 8 - (reader.position - start) < 16 or reader.bits(11) != 0x2B7:
        return
    c.extension = _object_type(reader)
    if c.extension == 5:
        c.sbr = reader.bits(1)
        if c.sbr == 1:
            c.x_freq = _frequency(reader)
            if length * 8 - (reader.position - start) >= 12 and reader.bits(11) == 0x548:
                c.ps = reader.bits(1)
    if c.extension == 22:
        c.sbr = reader.bits(1)
        if c.sbr == 1:
            c.x_freq = _frequency(reader)
        c.x_conf = reader.bits(4)


def _ga_specific_config(reader: _Bits, object_type: int, configuration: int) -> bool:
    """Skip a GASpecificConfig; False where mutagen stops (a reserved flag set)."""
    reader.bits(1)
    if reader.bits(1):
        reader.bits(14)
    extension = reader.bits(1)
    if not configuration:
        raise Unsure  # a program config element carries the channels: not modelled
    if object_type in (6, 20):
        reader.bits(3)
    if extension:
        if object_type == 22:
            reader.bits(5 + 11)
        if object_type in (17, 19, 20, 23):
            reader.bits(3)
        if reader.bits(1):
            return False
    return True


def _channels(c: _Config) -> int:
    conf = c.configuration if c.x_conf is None else c.x_conf
    if conf == 1:
        return 0 if c.ps == -1 else (2 if c.ps == 1 else 1)
    if conf == 7:
        return 8
    return 0 if conf > 7 else conf


def _rate(c: _Config) -> int:
    if c.sbr == 1:
        return c.x_freq
    if c.sbr == 0 or c.object_type not in _CAN_SBR or c.frequency > 24000:
        return c.frequency
    return 0


def _alac(data: bytes, channels: int, bits: int, rate: int) -> SampleEntry:
    """The ALAC magic cookie: byte-aligned fields after its version and flags."""
    if len(data) < 9 or data[0] != 0:
        raise Unsure  # mutagen: BitReaderError, the file fails
    if data[8] != 0:  # compatibleVersion
        return channels, bits, rate, 0
    if len(data) < 28:
        raise Unsure
    bitrate = int.from_bytes(data[20:24], "big")
    return data[13], data[9], int.from_bytes(data[24:28], "big"), bitrate
