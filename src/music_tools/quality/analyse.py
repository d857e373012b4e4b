"""`analyse(path)`: decode a few seconds in this process and judge; never raise for a file."""

from __future__ import annotations

import os
from typing import Any

from ..errors import os_reason
from ..formats.sniff import EXTENSION_KINDS
from .lame import read_mp3_header
from .report import QualityReport

__all__ = ["DEFAULT_SECONDS", "analyse"]

#: seconds decoded a file, in three stretches (25%, 50%, 75% of the way in)
DEFAULT_SECONDS = 6.0
#: a file shorter than this is not judged
MIN_SECONDS = 1.0
#: soundfile subtype -> bits a sample stores (None: floating point) for the lossless ones
_LOSSLESS: dict[str, int | None] = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "ALAC_16": 16,
    "ALAC_20": 20,
    "ALAC_24": 24,
    "ALAC_32": 32,
    "FLOAT": None,
    "DOUBLE": None,
}
_MP3 = ("MPEG_LAYER_III",)


def analyse(path: str | os.PathLike[str], *, seconds: float = DEFAULT_SECONDS) -> QualityReport:
    """The quality verdict on one file, from `seconds` of its audio decoded in-process.

    Lossless files (FLAC, WAV, AIFF, ... as libsndfile decodes them) are judged by their
    spectrum and bit use; MP3 by its LAME header and its spectrum. Anything else, and any
    file that cannot be read, gives `not_analysed` with the reason.
    """
    name = os.fspath(path)
    try:
        return _analyse(name, seconds)
    except OSError as exc:
        return QualityReport("not_analysed", f"cannot read: {os_reason(exc)}")
    except Exception as exc:  # a decoder's error on a damaged file: a reason, not a crash
        return QualityReport("not_analysed", f"cannot decode: {_describe(exc)}")


def decode_plan(sound: Any, seconds: float) -> tuple[list[tuple[int, int]], str]:
    """The (start, frames) stretches `analyse` decodes from an open soundfile.SoundFile,
    and the dtype it reads them as (int32 where bits beyond 16 are to be counted; else
    float64, which the spectrum is computed in)."""
    from .spectrum import spans

    bits = _LOSSLESS.get(sound.subtype)
    dtype = "int32" if bits is not None and bits > 16 else "float64"
    return spans(sound.frames, sound.samplerate, seconds), dtype


def _analyse(path: str, seconds: float) -> QualityReport:
    import soundfile

    from .judge import judge_lossless, judge_mp3

    try:
        sound = soundfile.SoundFile(path)
    except soundfile.LibsndfileError as exc:
        header = read_mp3_header(path) if _named_mp3(path) else None
        if header is not None:  # a libsndfile without MP3 (before 1.1): the header alone
            return judge_mp3(header, None)
        return QualityReport("not_analysed", f"cannot decode: {_describe(exc)}")
    with sound:
        subtype, rate, channels = sound.subtype, sound.samplerate, sound.channels
        if subtype not in _LOSSLESS and subtype not in _MP3:
            reason = f"a {sound.format} {subtype} file: only lossless files and MP3 are judged"
            return QualityReport("not_analysed", reason, sample_rate_hz=rate)
        if sound.frames < MIN_SECONDS * rate:
            seconds_long = sound.frames / rate
            reason = f"too short to judge ({seconds_long:.1f} s)"
            return QualityReport("not_analysed", reason, sample_rate_hz=rate)
        spectrum, used, decoded = _measure(sound, seconds)
    base = {"sample_rate_hz": rate, "seconds_analysed": round(decoded / rate, 2)}
    if spectrum is None or decoded < MIN_SECONDS * rate:
        return QualityReport("not_analysed", "too short to judge", **base)
    if subtype in _MP3:
        header = read_mp3_header(path)
        if header is None:
            return QualityReport("not_analysed", "no MPEG layer III frame header found", **base)
        return judge_mp3(header, spectrum, seconds_analysed=base["seconds_analysed"])
    bits = _LOSSLESS[subtype]
    effective = _effective_bits(used, bits) if bits and bits > 16 else bits
    if effective == 0 or spectrum.levels.max() < -200:
        return QualityReport("not_analysed", "silent where analysed", **base)
    return judge_lossless(spectrum, bits=bits, channels=channels, effective_bits=effective, **base)


def _measure(sound: Any, seconds: float) -> tuple[Any, int, int]:
    """The spectrum of the stretches `decode_plan` names, decoded one at a time (None if
    too short for a window), the OR of their samples when read as int32, the frames read."""
    import numpy as np

    from .spectrum import SpectrumSum

    plan, dtype = decode_plan(sound, seconds)
    summed = SpectrumSum(sound.samplerate, 2.0**-31 if dtype == "int32" else 1.0)
    used = decoded = 0
    for start, count in plan:
        sound.seek(start)
        block = sound.read(count, dtype=dtype, always_2d=True)
        summed.add(block)
        decoded += block.shape[0]
        if dtype == "int32":
            used |= int(np.bitwise_or.reduce(block, axis=None))
        del block  # before the next read, which then reuses its memory
    return summed.result(), used, decoded


def _effective_bits(used: int, bits: int) -> int:
    """Bits in use: `bits` less the low bits zero in every sample (`used`: all the int32
    samples OR-ed; libsndfile puts a sample's bits at the top of the 32); 0 for silence."""
    if used == 0:
        return 0
    zeros = (used & -used).bit_length() - 1
    return min(bits, 32 - zeros)


def _named_mp3(path: str) -> bool:
    return EXTENSION_KINDS.get(os.path.splitext(path)[1].lower()) == ("mp3",)


def _describe(exc: Exception) -> str:
    """A decoder's message, without the path soundfile puts in front of it."""
    text = str(exc).strip() or type(exc).__name__
    return text.rsplit(": ", 1)[-1].rstrip(".").lower() if ": " in text else text.lower()
