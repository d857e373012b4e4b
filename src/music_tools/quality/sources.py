"""Which lossy source a cut-off points to, and which low-pass LAME picks for a bitrate.

The cut-offs are where the decoded spectrum's wall lies, measured on music-like signals
encoded by ffmpeg with LAME 3.100 and with ffmpeg's own AAC encoder (tests/quality):

    MP3  96-112 kbps  15.4-15.5 kHz      AAC  96 kbps   17.0 kHz
    MP3 128 kbps      16.5-16.9 kHz      AAC 128 kbps   17.2-18.0 kHz
    MP3 160 kbps, V4  17.5-17.7 kHz      AAC 192 kbps   19.6-19.8 kHz
    MP3 192 kbps, V2  18.6-19.1 kHz
    MP3 224-256 kbps  19.7-19.9 kHz
    MP3 320 kbps      20.3 kHz           LAME -V0 (3.100): no low-pass at all

Older encoders cut lower for the same bitrate (LAME 3.97 and FhG at 128 kbps: 16 kHz), so
a range names the lowest-quality source that fits. From 19.3 kHz up a cut-off fits a
224-320 kbps source as well as a master's own filter (CDs are filtered from 20-21 kHz),
so no source is named there: the verdict is then unsure, or genuine from 21 kHz.
"""

from __future__ import annotations

__all__ = ["bitrate_for_lowpass", "expected_lowpass_hz", "likely_source"]

#: a wall below this is a lossy encoder's
LOSSY_BELOW_HZ = 19_300.0
#: a wall from this up is a master's filter (a CD's anti-alias filter)
MASTER_FILTER_HZ = 21_000.0

#: upper end of each range (Hz) -> the source it names
_SOURCES = (
    (12_000.0, "MP3 64 kbps or lower", "a 64 kbps MP3 or lower"),
    (14_500.0, "MP3 80 kbps", "an 80 kbps MP3"),
    (16_200.0, "MP3 96-112 kbps", "a 96-112 kbps MP3"),
    (17_200.0, "MP3 128 kbps", "a 128 kbps MP3"),
    (18_200.0, "MP3 160 kbps or AAC 128 kbps", "a 160 kbps MP3 (or a 128 kbps AAC)"),
    (LOSSY_BELOW_HZ, "MP3 192 kbps or V2", "a 192 kbps MP3 (or LAME -V2)"),
)

#: LAME 3.100's own low-pass (Hz) for a CBR/ABR bitrate (kbit/s) at 44.1 kHz, stereo
_LAME_LOWPASS = (
    (32, 5_500),
    (40, 7_000),
    (48, 7_500),
    (56, 10_000),
    (64, 11_000),
    (80, 13_500),
    (96, 15_100),
    (112, 15_600),
    (128, 17_000),
    (160, 17_500),
    (192, 18_600),
    (224, 19_400),
    (256, 19_700),
    (320, 20_500),
)


def likely_source(cutoff_hz: float) -> tuple[str, str] | None:
    """(short name, phrase) of the lossy source a wall at `cutoff_hz` points to."""
    for upper, name, phrase in _SOURCES:
        if cutoff_hz < upper:
            return name, phrase
    return None


def expected_lowpass_hz(bitrate_kbps: int) -> int:
    """The low-pass LAME would pick for this bitrate (interpolated between its table's)."""
    below = _LAME_LOWPASS[0]
    for point in _LAME_LOWPASS:
        if bitrate_kbps <= point[0]:
            if point[0] == below[0]:
                return point[1]
            share = (bitrate_kbps - below[0]) / (point[0] - below[0])
            return round(below[1] + share * (point[1] - below[1]))
        below = point
    return _LAME_LOWPASS[-1][1]


def bitrate_for_lowpass(lowpass_hz: int) -> int:
    """The lowest bitrate (kbit/s) for which LAME keeps a band of `lowpass_hz`."""
    return next((rate for rate, hz in _LAME_LOWPASS if hz >= lowpass_hz), _LAME_LOWPASS[-1][0])
